/**
 * A Vitest reporter beside the default one: at the end of a run, every test skipped for a missing
 * requirement (test/support/requirements.ts), with its reason, so that a green `npm test` still says
 * what it did not run.
 */
import type { Reporter, TestModule } from 'vitest/node';

const MARK = /\[skipped: (.+)\]$/;

export default class SkipReporter implements Reporter {
  onTestRunEnd(testModules: readonly TestModule[]): void {
    const lines: string[] = [];
    for (const module of testModules)
      for (const test of module.children.allTests()) {
        const reason = MARK.exec(test.name)?.[1];
        if (reason && test.result().state === 'skipped')
          lines.push(
            `  ${module.moduleId.replace(`${process.cwd()}/`, '')} > ${test.name.replace(MARK, '').trim()}\n      ${reason}`,
          );
      }
    if (lines.length === 0) return;
    process.stdout.write(
      `\nSkipped for missing requirements (npm run setup:system installs them):\n${lines.join('\n')}\n\n`,
    );
  }
}
