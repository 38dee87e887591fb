/** Parsers of `vipctl local` option values; errors become usage errors (exit 2). */
import { InvalidArgumentError } from 'commander';

/** A TCP port; 0 asks the system for a free one. */
export function port(value: string): number {
  const parsed = Number(value);
  if (!/^\d+$/.test(value.trim()) || parsed > 65535)
    throw new InvalidArgumentError('must be a port from 0 to 65535 (0 picks a free one)');
  return parsed;
}

/** A non-negative number of milliseconds. */
export function millis(value: string): number {
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed) || parsed < 0)
    throw new InvalidArgumentError('must be a number of milliseconds, e.g. 80');
  return parsed;
}
