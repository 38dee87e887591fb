/** `vipctl failover --to <node|self>`: start a run that makes a node active, and follow it. */
import type { ExecutionInput } from '../../tasks/contracts';
import type { CommandContext } from '../core/context';
import { openSession } from '../runs/session';

export interface FailoverOptions {
  readonly to: string;
  readonly reason?: string;
  readonly wait: boolean;
  readonly timeout: number;
  /** False with --no-stop: leave the run running when --timeout expires. */
  readonly stop: boolean;
  /** Run the tasks in this process (break-glass), without Step Functions. */
  readonly direct?: boolean;
  /** Start a run as usual; run directly only when StartExecution fails in every cluster region. */
  readonly directWhenUnavailable?: boolean;
}

export async function failoverCommand(ctx: CommandContext, options: FailoverOptions): Promise<number> {
  // Loaded here: cli/runs/direct.ts loads only cli/runs/follow.ts until a direct run is needed.
  const { assertWaitsForDirect, startOrRunDirect } = await import('../runs/direct');
  assertWaitsForDirect(options);
  const session = await openSession(ctx);
  const target = await session.node(options.to, '--to');
  const input: ExecutionInput = {
    target,
    requestedAt: ctx.deps.now().toISOString(),
    requestedBy: ctx.deps.requestedBy,
    ...(options.reason ? { reason: options.reason } : {}),
  };
  const report = await startOrRunDirect(ctx, session, input, {
    ...options,
    timeoutMs: options.timeout * 1000,
    stop: options.stop,
  });
  ctx.printJson(report);
  return report.exitCode;
}
