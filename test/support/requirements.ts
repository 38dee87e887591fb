/**
 * Tests that need something this machine may lack: root, network namespaces, a system package.
 *
 * Where a requirement is missing, the test is skipped and its reason is printed in the summary, so
 * `npm test` on a fresh machine passes and says what it did not run. Under `CI=true` the same absence
 * is a failure: `.ci/run` installs every system package (`npm run setup:system`), so a skip there would
 * hide a test that CI promises to run.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { it as vitestIt } from 'vitest';

/** One thing a test needs; `missing()` says what is missing and how to get it, or undefined. */
export interface Requirement {
  readonly name: string;
  missing(): string | undefined;
}

function onPath(command: string): boolean {
  if (command.includes('/')) return executable(command);
  return (process.env.PATH ?? '')
    .split(delimiter)
    .some((dir) => dir !== '' && executable(join(dir, command)));
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Commands (names on PATH, or absolute paths) that Debian packages provide. */
export function commands(names: readonly string[], packages: readonly string[]): Requirement {
  return {
    name: names.join(', '),
    missing() {
      const absent = names.filter((name) => !onPath(name));
      if (absent.length === 0) return undefined;
      return `${absent.join(', ')} not found: install ${packages.join(' ')} (npm run setup:system)`;
    },
  };
}

/** Files (agent libraries, schemas) that Debian packages provide. */
export function files(paths: readonly string[], packages: readonly string[]): Requirement {
  return {
    name: paths.join(', '),
    missing() {
      const absent = paths.filter((path) => !existsSync(path));
      if (absent.length === 0) return undefined;
      return `${absent.join(', ')} not found: install ${packages.join(' ')} (npm run setup:system)`;
    },
  };
}

/** Root, or at least CAP_NET_ADMIN and CAP_SYS_ADMIN (namespaces, mounts). */
export function root(): Requirement {
  return {
    name: 'root',
    missing: () => (process.getuid?.() === 0 ? undefined : 'needs root (run the tests as root, as CI does)'),
  };
}

let netnsVerdict: { reason: string | undefined } | undefined;
/** Network namespaces can be made here: `ip netns add` succeeds (tried once per process). */
export function netns(): Requirement {
  return {
    name: 'network namespaces',
    missing() {
      netnsVerdict ??= { reason: netnsMissing() };
      return netnsVerdict.reason;
    },
  };
}

function netnsMissing(): string | undefined {
  const rootMissing = root().missing();
  if (rootMissing) return `network namespaces ${rootMissing}`;
  if (!onPath('ip')) return 'ip not found: install iproute2 (npm run setup:system)';
  const name = `vipreq${process.pid}`;
  const added = spawnSync('ip', ['netns', 'add', name], { encoding: 'utf8' });
  spawnSync('ip', ['netns', 'delete', name]);
  return added.status === 0
    ? undefined
    : `ip netns add failed: ${(added.stderr || added.error?.message || '').trim()}`;
}

/** Every reason the requirements are not met, one per missing requirement. */
export function missingReasons(requirements: readonly Requirement[]): string[] {
  return requirements.flatMap((requirement) => {
    const reason = requirement.missing();
    return reason === undefined ? [] : [reason];
  });
}

/** True where CI runs the suite: a missing requirement fails instead of skipping. */
export function inCi(): boolean {
  return process.env.CI === 'true' || process.env.CI === '1';
}

/**
 * `it` for tests that need the given requirements. Met: the test runs. Missing outside CI: skipped,
 * with the reason in its name and on stderr. Missing under CI=true: the test fails naming the reason.
 */
export function itRequires(requirements: readonly Requirement[]) {
  const reasons = missingReasons(requirements);
  if (reasons.length === 0) return vitestIt;
  const reason = reasons.join('; ');
  if (inCi()) {
    return (name: string, ..._rest: unknown[]) =>
      vitestIt(name, () => {
        throw new Error(`CI=true requires this test to run, but ${reason}`);
      });
  }
  process.stderr.write(`skipped (${reason})\n`);
  return (name: string, ..._rest: unknown[]) => vitestIt.skip(`${name} [skipped: ${reason}]`, () => {});
}
