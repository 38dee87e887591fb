/**
 * Runs the built vipctl (bin/vipctl.mjs) as a child process, the way users and cluster scripts run it.
 * Builds dist/ first when it is missing (`npm test` builds it anyway).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = join(ROOT, 'bin', 'vipctl.mjs');
export const EXAMPLE = join(ROOT, 'examples', 'two-region.yaml');

/** This test file's journal of direct runs, apart from the machine's and other files'. */
export const JOURNAL = mkdtempSync(join(tmpdir(), 'vipctl-journal-'));

export function ensureBuilt(): void {
  if (!existsSync(join(ROOT, 'dist', 'vipctl.mjs'))) {
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, stdio: 'inherit' });
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
