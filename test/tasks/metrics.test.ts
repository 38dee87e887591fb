import { describe, expect, it } from 'vitest';
import type { TaskInput } from '../../tasks/contracts';
import { NotConvergedError, NotReadyError, RouteUpdateFailedError } from '../../tasks/errors';
import { runMetricsOf } from '../../tasks/metrics';
import { loadTopology } from '../../tasks/topology';

const topology = await loadTopology('examples/two-region.yaml');
const execution = {
  id: 'arn:aws:states:us-east-1:123456789012:execution:vip-failover-orders-db:drill-server-b-x',
  startTime: '2026-11-25T12:00:00.000Z',
};
const NOW = new Date('2026-11-25T12:00:04.500Z');
const verifyOf = (mode: 'drill' | 'failover') =>
  ({
    task: 'verify',
    topology,
    plan: { mode, target: 'server-b' },
    applied: {},
    execution,
  }) as unknown as TaskInput;

describe('run metrics', () => {
  it('reports Ready 1 and the drill duration when a drill verifies READY', () => {
    expect(runMetricsOf(verifyOf('drill'), { ok: true, value: {} }, NOW)).toEqual({
      cluster: 'orders-db',
      node: 'server-b',
      measurements: [
        { name: 'Ready', unit: 'Count', value: 1 },
        { name: 'DrillDuration', unit: 'Milliseconds', value: 4500 },
      ],
    });
  });

  it('reports Ready 0 when a drill is NOT READY, even from its plan', () => {
    const plan = {
      task: 'plan',
      topology,
      input: { target: 'server-b', mode: 'drill' },
      execution,
    } as unknown as TaskInput;
    const metrics = runMetricsOf(plan, { ok: false, error: new NotReadyError('x') }, NOW);
    expect(metrics?.measurements[0]).toEqual({ name: 'Ready', unit: 'Count', value: 0 });
  });

  it('reports the outcome and duration of a failover, and nothing while verification is retried', () => {
    const failed = runMetricsOf(
      verifyOf('failover'),
      { ok: false, error: new RouteUpdateFailedError('x') },
      NOW,
    );
    expect(failed?.measurements).toEqual([
      { name: 'FailoverSucceeded', unit: 'Count', value: 0 },
      { name: 'FailoverDuration', unit: 'Milliseconds', value: 4500 },
    ]);
    expect(
      runMetricsOf(verifyOf('failover'), { ok: false, error: new NotConvergedError('x') }, NOW),
    ).toBeUndefined();
  });

  it('reports nothing for a node the topology does not know, nor for a plan that succeeded', () => {
    const plan = (target: string) =>
      ({ task: 'plan', topology, input: { target, mode: 'drill' }, execution }) as unknown as TaskInput;
    expect(runMetricsOf(plan('nobody'), { ok: false, error: new Error('x') }, NOW)).toBeUndefined();
    expect(runMetricsOf(plan('server-b'), { ok: true, value: {} }, NOW)).toBeUndefined();
  });
});
