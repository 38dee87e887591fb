/**
 * The compact form of a restore's routes (ExecutionInput `restore.targets`): VIP -> target -> tables.
 * A snapshot route costs about 130 bytes of JSON; here it costs its table ID, so the restore of a
 * 2,000-route run fits the execution input with room to spare (tasks/state-size.ts).
 */
import type { RestoreTargets } from './contracts';
import type { SnapshotRoute } from './plan';
import { tablesOf } from './routing';
import type { Topology } from './topology';

/** The restorable routes of `snapshot` (a target, and a state other than missing or unknown). */
export function encodeRestoreTargets(snapshot: readonly SnapshotRoute[]): RestoreTargets {
  const targets: RestoreTargets = {};
  for (const route of snapshot) {
    if (route.target === null || route.state === 'missing' || route.state === 'unknown') continue;
    const byTarget = targets[route.vip] ?? {};
    const tables = byTarget[route.target];
    if (tables) tables.push(route.table);
    else byTarget[route.target] = [route.table];
    targets[route.vip] = byTarget;
  }
  return targets;
}

/**
 * The snapshot routes `targets` stands for, kind and region taken from the topology. Tables the
 * topology does not know are returned as problems (with their path), never guessed.
 */
export function decodeRestoreTargets(
  topology: Topology,
  targets: RestoreTargets,
): { routes: SnapshotRoute[]; problems: string[] } {
  const tables = new Map(tablesOf(topology).map((t) => [t.table, t]));
  const routes: SnapshotRoute[] = [];
  const problems: string[] = [];
  for (const [vip, byTarget] of Object.entries(targets)) {
    for (const [target, ids] of Object.entries(byTarget)) {
      ids.forEach((id, i) => {
        const table = tables.get(id);
        if (!table) {
          problems.push(
            `input.restore.targets.${vip}.${target}[${i}]: ${id} is not a route table of cluster ${topology.cluster}`,
          );
          return;
        }
        routes.push({ table: id, kind: table.kind, region: table.region, vip, target, state: 'active' });
      });
    }
  }
  return { routes, problems };
}
