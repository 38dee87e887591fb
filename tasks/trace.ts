/**
 * Reachability, pure: from every listed VPC and TGW route table, follow the VIP route hop by hop
 * (VPC table -> TGW -> (peering -> TGW)* -> VPC attachment -> that VPC's table -> ENI) and check the
 * health of everything on the way. See DESIGN section 2.
 */
import { z } from 'zod';
import type { Topology } from './topology';
import type { Observation } from './world';
import { TableKind } from './world';

export const Outcome = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('arrives'), node: z.string() }),
  z.strictObject({ kind: z.literal('loop'), cycle: z.array(z.string()) }),
  z.strictObject({ kind: z.literal('blackhole'), at: z.string() }),
  z.strictObject({ kind: z.literal('no-route'), at: z.string() }),
  /** The route sends the VIP to something the topology does not describe. */
  z.strictObject({ kind: z.literal('leaves'), at: z.string(), target: z.string() }),
  /** A table on the path sits in a region that could not be read. */
  z.strictObject({ kind: z.literal('unknown'), at: z.string(), region: z.string() }),
]);
export type Outcome = z.infer<typeof Outcome>;

export const TraceStart = z.strictObject({
  table: z.string(),
  kind: TableKind,
  region: z.string(),
  /** The topology key of the VPC or TGW that owns the starting table. */
  owner: z.string(),
  vip: z.string(),
  /** IDs visited, starting with the table itself, e.g. [rtb-…, tgw-…, tgw-rtb-…, tgw-attach-…, …, eni-…]. */
  hops: z.array(z.string()),
  outcome: Outcome,
});
export type TraceStart = z.infer<typeof TraceStart>;

export const HealthProblem = z.strictObject({
  resource: z.string(),
  problem: z.string(),
});
export type HealthProblem = z.infer<typeof HealthProblem>;

export const Trace = z.strictObject({
  /** The node the trace expects every start to arrive at. */
  node: z.string(),
  converged: z.boolean(),
  starts: z.array(TraceStart),
  health: z.array(HealthProblem),
});
export type Trace = z.infer<typeof Trace>;

/**
 * Traces every (listed table, VIP) and checks the health of the active node's path.
 * Converged only if every start arrives at `activeNode` and there is no health problem.
 */
export function trace(topology: Topology, observation: Observation, activeNode: string): Trace {
  void topology;
  void observation;
  void activeNode;
  throw new Error('not implemented');
}
