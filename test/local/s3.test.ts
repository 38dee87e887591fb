import {
  GetObjectCommand,
  HeadObjectCommand,
  NoSuchBucket,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_CREDENTIALS } from '../../local/iam/principals';
import { type LocalAws, localRunBucket, startLocalAws } from '../../local/server';
import { RecordCorruptError, s3RecordReader, s3RunStore } from '../../tasks/run-store';
import { loadTopology } from '../../tasks/topology';

const topology = await loadTopology('examples/two-region.yaml');
// Local AWS's own behaviour, not IAM's: an administrator, whom IAM does not evaluate.
const credentials = ADMIN_CREDENTIALS;
const bucket = localRunBucket(topology.cluster, 'us-east-1');

let aws: LocalAws;
let s3: S3Client;
beforeAll(async () => {
  aws = await startLocalAws({ topology, port: 0, sfn: false });
  aws.s3.ensureBucket(bucket);
  s3 = new S3Client({ region: 'us-east-1', endpoint: aws.url, forcePathStyle: true, credentials });
});
afterAll(async () => {
  s3.destroy();
  await aws.close();
});

describe('local S3 (path-style, real SDK client)', () => {
  it('stores an object and serves it back with its length and content type', async () => {
    const body = JSON.stringify({ routes: ['rtb-1', 'rtb-2'], note: 'ünïcode' });
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'runs/a/b.json',
        Body: body,
        ContentType: 'application/json',
      }),
    );

    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'runs/a/b.json' }));
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'runs/a/b.json' }));

    expect(head).toMatchObject({ ContentLength: Buffer.byteLength(body), ContentType: 'application/json' });
    expect(await got.Body?.transformToString()).toBe(body);
  });

  it('answers NoSuchKey, NotFound (HEAD) and NoSuchBucket as S3 does', async () => {
    await expect(s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'missing' }))).rejects.toBeInstanceOf(
      NoSuchKey,
    );
    await expect(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'missing' }))).rejects.toBeInstanceOf(
      NotFound,
    );
    await expect(
      s3.send(new GetObjectCommand({ Bucket: 'no-such-bucket-here', Key: 'k' })),
    ).rejects.toBeInstanceOf(NoSuchBucket);
  });

  it('round-trips a run record through the store and refuses one changed behind its digest', async () => {
    const store = s3RunStore(bucket, s3);
    const record = await store.put('runs/m/x/plan.json', { changes: [1, 2, 3] });

    expect(await store.get(record)).toEqual({ changes: [1, 2, 3] });
    expect(
      await s3RecordReader({ endpoint: aws.url, forcePathStyle: true, credentials })('us-east-1', record),
    ).toEqual({
      changes: [1, 2, 3],
    });

    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: record.key, Body: '{"changes":[]}' }));
    await expect(store.get(record)).rejects.toBeInstanceOf(RecordCorruptError);
  });
});
