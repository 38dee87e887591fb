import { describe, expect, it } from 'vitest';
import { SupersededError } from '../../tasks/errors';
import type { ChangeResult, SnapshotRoute } from '../../tasks/plan';
import { assertSnapshotHolds, driftSince } from '../../tasks/snapshot-guard';
import type { Observation, ObservedRoute } from '../../tasks/world';

const VIP = '172.16.0.1/32';
const snap = (
  table: string,
  target: string | null,
  state: SnapshotRoute['state'] = 'active',
): SnapshotRoute => ({
  table,
  kind: 'vpc',
  region: 'us-east-1',
  vip: VIP,
  target,
  state,
});
const seen = (
  table: string,
  target: string | null,
  state: ObservedRoute['state'] = 'active',
): ObservedRoute => ({
  table,
  vip: VIP,
  target,
  state,
});
const world = (...routes: ObservedRoute[]): Observation => ({
  routes,
  health: { attachments: {}, networkInterfaces: {}, instances: {} },
  unreachable: [],
});
const wrote = (table: string, target: string, result: ChangeResult['result'] = 'applied'): ChangeResult => ({
  table,
  kind: 'vpc',
  region: 'us-east-1',
  vip: VIP,
  step: 'local-vpc',
  previous: 'eni-old',
  target,
  result,
  action: 'replace',
  attempts: 1,
});

describe('the snapshot guard of direct runs', () => {
  it('finds no drift when the routes are as planned, or as this run wrote them', () => {
    const snapshot = [snap('rtb-1', 'eni-old'), snap('rtb-2', 'tgw-a'), snap('rtb-3', null, 'missing')];

    const drift = driftSince(
      snapshot,
      [wrote('rtb-1', 'eni-new')],
      world(seen('rtb-1', 'eni-new'), seen('rtb-2', 'tgw-a'), seen('rtb-3', null, 'missing')),
    );

    expect(drift).toEqual([]);
  });

  it('reports a route another writer changed, created, or changed back after this run wrote it', () => {
    const snapshot = [snap('rtb-1', 'eni-old'), snap('rtb-2', 'tgw-a'), snap('rtb-3', null, 'missing')];

    const drift = driftSince(
      snapshot,
      [wrote('rtb-1', 'eni-new')],
      world(seen('rtb-1', 'eni-old'), seen('rtb-2', 'tgw-b'), seen('rtb-3', 'tgw-a')),
    );

    expect(drift.map((d) => [d.table, d.expected, d.found])).toEqual([
      ['rtb-1', 'eni-new', 'eni-old'],
      ['rtb-2', 'tgw-a', 'tgw-b'],
      ['rtb-3', null, 'tgw-a'],
    ]);
  });

  it('does not judge routes of regions that could not be read, nor a route that only turned blackhole', () => {
    const snapshot = [snap('rtb-1', 'eni-old', 'unknown'), snap('rtb-2', 'tgw-a'), snap('rtb-3', 'tgw-a')];

    const drift = driftSince(
      snapshot,
      [wrote('rtb-2', 'tgw-b', 'failed')],
      world(seen('rtb-1', 'eni-x'), seen('rtb-2', 'tgw-a', 'unknown'), seen('rtb-3', 'tgw-a', 'blackhole')),
    );

    expect(drift).toEqual([]);
  });

  it('throws Superseded naming the changed route and the step it stops before', () => {
    const act = () =>
      assertSnapshotHolds(
        [snap('rtb-2', 'tgw-a')],
        [],
        world(seen('rtb-2', 'tgw-b')),
        'UpdateTgwRouteTables',
      );

    expect(act).toThrow(SupersededError);
    expect(act).toThrow(
      /stops before UpdateTgwRouteTables[\s\S]*rtb-2 \(us-east-1\) 172\.16\.0\.1\/32: tgw-a -> tgw-b/,
    );
  });
});
