/**
 * The live step list shown while a run is followed. Piped: one plain line per finished step, e.g.
 * `UpdateTgwRouteTables  2 changed, 0 unchanged  312 ms`. On a terminal, the running step also
 * shows a spinner line that is rewritten in place.
 */
import type { StepRecord } from '../runs/executions';
import type { Style } from './style';
import { duration, plural } from './text';

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const APPLIED_KEYS: Record<string, string> = {
  UpdateLocalVpcRoutes: 'localVpc',
  UpdateTgwRouteTables: 'tgw',
  UpdateRemoteVpcRoutes: 'remoteVpc',
};

const record = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;

/** What one finished step did, in a few words. */
export function stepSummary(step: StepRecord): string {
  if (step.failure) return `failed: ${step.failure.error}`;
  const output = record(step.output);
  if (step.name === 'Plan') {
    const summary = record(record(output?.plan)?.summary);
    const changes = record(summary?.changes);
    if (changes) {
      const total = Object.values(changes).reduce<number>((n, c) => n + (typeof c === 'number' ? c : 0), 0);
      return `${plural(total, 'change')}, ${Number(summary?.unchanged ?? 0)} unchanged`;
    }
  }
  const key = APPLIED_KEYS[step.name];
  if (key) {
    const applied = record(record(output?.applied)?.[key]);
    if (typeof applied?.applied === 'number') {
      const failed = Number(applied.failureCount ?? 0);
      return `${applied.applied} changed, ${Number(applied.alreadyRight ?? 0)} unchanged${failed ? `, ${failed} failed` : ''}${pacingText(applied?.pacing)}`;
    }
  }
  if (step.name === 'VerifyReachability') {
    const verify = record(output?.verify);
    if (typeof verify?.status === 'string') return `reachable (${verify.status})`;
  }
  return '';
}

/** `, paced: 200 ReplaceRoute in ap-southeast-1 at 5/s (longest wait 5.2 s)` per bucket that made writes wait. */
function pacingText(pacing: unknown): string {
  if (!Array.isArray(pacing)) return '';
  return pacing
    .map(record)
    .flatMap((p) => {
      if (!p || typeof p.waitedWrites !== 'number' || typeof p.longestWaitMs !== 'number') return [];
      const rate = typeof p.refillPerSecond === 'number' ? ` at ${p.refillPerSecond}/s` : '';
      return [
        `, paced: ${p.waitedWrites} ${String(p.action)} in ${String(p.region)}${rate} (longest wait ${duration(p.longestWaitMs)})`,
      ];
    })
    .join('');
}

export const stepDuration = (step: StepRecord): number | undefined =>
  step.exitedAt ? step.exitedAt.getTime() - step.enteredAt.getTime() : undefined;

/** Prints each step once, when it finishes; shows the running step with a spinner on a terminal. */
export class StepPrinter {
  private printed = 0;
  private frame = 0;
  private spinning = false;

  constructor(
    private readonly write: (text: string) => void,
    private readonly style: Style,
    private readonly live: boolean,
  ) {}

  update(steps: readonly StepRecord[]): void {
    this.clearSpinner();
    const shown = steps.filter((s) => s.type !== 'Choice');
    // Only finished steps are printed, in order: a running step blocks the ones after it.
    while (this.printed < shown.length) {
      const step = shown[this.printed];
      if (!step?.exitedAt && !step?.failure) break;
      this.write(`${this.line(step)}\n`);
      this.printed++;
    }
    const running = shown[this.printed];
    if (this.live && running) {
      this.frame = (this.frame + 1) % SPINNER.length;
      this.write(`${this.style.cyan(SPINNER[this.frame] ?? '')} ${running.name}`);
      this.spinning = true;
    }
  }

  finish(): void {
    this.clearSpinner();
  }

  private clearSpinner(): void {
    if (this.spinning) this.write('\r\u001b[2K');
    this.spinning = false;
  }

  private line(step: StepRecord): string {
    const ms = stepDuration(step);
    const summary = stepSummary(step);
    const mark = this.live ? `${step.failure ? this.style.red('✗') : this.style.green('✓')} ` : '';
    return [`${mark}${step.name.padEnd(24)}`, summary.padEnd(28), ms === undefined ? '' : duration(ms)]
      .join('  ')
      .trimEnd();
  }
}
