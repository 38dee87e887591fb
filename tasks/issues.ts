/**
 * Turns zod issues into one readable line each: where, what, and how to fix it. Used for every
 * untrusted input the tasks parse, so a refused request explains itself in the execution's Cause.
 */
import type { z } from 'zod';

const hint = (issue: z.core.$ZodIssue): string => {
  switch (issue.code) {
    case 'unrecognized_keys':
      return 'remove it; the contract refuses unknown fields';
    case 'too_big':
      return `shorten it to at most ${String(issue.maximum)}`;
    case 'too_small':
      return `give at least ${String(issue.minimum)}`;
    case 'invalid_format':
      return issue.format === 'datetime' ? 'use ISO 8601 with a timezone, e.g. 2026-11-25T12:03:56.123Z' : '';
    default:
      return '';
  }
};

const pathOf = (root: string, path: readonly PropertyKey[]): string =>
  path.reduce<string>(
    (at, key) => (typeof key === 'number' ? `${at}[${key}]` : `${at}${at ? '.' : ''}${String(key)}`),
    root,
  ) || '(root)';

/** One line per issue, e.g. `input.reason: Too big: expected string to have <=256 characters (shorten it ...)`. */
export function describeIssues(issues: readonly z.core.$ZodIssue[], root = ''): string[] {
  return issues.map((issue) => {
    const fix = hint(issue);
    return `${pathOf(root, issue.path)}: ${issue.message}${fix ? ` (${fix})` : ''}`;
  });
}

/** Keys that would reach a prototype if any consumer ever merged this object into another. */
const POISON_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Paths of own keys named `__proto__`, `constructor` or `prototype` anywhere in a JSON value. */
export function poisonKeyPaths(value: unknown, root = ''): string[] {
  if (value === null || typeof value !== 'object') return [];
  const found: string[] = [];
  for (const [key, child] of Object.entries(value)) {
    const path = Array.isArray(value) ? `${root}[${key}]` : `${root}${root ? '.' : ''}${key}`;
    if (!Array.isArray(value) && POISON_KEYS.has(key)) found.push(path);
    found.push(...poisonKeyPaths(child, path));
  }
  return found;
}
