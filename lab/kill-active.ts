/**
 * The kill-active scenario: with a probe running from a client in every VPC, kill the node where
 * Pacemaker runs the group, and measure until every client is answered by the survivor.
 *
 * The split of the time: detection (the kill until the survivor's Pacemaker reports the node offline,
 * polled every 250 ms), Pacemaker (until the agent's `vipctl failover` execution starts, from its Step
 * Functions record), the agent (the execution's own time), and the first packet (the execution's end
 * until the last client VPC's first answer from the survivor; negative when clients of the survivor's
 * own VPC are answered before the run ends).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { startProbe } from '../local/data-plane/probe';
import type { LocalAws } from '../local/server';
import type { Lab } from './cluster';

export interface ClientOutcome {
  readonly recovered: boolean;
  readonly answeredBy: string | null;
  readonly interruptionMs: number | null;
  readonly looped: number;
}

export interface ScenarioRun {
  readonly from: string;
  readonly to: string;
  readonly clients: Record<string, ClientOutcome>;
  readonly split: { detectionMs: number; pacemakerMs: number; agentMs: number; firstPacketMs: number };
}

export async function killActive(
  lab: Lab,
  aws: LocalAws,
  options: { timeoutMs?: number } = {},
): Promise<ScenarioRun> {
  const from = await lab.activeNode();
  if (!from) throw new Error('the group runs nowhere: nothing to kill');
  const to = Object.keys(lab.nodes).find((n) => n !== from)!;
  const clients = Object.entries(aws.dataPlane!.view().namespaces)
    .filter(([, n]) => n.role === 'client')
    .map(([key, n]) => ({ key, netns: n.netns, vpc: n.vpc }));
  const vipAddress = lab.vip;
  const probe = startProbe({ clients, vips: [vipAddress], rate: 100 });
  await probe.started;
  const killedAt = Date.now();
  await lab.kill(from);

  let offlineAt: number | undefined;
  const deadline = killedAt + (options.timeoutMs ?? 120_000);
  for (;;) {
    if (offlineAt === undefined && !(await lab.online(to)).includes(from)) offlineAt = Date.now();
    if (offlineAt !== undefined && (await lab.activeNode()) === to) {
      const check = await startProbe({ clients, vips: [vipAddress], rate: 100, durationMs: 100 }).done;
      if (Object.values(check).every((o) => (o.vips[vipAddress]?.byNode[to] ?? 0) > 0)) break;
    }
    if (Date.now() > deadline) break;
    await sleep(250);
  }
  const seen = await probe.stop();
  const execution = await lab.lastRun();
  const outcomes: Record<string, ClientOutcome> = {};
  let lastFirst = 0;
  for (const client of clients) {
    const v = seen[client.key]!.vips[vipAddress]!;
    const first = v.firstAnswerAt[to];
    if (first !== undefined) lastFirst = Math.max(lastFirst, first);
    outcomes[client.vpc] = {
      recovered: first !== undefined,
      answeredBy: Object.entries(v.lastAnswerAt).sort(([, a], [, b]) => b - a)[0]?.[0] ?? null,
      interruptionMs: first === undefined ? null : Math.round(first - killedAt),
      looped: v.looped,
    };
  }
  const detected = offlineAt ?? killedAt;
  return {
    from,
    to,
    clients: outcomes,
    split: {
      detectionMs: detected - killedAt,
      pacemakerMs: execution ? execution.startedAt - detected : Number.NaN,
      agentMs: execution ? execution.stoppedAt - execution.startedAt : Number.NaN,
      firstPacketMs: execution && lastFirst ? Math.round(lastFirst - execution.stoppedAt) : Number.NaN,
    },
  };
}
