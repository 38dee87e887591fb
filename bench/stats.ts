/** Small, pure statistics helpers for the benchmark tables. */

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function min(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : Math.min(...values);
}

export function max(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : Math.max(...values);
}

/** Median of each numeric field over a list of records with the same keys. */
export function medianOf<K extends string>(records: readonly Record<K, number>[], keys: readonly K[]) {
  return Object.fromEntries(keys.map((key) => [key, median(records.map((r) => r[key]))])) as Record<
    K,
    number
  >;
}
