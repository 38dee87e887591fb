/**
 * Parsers for option values. Commander reports their errors as usage errors (exit 2), e.g.
 * `error: option '--timeout <seconds>' argument 'abc' is invalid. must be a positive number of seconds`.
 */
import { InvalidArgumentError } from 'commander';

export function seconds(value: string): number {
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed) || parsed <= 0) {
    throw new InvalidArgumentError('must be a positive number of seconds, e.g. 120');
  }
  return parsed;
}

export function count(value: string): number {
  const parsed = Number(value);
  if (!/^\d+$/.test(value.trim()) || parsed < 1 || parsed > 1000) {
    throw new InvalidArgumentError('must be a whole number from 1 to 1000');
  }
  return parsed;
}

const NODE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,47}$/;

/** A node name as the topology spells it, or `self`. Whether the node exists is checked against the file. */
export function nodeName(value: string): string {
  if (!NODE_NAME.test(value)) {
    throw new InvalidArgumentError('must be a node name from the topology (letters, digits, - or _) or self');
  }
  return value;
}
