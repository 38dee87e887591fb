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
  /** The packets behind the verdict: datagrams sent, answers per node, lost, the longest gap. */
  readonly packets: { sent: number; byNode: Record<string, number>; lost: number; longestGapMs: number };
}

export interface ScenarioRun {
  readonly from: string;
  readonly to: string;
  readonly clients: Record<string, ClientOutcome>;
  /** Null where a share is not measured (the peer's agent starts no vipctl run to time). */
  readonly split: {
    detectionMs: number;
    pacemakerMs: number | null;
    agentMs: number | null;
    firstPacketMs: number | null;
  };
}

export async function killActive(
  lab: Lab,
  aws: LocalAws,
  options: { timeoutMs?: number; settleMs?: number } = {},
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
  let deadline = killedAt + (options.timeoutMs ?? 120_000);
  let runningAt: number | undefined;
  for (;;) {
    if (offlineAt === undefined && !(await lab.online(to)).includes(from)) offlineAt = Date.now();
    if (offlineAt !== undefined && (await lab.startedOn()) === to) {
      // Once the group runs on the survivor, the clients it has not reached get a bounded wait more:
      // a VPC whose routes no agent moves (the peer's agent, across regions) is never reached.
      if (runningAt === undefined) {
        runningAt = Date.now();
        deadline = Math.min(deadline, runningAt + (options.settleMs ?? 20_000));
      }
      const check = await startProbe({ clients, vips: [vipAddress], rate: 100, durationMs: 100 }).done;
      if (Object.values(check).every((o) => (o.vips[vipAddress]?.byNode[to] ?? 0) > 0)) break;
    }
    if (Date.now() > deadline) break;
    await sleep(250);
  }
  const seen = await probe.stop();
  // The peer's agent starts no vipctl run: its share of the time is not split from Pacemaker's.
  const execution = lab.agent === 'vipctl' ? await lab.lastRun() : undefined;
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
      packets: { sent: v.sent, byNode: v.byNode, lost: v.lost, longestGapMs: Math.round(v.longestGapMs) },
    };
  }
  const detected = offlineAt ?? killedAt;
  return {
    from,
    to,
    clients: outcomes,
    split: {
      detectionMs: detected - killedAt,
      // Without a vipctl run, Pacemaker's share runs until crm_resource reports the group started.
      pacemakerMs: execution
        ? execution.startedAt - detected
        : runningAt === undefined
          ? null
          : runningAt - detected,
      agentMs: execution ? execution.stoppedAt - execution.startedAt : null,
      firstPacketMs: execution && lastFirst ? Math.round(lastFirst - execution.stoppedAt) : null,
    },
  };
}
