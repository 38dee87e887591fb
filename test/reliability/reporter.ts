/**
 * The table `npm run test:reliability` prints after the run: one row per scenario of
 * test/reliability, with its outcome, whether the invariants held, and how long it took. The rows
 * come from `task.meta.reliability` (see harness.ts `record`); a failed test shows as FAILED.
 */
import type { Reporter, TestModule } from 'vitest/node';
import type { ScenarioSummary } from './harness';

const seconds = (ms: number | undefined) => (ms === undefined ? '-' : `${(ms / 1000).toFixed(1)} s`);

export default class ReliabilityReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const rows: string[][] = [];
    for (const module of testModules) {
      if (!module.moduleId.includes('/test/reliability/')) continue;
      for (const test of module.children.allTests()) {
        const meta = test.meta() as { reliability?: ScenarioSummary };
        const state = test.result().state;
        const summary = meta.reliability;
        if (state === 'skipped' || state === 'pending') continue;
        rows.push([
          summary?.scenario ?? test.name,
          state === 'passed' ? (summary?.outcome ?? 'passed') : 'TEST FAILED',
          state === 'passed' ? (summary?.invariants ?? '-') : 'not established',
          seconds(test.diagnostic()?.duration),
        ]);
      }
    }
    if (rows.length === 0) return;
    const header = ['SCENARIO', 'OUTCOME', 'INVARIANTS', 'TIME'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
    const line = (cells: readonly string[]) =>
      cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ');
    process.stdout.write(`\nReliability\n${line(header)}\n${rows.map(line).join('\n')}\n\n`);
  }
}
