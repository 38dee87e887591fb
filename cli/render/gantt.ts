/** A text Gantt chart of a run's steps: when each state started and how long it took, to scale. */
import type { StepRecord } from '../runs/executions';
import { duration } from './text';

export function gantt(steps: readonly StepRecord[], width = 40, now = new Date()): string {
  if (steps.length === 0) return '';
  const start = Math.min(...steps.map((s) => s.enteredAt.getTime()));
  const end = Math.max(...steps.map((s) => (s.exitedAt ?? now).getTime()), start + 1);
  const scale = width / (end - start);
  const nameWidth = Math.max(...steps.map((s) => s.name.length));
  return steps
    .map((step) => {
      const from = step.enteredAt.getTime();
      const to = (step.exitedAt ?? now).getTime();
      const offset = Math.min(width - 1, Math.floor((from - start) * scale));
      const length = Math.max(1, Math.min(width - offset, Math.round((to - from) * scale)));
      const bar = `${' '.repeat(offset)}${'█'.repeat(length)}`.padEnd(width);
      const took = step.exitedAt ? duration(to - from) : 'running';
      return `${step.name.padEnd(nameWidth)}  |${bar}|  ${took}${step.failure ? `  ${step.failure.error}` : ''}`;
    })
    .join('\n');
}
