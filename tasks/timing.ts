/** How long a task took, as the contract's `Timing` and as milliseconds. */
import type { Timing } from './contracts';

export const timingOf = (startedAt: Date, finishedAt: Date): Timing => ({
  startedAt: startedAt.toISOString(),
  finishedAt: finishedAt.toISOString(),
});

export const durationMs = (timing: Timing): number =>
  Math.max(0, new Date(timing.finishedAt).getTime() - new Date(timing.startedAt).getTime());
