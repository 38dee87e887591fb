/**
 * A run's record kept outside the state data: an object in the stack's run bucket, named in the
 * state by bucket, key and SHA-256 digest. Pure (no SDK): the contracts and the CLI import it; the S3
 * adapter that reads and writes the objects is tasks/run-store.ts.
 */
import { z } from 'zod';

export const StoredRecord = z.strictObject({
  bucket: z.string().min(3).max(63),
  key: z.string().min(1).max(1024),
  /** Hex SHA-256 of the object's bytes, checked on every read: the state vouches for the object. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().nonnegative(),
});
export type StoredRecord = z.infer<typeof StoredRecord>;

/** `s3://bucket/key`, as people and error messages name an object. */
export const s3Url = (record: Pick<StoredRecord, 'bucket' | 'key'>): string =>
  `s3://${record.bucket}/${record.key}`;

/** The prefix of every object of one execution: `runs/<state machine>/<execution name>/`. */
export function recordPrefix(executionArn: string): string {
  const parts = executionArn.split(':');
  const name = parts.at(-1) ?? 'unknown';
  const machine = parts.at(-2) ?? 'unknown';
  return `runs/${machine}/${name}/`;
}

/**
 * The marker a failed task's message ends with when its complete record is stored: the CLI finds the
 * object through it. `record s3://<bucket>/<key> sha256 <hex> bytes <n>`.
 */
export const recordMarker = (record: StoredRecord): string =>
  `record ${s3Url(record)} sha256 ${record.sha256} bytes ${record.bytes}`;

const MARKER = /record s3:\/\/([a-z0-9.-]{3,63})\/(\S+) sha256 ([0-9a-f]{64}) bytes (\d+)/;

/** The stored record a failure message names, if any. */
export function recordInMessage(message: string): StoredRecord | undefined {
  const match = MARKER.exec(message);
  if (!match) return undefined;
  const parsed = StoredRecord.safeParse({
    bucket: match[1],
    key: match[2],
    sha256: match[3],
    bytes: Number(match[4]),
  });
  return parsed.success ? parsed.data : undefined;
}
