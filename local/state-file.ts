/**
 * The state file of local AWS: the EC2 world, the Step Functions side and the IMDS "self" node as one
 * JSON document, written atomically (temp file + rename) so a crash never leaves half a file behind.
 */
import { randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import type { WorldData } from './world';

export const StateFile = z.strictObject({
  version: z.literal(1),
  world: z.custom<WorldData>(
    (value) => typeof value === 'object' && value !== null && 'regions' in value && 'account' in value,
    'world must be a local AWS world snapshot',
  ),
  sfn: z.unknown().optional(),
  /** The run buckets' objects (local/s3). */
  s3: z.unknown().optional(),
  imdsSelf: z.string().nullable().optional(),
});
export type StateFile = z.infer<typeof StateFile>;

/** The saved state, or undefined when there is no file yet. */
export async function readStateFile(path: string): Promise<StateFile | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const parsed = StateFile.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`${path} is not a local AWS state file: ${parsed.error.message}`);
  return parsed.data;
}

export async function writeStateFile(path: string, state: StateFile): Promise<void> {
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temporary, `${JSON.stringify(state)}\n`, 'utf8');
  await rename(temporary, path);
}
