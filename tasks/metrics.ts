/**
 * The run metrics of DESIGN section 9, as plain data: what one task invocation reports, given its input
 * and how it ended. Pure; the Lambda entry publishes them in the Embedded Metric Format (Powertools).
 */
import type { TaskInput } from './contracts';
import { ErrorName } from './errors';

export const METRIC_NAMESPACE = 'TgwVipFailover';

export const MetricName = {
  /** 1 when a drill ended READY, 0 when NOT READY (per cluster and node). */
  Ready: 'Ready',
  DrillDuration: 'DrillDuration',
  FailoverDuration: 'FailoverDuration',
  /** The outcome of a failover (or restore): 1 succeeded (or DEGRADED), 0 failed. */
  FailoverSucceeded: 'FailoverSucceeded',
} as const;
export type MetricName = (typeof MetricName)[keyof typeof MetricName];

export interface Measurement {
  readonly name: MetricName;
  readonly unit: 'Count' | 'Milliseconds';
  readonly value: number;
}

/** What one task reports: dimensions cluster and node, and its measurements (often none). */
export interface RunMetrics {
  readonly cluster: string;
  readonly node: string;
  readonly measurements: readonly Measurement[];
}

export type TaskEnd =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: unknown };

/** Errors after which the run goes on (retried by the state machine): no outcome yet. */
const NOT_AN_OUTCOME = new Set<string>([ErrorName.NotConverged]);

/**
 * The metrics of a run's end, or undefined when this task did not end the run. A run ends in Verify, or
 * in the first task that fails with an error the state machine does not retry.
 */
export function runMetricsOf(input: TaskInput, end: TaskEnd, now: Date): RunMetrics | undefined {
  const { mode, target } = modeAndTarget(input);
  if (!target || !Object.hasOwn(input.topology.nodes, target)) return undefined;
  const errorName = end.ok ? undefined : end.error instanceof Error ? end.error.name : undefined;
  if (end.ok && input.task !== 'verify') return undefined;
  if (errorName !== undefined && NOT_AN_OUTCOME.has(errorName)) return undefined;
  const ms = Math.max(0, now.getTime() - new Date(input.execution.startTime).getTime());
  const base = { cluster: input.topology.cluster, node: target };
  if (mode === 'drill') {
    return {
      ...base,
      measurements: [
        { name: MetricName.Ready, unit: 'Count', value: end.ok ? 1 : 0 },
        { name: MetricName.DrillDuration, unit: 'Milliseconds', value: ms },
      ],
    };
  }
  return {
    ...base,
    measurements: [
      { name: MetricName.FailoverSucceeded, unit: 'Count', value: end.ok ? 1 : 0 },
      { name: MetricName.FailoverDuration, unit: 'Milliseconds', value: ms },
    ],
  };
}

function modeAndTarget(input: TaskInput): { mode: string | undefined; target: string | undefined } {
  if (input.task !== 'plan') return { mode: input.plan.mode, target: input.plan.target };
  // The plan's input is not validated yet: only plain strings are taken from it.
  const raw = input.input;
  const field = (key: string) => {
    if (typeof raw !== 'object' || raw === null || !Object.hasOwn(raw, key)) return undefined;
    const value: unknown = (raw as Record<string, unknown>)[key];
    return typeof value === 'string' ? value : undefined;
  };
  return { mode: field('mode'), target: field('target') };
}
