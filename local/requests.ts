/** Reading a request to local AWS: its SigV4 scope (region, service), headers and body. */
import type http from 'node:http';
import { OutageService } from './models';

const CREDENTIAL_SCOPE = /Credential=[^/,\s]+\/\d{8}\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request/;

export function scopeOf(authorization: string | undefined): { region?: string; service?: string } {
  const match = authorization ? CREDENTIAL_SCOPE.exec(authorization) : null;
  return match ? { region: match[1], service: match[2] } : {};
}

/** The service a request is for, by its SigV4 signing name, else by its JSON target prefix. */
export function serviceOf(signingName: string | undefined, target: string | undefined): OutageService {
  const parsed = OutageService.safeParse(signingName);
  if (parsed.success) return parsed.data;
  if (target?.startsWith('AWSStepFunctions.')) return 'states';
  if (target?.startsWith('Logs_')) return 'logs';
  return 'ec2';
}

export const firstHeader = (value: string | string[] | undefined): string | undefined =>
  Array.isArray(value) ? value[0] : value;

/** The string values at the top of a JSON request: what a fault scoped to a resource is matched against. */
export function jsonStrings(body: string): string[] {
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === 'object' && parsed !== null
      ? Object.values(parsed).filter((v): v is string => typeof v === 'string')
      : [];
  } catch {
    return [];
  }
}

export async function readBody(request: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** A JSON 1.x request body: an empty body is `{}`; undefined when it is not JSON. */
export function parseJsonBody(body: string): unknown {
  try {
    return body.trim() === '' ? {} : JSON.parse(body);
  } catch {
    return undefined;
  }
}

export const NOT_JSON = {
  status: 400,
  body: { __type: 'SerializationException', message: 'request body is not JSON' },
} as const;
