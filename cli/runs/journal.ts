/**
 * The local journal of direct runs (DESIGN section 5, "Direct runs"). A direct run has no execution
 * history, so it keeps its own record: the input, the plan with its snapshot, the update steps'
 * results, the verdict in the shape of a run's output, and a step timeline. One JSON file per run,
 * written atomically (a temporary file in the same directory, then a rename), so a reader never
 * sees half a record and a crash leaves the previous version whole.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { Applied, ExecutionInput, PlanOutput, RunOutput } from '../../tasks/contracts';
import { ChangeResult } from '../../tasks/plan';
import { CLI_WAIT_SECONDS } from '../../tasks/time-budget';

const Timestamp = z.iso.datetime({ offset: true });

export const DirectStep = z.strictObject({
  /** The state name the workflow gives the same task (Plan, UpdateLocalVpcRoutes, ...). */
  name: z.string(),
  type: z.string(),
  enteredAt: Timestamp,
  exitedAt: Timestamp.optional(),
  failure: z.strictObject({ error: z.string(), cause: z.string() }).optional(),
});
export type DirectStep = z.infer<typeof DirectStep>;

export const DirectRun = z.strictObject({
  kind: z.literal('direct'),
  version: z.literal(1),
  /** `direct-<target>-<requestedAt as yyyymmddThhmmssSSS>`. */
  name: z.string().regex(/^direct-[A-Za-z0-9_-]{1,72}$/),
  /**
   * An execution ARN of the cluster's state machine in the target's region that no execution has:
   * the run's identity for the stale-run guard and for a restore's `from`.
   */
  arn: z.string(),
  cluster: z.string(),
  region: z.string(),
  /**
   * RUNNING while the process works; SUCCEEDED covers DEGRADED, as for executions; TIMED_OUT when
   * --timeout left too little for the next write wave. A record left RUNNING by a process that is gone
   * is read as ABORTED (see {@link asSeen}); the file itself is never rewritten by a reader.
   */
  status: z.enum(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']),
  startedAt: Timestamp,
  /** When the run's --timeout expires: it starts no write wave that could end later. */
  deadlineAt: Timestamp.optional(),
  /** The process that runs it, and its host: a reader on the same host can tell whether it still lives. */
  pid: z.number().int().positive().optional(),
  host: z.string().optional(),
  stoppedAt: Timestamp.optional(),
  input: ExecutionInput,
  plan: PlanOutput.optional(),
  applied: Applied,
  output: RunOutput.optional(),
  steps: z.array(DirectStep),
  failure: z.strictObject({ step: z.string().optional(), error: z.string(), cause: z.string() }).optional(),
  /** A run that stopped on --timeout (TIMED_OUT): every route it had written. */
  written: z.array(ChangeResult).optional(),
});
export type DirectRun = z.infer<typeof DirectRun>;

const FILE = /^direct-[A-Za-z0-9_-]+\.json$/;

/** How long past its deadline a RUNNING record may still be a live run: its last step's report and save. */
export const DEADLINE_GRACE_MS = 30_000;

/** What a reader knows about the present, to judge a record left RUNNING. */
export interface Liveness {
  readonly now: () => Date;
  /** This host's name. */
  readonly host: string;
  /** Whether a process of this host with that ID exists. */
  readonly alive: (pid: number) => boolean;
}

/** `process.kill(pid, 0)`: ESRCH means no such process; EPERM means one that belongs to another user. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A record as a reader should present it. A direct run that was killed (SIGKILL, a reboot, the node
 * dying) leaves its record RUNNING forever. It is read as ABORTED when either:
 * - it was written on this host and its process no longer exists; or
 * - its deadline (its --timeout; for a record that does not say, its start plus the default wait)
 *   passed more than DEADLINE_GRACE_MS ago: a live run starts no write wave that could end after its
 *   deadline, so by then it has ended, or hangs and can no longer be trusted to finish.
 * A recycled process ID can make a dead run look alive; the deadline rule still ends that.
 */
export function asSeen(run: DirectRun, liveness: Liveness, defaultWaitMs: number): DirectRun {
  if (run.status !== 'RUNNING') return run;
  const deadline = run.deadlineAt ? Date.parse(run.deadlineAt) : Date.parse(run.startedAt) + defaultWaitMs;
  const gone = run.pid !== undefined && run.host === liveness.host && !liveness.alive(run.pid);
  const expired = liveness.now().getTime() > deadline + DEADLINE_GRACE_MS;
  if (!gone && !expired) return run;
  const step = run.steps.findLast((s) => !s.exitedAt)?.name;
  const why = gone
    ? `its process (${run.pid} on ${run.host}) is gone`
    : `it passed its deadline ${run.deadlineAt ?? 'of the default wait'} without a final record`;
  return {
    ...run,
    status: 'ABORTED',
    failure: {
      ...(step ? { step } : {}),
      error: 'Aborted',
      cause: `the direct run ended without recording its outcome: ${why}. The routes it wrote are not all known; \`vipctl status\` shows where they lead now`,
    },
  };
}

export class Journal {
  /**
   * @param liveness how records left RUNNING are judged (see {@link asSeen}); without it they are
   * returned as written.
   */
  constructor(
    readonly dir: string,
    private readonly view?: { readonly liveness: Liveness; readonly defaultWaitMs: number },
  ) {}

  pathOf(name: string): string {
    return join(this.dir, `${name}.json`);
  }

  /** Writes the record atomically; returns its path. */
  async write(run: DirectRun): Promise<string> {
    const record = DirectRun.parse(run);
    await mkdir(this.dir, { recursive: true, mode: 0o750 });
    const path = this.pathOf(record.name);
    const temporary = join(this.dir, `.${record.name}.${randomUUID()}.tmp`);
    const file = await open(temporary, 'wx', 0o640);
    try {
      await file.writeFile(`${JSON.stringify(record, null, 2)}\n`);
      await file.sync();
    } catch (error) {
      await file.close();
      await rm(temporary, { force: true });
      throw error;
    } finally {
      await file.close().catch(() => {});
    }
    await rename(temporary, path);
    return path;
  }

  /** The direct runs of `cluster`, newest first. A missing directory holds none; unreadable files are skipped. */
  async list(cluster: string): Promise<DirectRun[]> {
    let names: string[];
    try {
      names = (await readdir(this.dir)).filter((n) => FILE.test(n));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const runs = await Promise.all(names.map((n) => this.read(join(this.dir, n))));
    return runs
      .filter((r): r is DirectRun => r !== undefined && r.cluster === cluster)
      .sort((a, b) => b.startedAt.localeCompare(a.startedAt) || a.name.localeCompare(b.name));
  }

  /** The direct run named `id` (its name or its ARN) of `cluster`, if the journal has it. */
  async find(cluster: string, id: string): Promise<DirectRun | undefined> {
    const name = id.split(':').pop() ?? id;
    if (!FILE.test(`${name}.json`)) return undefined;
    const run = await this.read(this.pathOf(name));
    return run && run.cluster === cluster && (id === run.name || id === run.arn) ? run : undefined;
  }

  private async read(path: string): Promise<DirectRun | undefined> {
    try {
      const parsed = DirectRun.safeParse(JSON.parse(await readFile(path, 'utf8')));
      if (!parsed.success) return undefined;
      return this.view ? asSeen(parsed.data, this.view.liveness, this.view.defaultWaitMs) : parsed.data;
    } catch {
      return undefined;
    }
  }
}

/** The journal as `runs`, `show` and `rollback` read it: records left RUNNING by a gone process read as ABORTED. */
export function journalToRead(dir: string, now: () => Date): Journal {
  return new Journal(dir, {
    liveness: { now, host: hostname(), alive: processAlive },
    defaultWaitMs: CLI_WAIT_SECONDS * 1000,
  });
}
