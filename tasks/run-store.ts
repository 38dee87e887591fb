/**
 * The S3 adapter (the only module that imports @aws-sdk/client-s3): keeps the records of large runs
 * in the stack's run bucket, so that the state data stays far below Step Functions' 256 KiB limit
 * (see tasks/state-size.ts). Objects are JSON, written once, and read back only against the SHA-256
 * digest the state carries.
 */
import { createHash } from 'node:crypto';
import { GetObjectCommand, PutObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { type StoredRecord, s3Url } from './stored-record';

/** Writes the records of the runs of one deployment into its bucket. */
export interface RunStore {
  readonly bucket: string;
  put(key: string, value: unknown): Promise<StoredRecord>;
  get(record: StoredRecord): Promise<unknown>;
}

/** Reads stored records of any bucket, by region (the CLI: each region's stack has its own bucket). */
export type RecordReader = (region: string, record: StoredRecord) => Promise<unknown>;

/** The stored object does not match the digest its run recorded, or is not JSON. */
export class RecordCorruptError extends Error {
  override name = 'RecordCorrupt';
}

/**
 * Client settings shared by the task function and the CLI. Checksums only where S3 requires them:
 * our own SHA-256 in the state already guards every read end to end.
 * https://docs.aws.amazon.com/sdk-for-javascript/v3/developer-guide/data-integrity.html (no source
 * pins the SDK's default; `WHEN_REQUIRED` is its documented opt-out)
 */
export const S3_CLIENT_DEFAULTS = {
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
} as const satisfies S3ClientConfig;

export function s3RunStore(bucket: string, client: S3Client): RunStore {
  return {
    bucket,
    async put(key, value) {
      const body = Buffer.from(JSON.stringify(value), 'utf8');
      await client.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/json' }),
      );
      return { bucket, key, sha256: sha256(body), bytes: body.length };
    },
    get: (record) => readRecord(client, record),
  };
}

/** A reader with one client per region, built on first use. */
export function s3RecordReader(config: Omit<S3ClientConfig, 'region'>): RecordReader {
  const clients = new Map<string, S3Client>();
  return (region, record) => {
    let client = clients.get(region);
    if (!client) {
      client = new S3Client({ ...S3_CLIENT_DEFAULTS, ...config, region });
      clients.set(region, client);
    }
    return readRecord(client, record);
  };
}

async function readRecord(client: S3Client, record: StoredRecord): Promise<unknown> {
  const out = await client.send(new GetObjectCommand({ Bucket: record.bucket, Key: record.key }));
  const body = Buffer.from((await out.Body?.transformToByteArray()) ?? new Uint8Array());
  if (sha256(body) !== record.sha256) {
    throw new RecordCorruptError(
      `${s3Url(record)} does not match the digest its run recorded (sha256 ${record.sha256}, ${record.bytes} bytes; found ${body.length} bytes): the object was changed after the run wrote it`,
    );
  }
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (cause) {
    throw new RecordCorruptError(`${s3Url(record)} is not JSON`, { cause });
  }
}

const sha256 = (body: Buffer): string => createHash('sha256').update(body).digest('hex');
