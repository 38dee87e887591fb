/**
 * A clock a test can hold still: while frozen, no time passes for whoever reads it (retry budgets
 * never run out); on resume it jumps ahead, so every deadline set while frozen is past at once.
 * Tests decide when a budget is spent instead of racing it against the machine's speed.
 */
export class TestClock {
  private offset = 0;
  private frozenAt: number | undefined;

  /** Milliseconds, like Date.now. */
  readonly now = (): number => this.frozenAt ?? Date.now() + this.offset;

  freeze(): void {
    this.frozenAt = this.now();
  }

  /** Runs again, `jumpMs` ahead of where it stopped (make it at least the longest budget). */
  resume(jumpMs: number): void {
    if (this.frozenAt === undefined) return;
    this.offset = this.frozenAt + jumpMs - Date.now();
    this.frozenAt = undefined;
  }
}
