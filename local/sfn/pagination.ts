/**
 * `maxResults` / `nextToken` paging as the Step Functions List* and GetExecutionHistory operations do it.
 * The token names the last item returned, not an offset, so items added at the head of a newest-first
 * list while a caller pages do not shift the pages.
 */
import { z } from 'zod';
import { invalidToken } from './api-error';

export interface PageRequest {
  /** 0 or absent means the default page size, 100 (AWS allows up to 1000). */
  readonly maxResults?: number | undefined;
  readonly nextToken?: string | undefined;
}

const Token = z.object({ after: z.string() });

export function pageOf<T>(
  items: readonly T[],
  keyOf: (item: T) => string,
  request: PageRequest,
): { page: T[]; nextToken?: string } {
  const start = request.nextToken ? startAfter(request.nextToken, items, keyOf) : 0;
  const size = request.maxResults || 100;
  const page = items.slice(start, start + size);
  const last = page.at(-1);
  if (last === undefined || start + size >= items.length) return { page };
  return { page, nextToken: Buffer.from(JSON.stringify({ after: keyOf(last) })).toString('base64url') };
}

function startAfter<T>(token: string, items: readonly T[], keyOf: (item: T) => string): number {
  let after: string | undefined;
  try {
    after = Token.parse(JSON.parse(Buffer.from(token, 'base64url').toString('utf8'))).after;
  } catch {
    throw invalidToken();
  }
  const index = items.findIndex((item) => keyOf(item) === after);
  if (index < 0) throw invalidToken();
  return index + 1;
}
