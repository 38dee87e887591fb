/**
 * Pacing: at most `maxInFlight` EC2 calls per region (per client) at a time; the rest wait in
 * arrival order. Waiting for a slot does not count against a call's retry budget.
 */
import type { EC2Client } from '@aws-sdk/client-ec2';

/**
 * Once a bucket is empty, each call in flight waits about maxInFlight / refill rate for a token
 * (25 / 5 per second = 5 s), well inside the retry budget. 100 in flight saved round trips on
 * unthrottled 100-table steps but made throttled calls outlive the budget (measured in bench/).
 */
export const DEFAULT_MAX_IN_FLIGHT = 25;

/** At most `limit` tasks at a time; the rest wait in arrival order. */
class Pacer {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}

const pacers = new WeakMap<EC2Client, Pacer>();

/** Paces `client` to `limit` calls in flight (clients.ts calls this when it builds a client). */
export function setPacing(client: EC2Client, limit: number): void {
  pacers.set(client, new Pacer(limit));
}

/** Runs `task` in the client's region's pacer; clients built elsewhere (tests) get the default limit. */
export function paced<T>(client: EC2Client, task: () => Promise<T>): Promise<T> {
  let pacer = pacers.get(client);
  if (!pacer) {
    pacer = new Pacer(DEFAULT_MAX_IN_FLIGHT);
    pacers.set(client, pacer);
  }
  return pacer.run(task);
}
