/**
 * The requirements gate as a newcomer and CI meet it: a test whose system package is missing is
 * skipped with its reason in the summary, and the run passes; under CI=true the same run fails and
 * names the package. Each case is a child Vitest run of a one-test file (test/support/gate).
 */
import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url).pathname;

function gateRun(env: Record<string, string>): Promise<{ code: number; out: string }> {
  const { CI: _ci, ...rest } = process.env;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['node_modules/vitest/vitest.mjs', 'run', '--config', 'test/support/gate/vitest.gate.config.mts'],
      { cwd: ROOT, env: { ...rest, ...env, NO_COLOR: '1' }, timeout: 240_000 },
      (error, stdout, stderr) =>
        resolve({
          code: error ? (typeof error.code === 'number' ? error.code : -1) : 0,
          out: `${stdout}${stderr}`,
        }),
    );
  });
}

describe('tests that need what this machine lacks', () => {
  it('are skipped with their reason in the summary, and the run passes, outside CI', async () => {
    const run = await gateRun({});

    expect(run.code, run.out).toBe(0);
    expect(run.out).toContain('Skipped for missing requirements');
    expect(run.out).toContain('tvf-no-such-tool not found: install tvf-no-such-package');
  });

  it('fail under CI=true, naming the missing package', async () => {
    const run = await gateRun({ CI: 'true' });

    expect(run.code).toBe(1);
    expect(run.out).toContain(
      'CI=true requires this test to run, but tvf-no-such-tool not found: install tvf-no-such-package',
    );
  });
});
