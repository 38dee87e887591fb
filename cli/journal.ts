/**
 * The local journal of direct runs (DESIGN section 5, "Direct runs"). A direct run has no execution
 * history, so it keeps its own record: the input, the plan with its snapshot, the update steps'
 * results, the verdict in the shape of a run's output, and a step timeline. One JSON file per run,
 * written atomically (a temporary file in the same directory, then a rename), so a reader never
 * sees half a record and a crash leaves the previous version whole.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { Applied, ExecutionInput, PlanOutput, RunOutput } from '../tasks/contracts';

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
  /** RUNNING while the process works (or if it died); SUCCEEDED covers DEGRADED, as for executions. */
  status: z.enum(['RUNNING', 'SUCCEEDED', 'FAILED']),
  startedAt: Timestamp,
  stoppedAt: Timestamp.optional(),
  input: ExecutionInput,
  plan: PlanOutput.optional(),
  applied: Applied,
  output: RunOutput.optional(),
  steps: z.array(DirectStep),
  failure: z.strictObject({ step: z.string().optional(), error: z.string(), cause: z.string() }).optional(),
});
export type DirectRun = z.infer<typeof DirectRun>;

const FILE = /^direct-[A-Za-z0-9_-]+\.json$/;

export class Journal {
  constructor(readonly dir: string) {}

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
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }
}
