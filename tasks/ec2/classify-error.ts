/**
 * How an EC2 error should be handled: transient (retry later), permanent (fail fast) or
 * unreachable (the region's API could not be reached). Keeps the AWS code and message.
 */
import { z } from 'zod';
import { NETWORK_ERROR_CODES } from '../network-errors';

/** How an AWS error should be handled. */
export type ErrorClass = 'transient' | 'permanent' | 'unreachable';

export interface ClassifiedError {
  readonly class: ErrorClass;
  /** AWS error code (`RequestLimitExceeded`, `InvalidRouteTableID.NotFound`) or network code (`ECONNREFUSED`). */
  readonly code: string;
  readonly message: string;
}

/** An EC2 call failed in a way the caller must act on; keeps the AWS code and the original error. */
export class Ec2Error extends Error {
  override name = 'Ec2Error';
  readonly code: string;
  readonly region: string;
  readonly errorClass: ErrorClass;
  constructor(
    message: string,
    details: { code: string; region: string; errorClass: ErrorClass; cause?: unknown },
  ) {
    super(message, { cause: details.cause });
    this.code = details.code;
    this.region = details.region;
    this.errorClass = details.errorClass;
  }
}
const TIMEOUT_NAMES = new Set(['TimeoutError', 'AbortError', 'RequestTimeout', 'RequestTimeoutException']);
const THROTTLING_CODES = new Set([
  'RequestLimitExceeded',
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'SlowDown',
  'EC2ThrottledException',
  'BandwidthLimitExceeded',
  'PriorRequestNotComplete',
  'TransactionInProgressException',
  'LimitExceededException',
  'ProvisionedThroughputExceededException',
]);
const SERVER_CODES = new Set(['InternalError', 'InternalFailure', 'ServiceUnavailable', 'Unavailable']);

const ErrorFields = z.object({
  name: z.string().optional(),
  code: z.string().optional(),
  Code: z.string().optional(),
  message: z.string().optional(),
  errors: z.array(z.unknown()).optional(),
  cause: z.unknown().optional(),
  $fault: z.string().optional(),
  $metadata: z.object({ httpStatusCode: z.number().optional(), attempts: z.number().optional() }).optional(),
});

function fieldsOf(error: unknown): z.infer<typeof ErrorFields> {
  if (typeof error !== 'object' || error === null) return { message: String(error) };
  const parsed = ErrorFields.safeParse({
    name: (error as { name?: unknown }).name,
    code: (error as { code?: unknown }).code,
    Code: (error as { Code?: unknown }).Code,
    message: (error as { message?: unknown }).message,
    errors: (error as { errors?: unknown }).errors,
    cause: (error as { cause?: unknown }).cause,
    $fault: (error as { $fault?: unknown }).$fault,
    $metadata: (error as { $metadata?: unknown }).$metadata,
  });
  return parsed.success ? parsed.data : { message: String(error) };
}

/** The network error code of `error`, its cause chain or (Node's happy-eyeballs) its aggregated errors. */
function networkCode(error: unknown, depth = 0): { code: string; message: string } | undefined {
  if (depth > 4) return undefined;
  const f = fieldsOf(error);
  if (f.code && NETWORK_ERROR_CODES.has(f.code)) {
    const inner = f.errors?.map((e) => fieldsOf(e).message).find(Boolean);
    return { code: f.code, message: f.message || inner || f.code };
  }
  for (const inner of [...(f.errors ?? []), f.cause]) {
    const found = inner === undefined ? undefined : networkCode(inner, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/**
 * Transient (throttling, 5xx): retrying later helps. Permanent (access denied, bad IDs, any other
 * 4xx): fail fast. Unreachable (connection refused, DNS failure, timeouts, budget abort): the
 * region's API could not be reached. AWS code and message are kept.
 */
export function classifyError(error: unknown): ClassifiedError {
  if (error instanceof Ec2Error) {
    return { class: error.errorClass, code: error.code, message: error.message };
  }
  const network = networkCode(error);
  if (network) return { class: 'unreachable', ...network };
  const f = fieldsOf(error);
  const code = f.Code ?? (f.name && f.name !== 'Error' ? f.name : undefined) ?? f.code ?? 'UnknownError';
  const message = f.message || code;
  if (TIMEOUT_NAMES.has(code)) return { class: 'unreachable', code, message };
  const status = f.$metadata?.httpStatusCode;
  if (THROTTLING_CODES.has(code) || status === 429) return { class: 'transient', code, message };
  if (SERVER_CODES.has(code) || (status !== undefined && status >= 500) || f.$fault === 'server') {
    return { class: 'transient', code, message };
  }
  return { class: 'permanent', code, message };
}

/** True when AWS asked the caller to slow down (a throttling code or HTTP 429). */
export function isThrottling(error: unknown): boolean {
  if (error instanceof Ec2Error) return THROTTLING_CODES.has(error.code);
  const f = fieldsOf(error);
  const code = f.Code ?? (f.name && f.name !== 'Error' ? f.name : undefined) ?? f.code;
  return (code !== undefined && THROTTLING_CODES.has(code)) || f.$metadata?.httpStatusCode === 429;
}

/** Attempts the SDK made for a call that ended in `error` (1 when the error carries no metadata). */
export function attemptsOf(error: unknown): number {
  return fieldsOf(error).$metadata?.attempts ?? 1;
}
