/**
 * Plain-text building blocks for human output: aligned tables, durations and timestamps.
 * Live step lists, timelines and diagrams live in their own `render-*.ts` files.
 */
import { visibleLength } from './style';

/** Columns padded to the widest cell; the last column is not padded, so lines carry no trailing spaces. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((row) => visibleLength(row[i] ?? ''))));
  return all
    .map((row) =>
      row
        .map((cell, i) =>
          i === row.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - visibleLength(cell)),
        )
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** `312 ms`, `4.2 s`, `2 min 5 s`. */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms - minutes * 60_000) / 1000)} s`;
}

/** `2026-11-25 12:03:56` in UTC: runs span regions, so one clock for all of them. */
export const timestamp = (at: Date): string => `${at.toISOString().slice(0, 19).replace('T', ' ')}Z`;

/** `1 change`, `2 changes`. */
export const plural = (count: number, noun: string): string => `${count} ${noun}${count === 1 ? '' : 's'}`;
