/** `vipctl failover --to <node|self>`: start a run that makes a node active, and follow it. */
import type { ExecutionInput } from '../tasks/contracts';
import type { CommandContext } from './context';
import { startAndFollow } from './follow';
import { openSession } from './session';

export interface FailoverOptions {
  readonly to: string;
  readonly reason?: string;
  readonly wait: boolean;
  readonly timeout: number;
  /** False with --no-stop: leave the run running when --timeout expires. */
  readonly stop: boolean;
}

export async function failoverCommand(ctx: CommandContext, options: FailoverOptions): Promise<number> {
  const session = await openSession(ctx);
  const target = await session.node(options.to, '--to');
  const input: ExecutionInput = {
    target,
    requestedAt: ctx.deps.now().toISOString(),
    requestedBy: ctx.deps.requestedBy,
    ...(options.reason ? { reason: options.reason } : {}),
  };
  const report = await startAndFollow(ctx, session, input, {
    wait: options.wait,
    timeoutMs: options.timeout * 1000,
    stop: options.stop,
  });
  ctx.printJson(report);
  return report.exitCode;
}
