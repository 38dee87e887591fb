/** zod's issues in the words of the topology file: unknown fields with a near name, expected kinds, values. */
import type { z } from 'zod';
import type { PathProblem } from './checks';
import { Account, Node, Peering, Topology, TransitGateway, Vpc } from './schema';

const FIELDS: Record<string, readonly string[]> = {
  topology: Object.keys(Topology.shape),
  node: Object.keys(Node.shape),
  vpc: Object.keys(Vpc.shape),
  transitGateway: Object.keys(TransitGateway.shape),
  peering: Object.keys(Peering.shape),
  account: Object.keys(Account.shape),
};

/** Turns one zod issue into problems with friendly messages (one per unknown key). */
export function describeIssue(issue: z.core.$ZodIssue, data: unknown): PathProblem[] {
  const path = issue.path;
  const field = String(path.at(-1) ?? '');
  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = FIELDS[kindAt(path)] ?? [];
      return issue.keys.map((key) => {
        const near = allowed.find((a) => editDistance(a.toLowerCase(), key.toLowerCase()) <= 2);
        return {
          path: [...path, key],
          message: `unknown field "${key}"; ${near ? `did you mean "${near}"?` : `allowed fields: ${allowed.join(', ')}`}`,
        };
      });
    }
    case 'invalid_key':
      if (String(field).startsWith('drill-')) {
        return [
          {
            path,
            message: `"${field}" must not start with drill- (drill executions are named drill-<node>-…; rename the node)`,
          },
        ];
      }
      return [{ path, message: `"${field}" is not a valid name: must be 1-48 letters, digits, - or _` }];
    case 'invalid_type': {
      const value = valueAt(data, path);
      if (value === undefined) return [{ path, message: `missing required field "${field}"; add it` }];
      // Custom messages (such as the account's) already say what to do.
      if (!issue.message.startsWith('Invalid input')) return [{ path, message: issue.message }];
      return [{ path, message: `expected ${describeExpected(issue.expected)}, got ${describeValue(value)}` }];
    }
    default:
      return [{ path, message: issue.message }];
  }
}

/** The kind of object at `path` (for the list of allowed fields). */
function kindAt(path: readonly PropertyKey[]): string {
  if (path.length === 0) return 'topology';
  const section = {
    nodes: 'node',
    vpcs: 'vpc',
    transitGateways: 'transitGateway',
    peerings: 'peering',
    accounts: 'account',
  };
  return path.length === 2 ? (section[String(path[0]) as keyof typeof section] ?? '') : '';
}

function describeExpected(expected: string): string {
  const names: Record<string, string> = {
    object: 'a mapping',
    record: 'a mapping',
    array: 'a list',
    tuple: 'a list',
    string: 'a string',
  };
  return names[expected] ?? expected;
}

function describeValue(value: unknown): string {
  if (value === null) return 'nothing (null)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let value = data;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        (previous[j] ?? 0) + 1,
        (current[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
