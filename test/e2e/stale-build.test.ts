/** The e2e harness rebuilds dist/ when a source is newer than the build, not only when dist/ is missing. */
import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { newerSource } from './local-harness';

describe('newerSource', () => {
  const root = mkdtempSync(join(tmpdir(), 'vipctl-sources-'));
  mkdirSync(join(root, 'cli', 'commands'), { recursive: true });
  const file = join(root, 'cli', 'commands', 'failover.ts');
  writeFileSync(file, 'export {};\n');
  const at = (path: string, ms: number) => utimesSync(path, ms / 1000, ms / 1000);

  it('finds a source modified after the build, however deep', () => {
    at(file, 2_000_000);

    expect(newerSource(root, ['cli', 'package.json'], 1_000_000)).toBe(file);
  });

  it('finds none when every source is older than the build', () => {
    at(file, 1_000_000);

    expect(newerSource(root, ['cli', 'package.json'], 2_000_000)).toBeUndefined();
  });
});
