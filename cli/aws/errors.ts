/**
 * Sorts errors thrown by AWS SDK calls by what the user can do about them. Duck-typed on `name`
 * and `code`, so it imports no SDK and can be used before any client is loaded.
 */
import { NETWORK_ERROR_CODES } from '../../tasks/network-errors';

/** Network-level failures: the endpoint did not answer, so nothing is known about the state. */
const NETWORK_CODES = new Set([
  ...NETWORK_ERROR_CODES,
  'TimeoutError',
  'RequestTimeout',
  'RegionUnreachable',
]);

const CREDENTIAL_CODES = new Set([
  'CredentialsProviderError',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'TokenRefreshRequired',
  'AuthFailure',
]);

const DENIED_CODES = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation']);

function codesOf(error: unknown): string[] {
  const codes: string[] = [];
  for (let e: unknown = error, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const record = e as { name?: unknown; code?: unknown; Code?: unknown; cause?: unknown };
    for (const c of [record.name, record.code, record.Code]) if (typeof c === 'string') codes.push(c);
    e = record.cause;
  }
  return codes;
}

/** The most specific AWS or network error code found on the error or its causes. */
export function errorCode(error: unknown): string {
  const codes = codesOf(error);
  return codes.find((c) => c !== 'Error' && c !== 'TypeError') ?? codes[0] ?? 'Error';
}

/** The endpoint could not be reached: connection refused, DNS, timeout, or a 5xx after retries. */
export function isUnreachable(error: unknown): boolean {
  const codes = codesOf(error);
  if (codes.some((c) => NETWORK_CODES.has(c))) return true;
  const status = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata
    ?.httpStatusCode;
  if (typeof status === 'number' && status >= 500) return true;
  // fetch-based and Node socket errors surface as "fetch failed" / "socket hang up" with the code on `cause`.
  const message = error instanceof Error ? error.message : '';
  return /fetch failed|socket hang up|connect ECONNREFUSED/.test(message);
}

/** No credentials, or credentials AWS no longer accepts. */
export function isCredentialProblem(error: unknown): boolean {
  const codes = codesOf(error);
  if (codes.some((c) => CREDENTIAL_CODES.has(c))) return true;
  const message = error instanceof Error ? error.message : '';
  return /Could not load credentials|credentials.*expired|token.*expired/i.test(message);
}

export function isAccessDenied(error: unknown): boolean {
  return codesOf(error).some((c) => DENIED_CODES.has(c));
}
