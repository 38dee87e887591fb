/**
 * The execution-name convention of DESIGN section 5: `<target>-<requestedAt as yyyymmddThhmmssSSS>`.
 * Standard executions dedupe by name, so a retried start of the same request is idempotent.
 * Shared by the CLI (which names executions) and the tasks (which read them back).
 */
import { partitionOf } from './partition';

/** Drills are named `drill-<target>-<stamp>`, so a listing tells them apart without reading their input. */
export const DRILL_PREFIX = 'drill-';

/** Whether an execution name is a drill's. */
export const isDrillName = (name: string): boolean => name.startsWith(DRILL_PREFIX);

/** The name for a run to `target` requested at `requestedAt` (ISO 8601); a drill's starts with `drill-`. */
export function executionName(target: string, requestedAt: string, mode?: 'failover' | 'drill'): string {
  const at = new Date(requestedAt);
  if (Number.isNaN(at.getTime())) throw new Error(`requestedAt ${requestedAt} is not an ISO 8601 timestamp`);
  const iso = at.toISOString(); // 2026-11-25T12:03:56.123Z
  const stamp = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}${iso.slice(20, 23)}`;
  return `${mode === 'drill' ? DRILL_PREFIX : ''}${target}-${stamp}`;
}

const NAME = /^(.+)-(\d{8}T\d{9})$/;

/** The target and request time encoded in an execution name, or undefined if it does not follow the convention. */
export function parseExecutionName(
  name: string,
): { target: string; requestedAt: string; drill: boolean } | undefined {
  const drill = isDrillName(name);
  const match = NAME.exec(drill ? name.slice(DRILL_PREFIX.length) : name);
  if (!match) return undefined;
  const [, target, s] = match as unknown as [string, string, string];
  const requestedAt = `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}T${s.slice(9, 11)}:${s.slice(11, 13)}:${s.slice(13, 15)}.${s.slice(15, 18)}Z`;
  return Number.isNaN(new Date(requestedAt).getTime()) ? undefined : { target, requestedAt, drill };
}

/** `vip-failover-<cluster>`: the state machine's name in every region. */
export const stateMachineName = (cluster: string): string => `vip-failover-${cluster}`;

/** The ARN of the cluster's state machine in `region`, in that region's partition unless one is given. */
export const stateMachineArn = (
  cluster: string,
  region: string,
  account: string,
  partition = partitionOf(region),
): string => `arn:${partition}:states:${region}:${account}:stateMachine:${stateMachineName(cluster)}`;
