/** `vipctl demo` in process: a step that does not end as the story expects fails the demo, by name. */
import { describe, expect, it } from 'vitest';
import { demoSteps } from '../../cli/commands/demo';
import { run } from '../../cli/program';
import { worldFor } from './harness';

describe('vipctl demo', () => {
  it('exits 1 and names the step whose exit code is not the expected one', async () => {
    let stdout = '';
    let stderr = '';
    // Routes that never move: status and failover still pass, the monitor of the new node does not.
    const code = await run(
      ['demo'],
      {
        stdout: { write: (s: string) => (stdout += s) },
        stderr: { write: (s: string) => (stderr += s) },
        isTTY: false,
        env: { VIPCTL_JOURNAL: process.env.VIPCTL_JOURNAL },
        cwd: process.cwd(),
      },
      { readWorld: async () => worldFor('server-a') },
    );

    expect(code).toBe(1);
    expect(stderr).toContain('demo: step 5 (vipctl check --active server-b) exited 1, expected 0');
    // Local AWS is stopped even so, and no later step ran.
    expect(stdout).toContain('stop local AWS');
    expect(stdout).not.toContain('runs: the audit trail');
  });

  it('expects the old node to fail its check, the drill of a stopped standby to be NOT READY, and every other step to succeed', () => {
    const steps = demoSteps('server-a', 'server-b');

    expect(steps.filter((s) => s.expect !== 0).map((s) => s.argv.join(' '))).toEqual([
      'check --active server-a',
      'drill --to server-b',
    ]);
    expect(steps.find((s) => s.stopped)?.stopped).toBe('server-b');
    expect(steps.find((s) => s.argv.includes('self'))?.self).toBe('server-b');
  });
});
