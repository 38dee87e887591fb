/**
 * The latency model's lower bound for a failover, from the model parameters of local/models.ts:
 * what the work would cost if every wave were perfectly concurrent and nothing else ran.
 */
import type { ModelSettings } from '../local/index';

export interface FailoverWork {
  /** The region the task function runs in (the target's region). */
  readonly origin: string;
  /** Every region the Plan and Verify waves read. */
  readonly readRegions: readonly string[];
  /** The regions each write step writes to (steps without changes are left out). */
  readonly writeSteps: readonly (readonly string[])[];
  /** State transitions of one execution. */
  readonly transitions: number;
  /** Lambda cold starts on the critical path. */
  readonly coldStarts: number;
}

export interface LowerBound {
  readonly readWaveMs: number;
  readonly writeWavesMs: number;
  readonly verifyWaveMs: number;
  readonly coldStartMs: number;
  readonly transitionsMs: number;
  readonly totalMs: number;
}

/** Round trip from `origin` to `region` under the model (same rule as LocalModels.latencyMs). */
export function latencyMs(settings: ModelSettings, region: string, origin: string): number {
  if (region === origin) return settings.latency.withinRegionMs;
  const key = [origin, region].sort().join('|');
  return settings.latency.pairs[key] ?? settings.latency.crossRegionMs;
}

const slowest = (values: readonly number[]): number => (values.length === 0 ? 0 : Math.max(...values));

/**
 * One read wave on new connections (TLS setup), each write step as one concurrent wave and one
 * verify read wave on the warm connections, one cold start and the transitions.
 */
export function failoverLowerBound(settings: ModelSettings, work: FailoverWork): LowerBound {
  const rtt = (region: string) => latencyMs(settings, region, work.origin);
  const readWaveMs = slowest(work.readRegions.map((r) => rtt(r) * (1 + settings.tlsHandshakeRtts)));
  const writeWavesMs = work.writeSteps.reduce((sum, regions) => sum + slowest(regions.map(rtt)), 0);
  const verifyWaveMs = slowest(work.readRegions.map(rtt));
  const coldStartMs = work.coldStarts * settings.coldStartMs;
  const transitionsMs = work.transitions * settings.transitionMs;
  return {
    readWaveMs,
    writeWavesMs,
    verifyWaveMs,
    coldStartMs,
    transitionsMs,
    totalMs: readWaveMs + writeWavesMs + verifyWaveMs + coldStartMs + transitionsMs,
  };
}

// The token-bucket bounds live with the plan's warning (tasks/write-rate.ts): one definition for both.
export { type Bucket, orderedTokenBucketBoundMs, tokenBucketBoundMs } from '../tasks/write-rate';
