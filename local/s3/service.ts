/**
 * A minimal S3 for local AWS: the object calls the run store makes (PutObject, GetObject, HeadObject,
 * DeleteObject) and CreateBucket/HeadBucket, path-style (`/<bucket>/<key>`) on the same 127.0.0.1
 * server as everything else. Objects live in memory. Errors are the REST XML documents S3 returns:
 * https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
 */
import { createHash } from 'node:crypto';

export interface S3Request {
  readonly method: string;
  /** The path without the query string, still URL-encoded. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
  readonly requestId: string;
}

export interface S3Response {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

interface StoredObject {
  readonly body: Buffer;
  readonly contentType: string;
  readonly etag: string;
  readonly lastModified: Date;
}

/** The saved form of the buckets: bucket -> key -> base64 body and content type. */
export type S3Data = Record<
  string,
  Record<string, { body: string; contentType: string; lastModified: number }>
>;

export interface LocalS3 {
  handle(request: S3Request): S3Response;
  /** Creates `bucket` when it does not exist yet (local AWS creates each region's run bucket). */
  ensureBucket(bucket: string): void;
  /** Every object's key in `bucket`, sorted. */
  keys(bucket: string): string[];
  snapshot(): S3Data;
  restore(data: S3Data): void;
}

// Bucket naming rules: https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export function createLocalS3(): LocalS3 {
  const buckets = new Map<string, Map<string, StoredObject>>();

  const error = (status: number, code: string, message: string, request: S3Request, extra = '') => ({
    status,
    headers: { 'content-type': 'application/xml', 'x-amz-request-id': request.requestId },
    // HEAD responses carry no body; the SDK then reports the status (NotFound, Forbidden).
    body:
      request.method === 'HEAD'
        ? Buffer.alloc(0)
        : Buffer.from(
            `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message>${extra}<RequestId>${request.requestId}</RequestId></Error>`,
          ),
  });

  function handle(request: S3Request): S3Response {
    const [rawBucket = '', ...rest] = request.path.replace(/^\//, '').split('/');
    const bucket = decodeURIComponent(rawBucket);
    const key = rest.map(decodeURIComponent).join('/');
    if (!BUCKET_NAME.test(bucket)) {
      return error(
        400,
        'InvalidBucketName',
        'The specified bucket is not valid.',
        request,
        `<BucketName>${escapeXml(bucket)}</BucketName>`,
      );
    }
    const objects = buckets.get(bucket);
    if (key === '') {
      if (request.method === 'PUT') {
        if (objects) {
          return error(
            409,
            'BucketAlreadyOwnedByYou',
            'Your previous request to create the named bucket succeeded and you already own it.',
            request,
          );
        }
        buckets.set(bucket, new Map());
        return { status: 200, headers: { location: `/${bucket}` }, body: Buffer.alloc(0) };
      }
      if (request.method === 'HEAD' && objects) return { status: 200, headers: {}, body: Buffer.alloc(0) };
    }
    if (!objects) {
      return error(
        404,
        'NoSuchBucket',
        'The specified bucket does not exist',
        request,
        `<BucketName>${escapeXml(bucket)}</BucketName>`,
      );
    }
    if (key === '')
      return error(
        405,
        'MethodNotAllowed',
        'The specified method is not allowed against this resource.',
        request,
      );

    switch (request.method) {
      case 'PUT': {
        const body = decodeBody(request);
        const etag = `"${createHash('md5').update(body).digest('hex')}"`;
        objects.set(key, {
          body,
          contentType: header(request, 'content-type') ?? 'binary/octet-stream',
          etag,
          lastModified: new Date(),
        });
        return { status: 200, headers: { etag }, body: Buffer.alloc(0) };
      }
      case 'GET':
      case 'HEAD': {
        const object = objects.get(key);
        if (!object) {
          return error(
            404,
            'NoSuchKey',
            'The specified key does not exist.',
            request,
            `<Key>${escapeXml(key)}</Key>`,
          );
        }
        return {
          status: 200,
          headers: {
            'content-type': object.contentType,
            'content-length': String(object.body.length),
            etag: object.etag,
            'last-modified': object.lastModified.toUTCString(),
          },
          body: request.method === 'GET' ? object.body : Buffer.alloc(0),
        };
      }
      case 'DELETE':
        objects.delete(key);
        return { status: 204, headers: {}, body: Buffer.alloc(0) };
      default:
        return error(
          405,
          'MethodNotAllowed',
          'The specified method is not allowed against this resource.',
          request,
        );
    }
  }

  return {
    handle,
    ensureBucket(bucket) {
      if (!buckets.has(bucket)) buckets.set(bucket, new Map());
    },
    keys: (bucket) => [...(buckets.get(bucket)?.keys() ?? [])].sort(),
    snapshot() {
      const data: S3Data = {};
      for (const [bucket, objects] of buckets) {
        data[bucket] = Object.fromEntries(
          [...objects].map(([key, o]) => [
            key,
            {
              body: o.body.toString('base64'),
              contentType: o.contentType,
              lastModified: o.lastModified.getTime(),
            },
          ]),
        );
      }
      return data;
    },
    restore(data) {
      buckets.clear();
      for (const [bucket, objects] of Object.entries(data)) {
        buckets.set(
          bucket,
          new Map(
            Object.entries(objects).map(([key, o]) => {
              const body = Buffer.from(o.body, 'base64');
              const etag = `"${createHash('md5').update(body).digest('hex')}"`;
              return [
                key,
                { body, contentType: o.contentType, etag, lastModified: new Date(o.lastModified) },
              ];
            }),
          ),
        );
      }
    },
  };
}

function header(request: S3Request, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The object's bytes. SDKs may send `aws-chunked` bodies (`<hex size>[;chunk-signature=...]\r\n<data>\r\n`
 * ... `0\r\n<trailers>`): https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
 */
function decodeBody(request: S3Request): Buffer {
  const encoding = header(request, 'content-encoding') ?? '';
  const sha = header(request, 'x-amz-content-sha256') ?? '';
  if (!encoding.includes('aws-chunked') && !sha.startsWith('STREAMING-')) return request.body;
  const chunks: Buffer[] = [];
  let at = 0;
  const body = request.body;
  for (;;) {
    const lineEnd = body.indexOf('\r\n', at);
    if (lineEnd < 0) break;
    const size = Number.parseInt(body.subarray(at, lineEnd).toString('latin1').split(';')[0] ?? '', 16);
    if (!Number.isFinite(size) || size === 0) break;
    chunks.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(chunks);
}

const escapeXml = (text: string): string => text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
