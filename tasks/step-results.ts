/**
 * An update step reports counts and its failures (tasks/state-size.ts). Its full results are rebuilt
 * from the plan: every planned change of the step that is not one of its failures was applied.
 * Shared by VerifyReachability and `vipctl show`, so both read a step the same way.
 */
import type { ApplyOutput } from './contracts';
import type { ChangeResult, Plan } from './plan';
import { routeKey } from './world';

export function rebuiltResults(
  plan: { readonly plan: Plan },
  out: Pick<ApplyOutput, 'step' | 'failures' | 'attempts'>,
): ChangeResult[] {
  const failures = new Map(out.failures.map((f) => [routeKey(f.table, f.vip), f]));
  return plan.plan.changes
    .filter((c) => c.step === out.step)
    .map(
      (c, i) =>
        failures.get(routeKey(c.table, c.vip)) ?? {
          table: c.table,
          kind: c.kind,
          region: c.region,
          vip: c.vip,
          step: c.step,
          previous: c.previous,
          target: c.target,
          result: 'applied' as const,
          action: c.action,
          ...(out.attempts?.[i] !== undefined ? { attempts: out.attempts[i] } : {}),
        },
    );
}
