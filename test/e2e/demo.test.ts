/** `vipctl demo` (what `npm start` runs) as a child process: the whole story, exit 0. */
import { beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, closedPort, ensureBuilt, vipctl } from './local-harness';

beforeAll(() => {
  ensureBuilt();
});

describe('vipctl demo', () => {
  it('tells the whole story on local AWS and exits 0', async () => {
    const { code, stdout, stderr } = await vipctl(['demo'], cleanEnv());

    expect(stderr).not.toContain('demo: step');
    expect(code).toBe(0);
    const headings = stdout.split('\n').filter((line) => line.startsWith('── '));
    expect(headings).toEqual([
      '── 1. start local AWS',
      '── 2. status: where does each VPC send the VIP?',
      '── 3. failover --to server-b: the cluster moves the service',
      '── 4. status again',
      '── 5. check --active server-b: the cluster monitor',
      '── 6. check --active self, as the node itself',
      "── 7. check --active server-a: the old node's monitor",
      '── 8. runs: the audit trail',
      '── 9. show --last: one run as a timeline',
      '── 10. rollback --last --yes: put the routes back',
      '── 11. drill --to all: would a failover work, right now?',
      '── 12. drill --to server-b with its instance stopped',
      '── 13. stop local AWS',
    ]);
    expect(stdout).toMatch(/server-a\s+us-east-1\s+READY/);
    expect(stdout).toContain(
      '  - precondition: instance i-0b8d3f5a7c9e2b4d6 of server-b: state stopped, not running (start it first)',
    );
    // The failover and the rollback both ran the workflow to the end.
    expect(stdout).toContain('SUCCEEDED in');
    expect(stdout).toContain('converged: every VIP route leads to server-b');
    expect(stdout).toMatch(/rollback of server-b-\d{8}T\d{9}/);
    expect(stdout).toContain('stopped.');
  });

  it("ignores the caller's AWS profile and endpoints: the demo only talks to its own local AWS", async () => {
    const nothing = await closedPort();

    const { code } = await vipctl(
      ['demo'],
      cleanEnv({ AWS_PROFILE: 'no-such-profile', AWS_ENDPOINT_URL: `http://127.0.0.1:${nothing}` }),
    );

    expect(code).toBe(0);
  });
});
