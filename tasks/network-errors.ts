/**
 * Error codes meaning "the endpoint did not answer", shared by the EC2 adapter's classification and
 * the CLI's. SDK-free, so the CLI can classify errors without loading any client.
 */

/** Node socket and DNS errors (and undici's connect timeout) on the error or its causes. */
export const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EPIPE',
  'ECONNABORTED',
  'UND_ERR_CONNECT_TIMEOUT',
]);
