import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Change, planChanges, wavesOf } from '../../tasks/plan';
import { desiredRoutes, STEPS, tablesOf } from '../../tasks/routing';
import { Topology, validateTopology } from '../../tasks/topology';
import { trace } from '../../tasks/trace';
import type { Observation } from '../../tasks/world';
import { applied, convergedOn, currentStateArb, failoverArb, topologyArb } from './arbitraries';

const withState = failoverArb.chain(({ topology, to }) =>
  currentStateArb(topology).map((observation) => ({ topology, to, observation })),
);

const RUNS = { numRuns: 300 };

describe('generated topologies', () => {
  it('pass the schema and the semantic validation', () => {
    fc.assert(
      fc.property(topologyArb, (topology) => {
        expect(Topology.parse(topology)).toEqual(topology);
        expect(validateTopology(topology)).toEqual([]);
      }),
      RUNS,
    );
  });
});

describe('planning from any current state', () => {
  it('converges: after the plan is applied, every start arrives at the target', () => {
    fc.assert(
      fc.property(withState, ({ topology, to, observation }) => {
        const plan = planChanges(desiredRoutes(topology, to), observation);

        const result = trace(topology, applied(observation, plan.changes), to);

        expect(result.starts.filter((s) => s.outcome.kind !== 'arrives' || s.outcome.node !== to)).toEqual(
          [],
        );
        expect(result.converged).toBe(true);
      }),
      RUNS,
    );
  });

  it('is idempotent: a second plan after applying the first is empty', () => {
    fc.assert(
      fc.property(withState, ({ topology, to, observation }) => {
        const desired = desiredRoutes(topology, to);
        const first = planChanges(desired, observation);

        const second = planChanges(desired, applied(observation, first.changes));

        expect(second.changes).toEqual([]);
        expect(second.unchanged).toHaveLength(desired.length);
      }),
      RUNS,
    );
  });

  it('writes only VIP routes of listed tables, each at most once', () => {
    fc.assert(
      fc.property(withState, ({ topology, to, observation }) => {
        const tables = new Set(tablesOf(topology).map((t) => t.table));

        const { changes, snapshot } = planChanges(desiredRoutes(topology, to), observation);

        for (const change of changes) {
          expect(topology.vips).toContain(change.vip);
          expect(tables.has(change.table)).toBe(true);
        }
        const keys = changes.map((c) => `${c.table}|${c.vip}`);
        expect(new Set(keys).size).toBe(keys.length);
        expect(snapshot).toHaveLength(tables.size * topology.vips.length);
      }),
      RUNS,
    );
  });

  it('leaves routes that are already right untouched', () => {
    fc.assert(
      fc.property(withState, ({ topology, to, observation }) => {
        const desired = desiredRoutes(topology, to);
        const right = new Set(
          observation.routes
            .filter((r) =>
              desired.some(
                (d) =>
                  d.table === r.table && d.vip === r.vip && d.target === r.target && r.state === 'active',
              ),
            )
            .map((r) => `${r.table}|${r.vip}`),
        );

        const { changes } = planChanges(desired, observation);

        expect(changes.filter((c) => right.has(`${c.table}|${c.vip}`))).toEqual([]);
      }),
      RUNS,
    );
  });
});

/** Every batch of writes in the order the workflow runs them: steps, waves inside a step, then one by one. */
function batchesInOrder(changes: readonly Change[]): Change[][] {
  return STEPS.flatMap((step) => wavesOf(changes, step));
}

describe('destination first', () => {
  it('never loops while a failover is half applied, wave by wave and write by write', () => {
    fc.assert(
      fc.property(failoverArb, ({ topology, from, to }) => {
        let world: Observation = convergedOn(topology, from);
        const { changes } = planChanges(desiredRoutes(topology, to), world);
        const safe = (when: string) => {
          for (const start of trace(topology, world, to).starts) {
            const ok =
              (start.outcome.kind === 'arrives' &&
                (start.outcome.node === from || start.outcome.node === to)) ||
              start.outcome.kind === 'no-route';
            expect(ok, `${when}: ${start.table} ${start.vip} -> ${JSON.stringify(start.outcome)}`).toBe(true);
          }
        };

        for (const wave of batchesInOrder(changes)) {
          for (const change of wave) {
            world = applied(world, [change]);
            safe(`after ${change.step} wave ${change.wave} ${change.table}`);
          }
        }

        expect(trace(topology, world, to).converged).toBe(true);
      }),
      RUNS,
    );
  });
});

describe('desiredRoutes', () => {
  it('does not depend on the order of the peering list or of the TGWs inside a peering', () => {
    const reordered = topologyArb.chain((topology) =>
      fc
        .tuple(
          fc.shuffledSubarray(topology.peerings, {
            minLength: topology.peerings.length,
            maxLength: topology.peerings.length,
          }),
          fc.array(fc.boolean(), {
            minLength: topology.peerings.length,
            maxLength: topology.peerings.length,
          }),
          fc.constantFrom(...Object.keys(topology.nodes)),
        )
        .map(([peerings, swaps, node]) => ({
          topology,
          node,
          shuffled: {
            ...topology,
            peerings: peerings.map((p, i) =>
              swaps[i] ? { ...p, between: [p.between[1], p.between[0]] as [string, string] } : p,
            ),
          },
        })),
    );
    const sorted = (routes: ReturnType<typeof desiredRoutes>) =>
      [...routes].sort((a, b) => `${a.table}|${a.vip}`.localeCompare(`${b.table}|${b.vip}`));

    fc.assert(
      fc.property(reordered, ({ topology, shuffled, node }) => {
        expect(sorted(desiredRoutes(shuffled, node))).toEqual(sorted(desiredRoutes(topology, node)));
      }),
      RUNS,
    );
  });
});

describe('trace on any state', () => {
  it('ends for every start, visiting each table at most once', () => {
    fc.assert(
      fc.property(withState, ({ topology, to, observation }) => {
        const result = trace(topology, observation, to);

        expect(result.starts).toHaveLength(tablesOf(topology).length * topology.vips.length);
        for (const start of result.starts) {
          const tables = start.hops.filter((h) => h.startsWith('rtb-') || h.startsWith('tgw-rtb-'));
          const distinct = new Set(tables).size;
          expect(distinct).toBe(start.outcome.kind === 'loop' ? tables.length - 1 : tables.length);
        }
      }),
      RUNS,
    );
  });
});
