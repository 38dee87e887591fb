/**
 * Runs the built vipctl (bin/vipctl.mjs) as a child process, the way users and cluster scripts run it.
 * Builds dist/ first when it is missing or older than a source (`npm test` builds it anyway; a
 * `npx vitest` after an edit would otherwise test a stale build).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = join(ROOT, 'bin', 'vipctl.mjs');
export const EXAMPLE = join(ROOT, 'examples', 'two-region.yaml');

/** This test file's journal of direct runs, apart from the machine's and other files'. */
export const JOURNAL = mkdtempSync(join(tmpdir(), 'vipctl-journal-'));

/** What the bundle is built from. */
const SOURCES = ['cli', 'local', 'tasks', 'workflow', 'package.json', 'scripts/build.mjs'];

/** The first file under `root`'s `sources` modified after `since` (epoch ms), or undefined. */
export function newerSource(root: string, sources: readonly string[], since: number): string | undefined {
  const visit = (path: string): string | undefined => {
    const stat = statSync(path, { throwIfNoEntry: false });
    if (!stat) return undefined;
    if (!stat.isDirectory()) return stat.mtimeMs > since ? path : undefined;
    for (const entry of readdirSync(path)) {
      const found = visit(join(path, entry));
      if (found) return found;
    }
    return undefined;
  };
  for (const source of sources) {
    const found = visit(join(root, source));
    if (found) return found;
  }
  return undefined;
}

export function ensureBuilt(): void {
  const fresh = () => {
    const built = statSync(join(ROOT, 'dist', 'vipctl.mjs'), { throwIfNoEntry: false })?.mtimeMs;
    return built !== undefined && newerSource(ROOT, SOURCES, built) === undefined;
  };
  if (fresh()) return;
  // One test worker builds; the others wait for its lock to go, then find dist/ fresh.
  const lock = join(ROOT, '.build-lock');
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A lock older than any build is a crashed worker's: take it over.
      const held = statSync(lock, { throwIfNoEntry: false });
      if (held && held.mtimeMs < Date.now() - 300_000) rmSync(lock, { recursive: true, force: true });
      else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    }
  }
  try {
    if (!fresh())
      execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, stdio: 'inherit' });
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export interface Finished {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A child process with its output so far and a promise of its end. */
export interface Running {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  readonly finished: Promise<Finished>;
  /** Resolves with the first match of `pattern` on stdout; rejects if the process ends first. */
  waitFor(pattern: RegExp): Promise<RegExpMatchArray>;
}

/** Only what the child needs: no credentials or endpoints of the machine the tests run on. */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: tmpdir(),
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    AWS_EC2_METADATA_DISABLED: 'true',
    // Never the machine's journal of direct runs (/var/lib/...): one of this test file's own.
    VIPCTL_JOURNAL: JOURNAL,
    // The metadata service (local AWS's /_imds) answers at once; the default 1 s per request also has to
    // cover the child's first fetch start-up, which a loaded machine can exceed.
    AWS_METADATA_SERVICE_TIMEOUT: '60',
    ...extra,
  };
}

export function start(
  command: string,
  args: readonly string[],
  env: Record<string, string>,
  cwd = ROOT,
): Running {
  const child = spawn(command, [...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
    for (const listener of listeners) listener();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString('utf8');
  });
  const finished = new Promise<Finished>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stdout: out, stderr: err }));
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    finished,
    waitFor: (pattern) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const match = out.match(pattern);
          if (match) {
            listeners.delete(check);
            resolve(match);
          }
        };
        listeners.add(check);
        check();
        void finished.then((f) => {
          if (listeners.has(check))
            reject(new Error(`ended (${f.code}) before ${pattern}:\n${f.stdout}\n${f.stderr}`));
        });
      }),
  };
}

/** Runs `node bin/vipctl.mjs ...args` to the end. */
export function vipctl(args: readonly string[], env: Record<string, string>, cwd = ROOT): Promise<Finished> {
  return start(process.execPath, [BIN, ...args], env, cwd).finished;
}

/** Runs a shell script to the end. */
export function sh(script: string, args: readonly string[], env: Record<string, string>): Promise<Finished> {
  return start('/bin/sh', [script, ...args], env).finished;
}

/** An executable `vipctl` that runs this repository's build, as cluster scripts expect to find it. */
export function vipctlWrapper(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vipctl-bin-'));
  const path = join(dir, 'vipctl');
  writeFileSync(path, `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
  chmodSync(path, 0o755);
  return path;
}

/** A port that was free a moment ago: nothing listens there. */
export function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
