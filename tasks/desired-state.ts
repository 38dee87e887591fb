/**
 * What a run wants the routes to look like: a failover computes it from the routing rule, a restore
 * takes it from the snapshot of an earlier run. Plan, apply and verify all derive it the same way.
 */
import type { ExecutionInput } from './contracts';
import { restoreRoutes, type SnapshotRoute } from './plan';
import { decodeRestoreTargets } from './restore-targets';
import { type DesiredRoute, desiredRoutes } from './routing';
import type { Topology } from './topology';

export type RunMode = 'failover' | 'restore' | 'drill';

export interface DesiredState {
  readonly mode: RunMode;
  readonly desired: DesiredRoute[];
  /** Restore only: snapshot routes that cannot be restored. */
  readonly skipped: SnapshotRoute[];
}

export function desiredState(topology: Topology, request: ExecutionInput): DesiredState {
  if (request.restore) {
    const routes =
      'routes' in request.restore
        ? request.restore.routes
        : decodeRestoreTargets(topology, request.restore.targets).routes;
    const { desired, skipped } = restoreRoutes(topology, routes);
    return { mode: 'restore', desired, skipped };
  }
  // A drill wants exactly what a failover to its target wants; only its writes are dry runs.
  const mode = request.mode === 'drill' ? 'drill' : 'failover';
  return { mode, desired: desiredRoutes(topology, request.target), skipped: [] };
}
