/**
 * The benchmark's goals, each judged met or missed from the measured figures, with the reason computed
 * from the same figures (never fixed prose). Pure: the report and the tests call it with plain numbers.
 */

export interface GoalResult {
  readonly goal: string;
  /** The measured figure, as printed. */
  readonly figure: string;
  readonly limit: string;
  /** null when the run did not measure it. */
  readonly met: boolean | null;
  readonly reason: string;
}

/** A named part of a gap, in ms (what was measured above its floor). */
export interface GapPart {
  readonly name: string;
  readonly ms: number;
}

const ms = (value: number): string => `${Math.round(value).toLocaleString('en-US')} ms`;
const x = (value: number): string => `${value.toFixed(2)}x`;

/** The parts, largest first, that are above their floor (only positive parts explain a gap). */
function largest(parts: readonly GapPart[]): string {
  const positive = parts.filter((p) => p.ms > 0).sort((a, b) => b.ms - a.ms);
  if (positive.length === 0) return 'no part is above its floor';
  return positive.map((p) => `${p.name} +${ms(p.ms)}`).join(', ');
}

/**
 * measured / bound at most `limit`. A miss names the excess over limit × bound and the parts of the
 * gap above their floors, largest first; a pass names the margin left.
 */
export function ratioGoal(
  goal: string,
  measuredMs: number,
  boundMs: number,
  limit: number,
  parts: readonly GapPart[],
): GoalResult {
  if (!Number.isFinite(measuredMs) || !Number.isFinite(boundMs) || boundMs <= 0) {
    return { goal, figure: 'n/a', limit: `≤ ${x(limit)}`, met: null, reason: 'not measured in this run' };
  }
  const ratio = measuredMs / boundMs;
  const allowed = limit * boundMs;
  const met = ratio <= limit;
  const head = `${ms(measuredMs)} against a bound of ${ms(boundMs)}`;
  return {
    goal,
    figure: x(ratio),
    limit: `≤ ${x(limit)}`,
    met,
    reason: met
      ? `${head}: ${ms(allowed - measuredMs)} to spare`
      : `${head}: ${ms(measuredMs - allowed)} over ${x(limit)}; above their floors: ${largest(parts)}`,
  };
}

/** baseline / measured at least `limit` (a speed-up). */
export function speedUpGoal(
  goal: string,
  baselineMs: number | undefined,
  measuredMs: number,
  limit: number,
  missing: string,
): GoalResult {
  if (baselineMs === undefined || !Number.isFinite(baselineMs) || !Number.isFinite(measuredMs)) {
    return { goal, figure: 'n/a', limit: `≥ ${x(limit)}`, met: null, reason: missing };
  }
  const speedUp = baselineMs / measuredMs;
  const met = speedUp >= limit;
  const head = `baseline ${ms(baselineMs)} against ${ms(measuredMs)}`;
  return {
    goal,
    figure: x(speedUp),
    limit: `≥ ${x(limit)}`,
    met,
    reason: met
      ? `${head}`
      : `${head}: it would have to take at most ${ms(baselineMs / limit)}, ${ms(measuredMs - baselineMs / limit)} less`,
  };
}

/** A measured figure at most `limit` (`unit` names it: ms, MiB). */
export function ceilingGoal(
  goal: string,
  measured: number | undefined,
  limit: number,
  unit: string,
  parts: readonly GapPart[] = [],
): GoalResult {
  const fmt = (v: number) => `${Math.round(v).toLocaleString('en-US')} ${unit}`;
  if (measured === undefined || !Number.isFinite(measured)) {
    return { goal, figure: 'n/a', limit: `≤ ${fmt(limit)}`, met: null, reason: 'not measured in this run' };
  }
  const met = measured <= limit;
  const named = parts.length > 0 ? `; ${parts.map((p) => `${p.name} ${fmt(p.ms)}`).join(', ')}` : '';
  return {
    goal,
    figure: fmt(measured),
    limit: `≤ ${fmt(limit)}`,
    met,
    reason: met ? `${fmt(limit - measured)} to spare${named}` : `${fmt(measured - limit)} over${named}`,
  };
}

/** Several goals that must all hold (for instance wall time and memory of one command). */
export function allOf(goal: string, parts: readonly GoalResult[]): GoalResult {
  const met = parts.some((p) => p.met === false) ? false : parts.every((p) => p.met === true) ? true : null;
  return {
    goal,
    figure: parts.map((p) => p.figure).join(', '),
    limit: parts.map((p) => p.limit).join(', '),
    met,
    reason: parts.map((p) => `${p.goal}: ${p.reason}`).join('; '),
  };
}

export const verdict = (met: boolean | null): string =>
  met === true ? 'met' : met === false ? '**missed**' : 'not measured';
