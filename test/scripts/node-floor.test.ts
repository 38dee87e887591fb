/**
 * The cluster-node artifact's own Node.js requirement is separate from the development one: the
 * bundle's syntax target (scripts/package.mjs) and install.sh's check name the same major version, and
 * that version is the one this suite runs the artifact on (test/e2e/package.test.ts), so the floor is
 * tested, not only declared.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

describe("the cluster node's Node.js floor", () => {
  const targets = [...read('scripts/package.mjs').matchAll(/target: 'node(\d+)'/g)].map((m) => Number(m[1]));
  const install = read('scripts/node/install.sh');
  const checked = Number(/"\$major" -lt (\d+)/.exec(install)?.[1]);

  it('is one version in the bundle target and in install.sh', () => {
    expect(targets.length).toBeGreaterThan(0);
    expect(new Set(targets)).toEqual(new Set([checked]));
    expect(install).toContain(`Node.js ${checked} or later is needed`);
  });

  it('is no higher than the Node.js that runs these tests, which runs the artifact', () => {
    expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(checked);
  });
});
