/**
 * The lab's scenarios, each played with a probe running from a client in every VPC:
 * - kill-active: kill the node where Pacemaker runs the group, and measure until every client is
 *   answered by the survivor;
 * - move: a planned `crm_resource --move` to the other node and back, each measured the same way;
 * - kill-standby: kill the node that does not run the group; nothing may change and nothing be lost;
 * - partition: cut the nodes off from each other (clients and local AWS still reach both) until each
 *   side runs the group, watch what the clients see while the split lasts, then heal it and measure
 *   until Pacemaker runs the group on one node and every client is answered by it.
 *
 * The split of the time: detection (the kill until the survivor's Pacemaker reports the node offline,
 * polled every 250 ms; none for a planned move), Pacemaker (until the agent's `vipctl failover`
 * execution starts, from its Step Functions record; with the peer's agent, until every resource of the
 * group reports Started), the agent (the execution's own time), and the first packet (the execution's
 * end until the last client VPC's first answer from the new node; negative when clients of that node's
 * own VPC are answered before the run ends).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type RunningProbe, startProbe, type VipObservation } from '../local/data-plane/probe';
import type { LocalAws } from '../local/server';
import type { Lab } from './cluster';

export const SCENARIOS = ['kill-active', 'move', 'kill-standby', 'partition'] as const;
export type Scenario = (typeof SCENARIOS)[number];

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
  /** Null where a share is not measured (no detection in a planned move; no vipctl run with the peer's agent). */
  readonly split: {
    detectionMs: number | null;
    pacemakerMs: number | null;
    agentMs: number | null;
    firstPacketMs: number | null;
  };
}

export interface ScenarioOptions {
  /** The longest wait for the new node to answer every client. @default 120 s */
  readonly timeoutMs?: number;
  /** Once the group runs on the new node, how much longer the clients it has not reached get. @default 20 s */
  readonly settleMs?: number;
}

function clientsOf(aws: LocalAws) {
  return Object.entries(aws.dataPlane!.view().namespaces)
    .filter(([, n]) => n.role === 'client')
    .map(([key, n]) => ({ key, netns: n.netns, vpc: n.vpc }));
}

/** True when a 100 ms burst from every client is answered by `node` (at least once each). */
async function answersAll(
  clients: ReturnType<typeof clientsOf>,
  vip: string,
  node: string,
): Promise<boolean> {
  const check = await startProbe({ clients, vips: [vip], rate: 100, durationMs: 100 }).done;
  return Object.values(check).every((o) => (o.vips[vip]?.byNode[node] ?? 0) > 0);
}

/** Plays one change of node (`act`: a kill or a move) with the probe running; measures until `to` answers. */
async function transition(
  lab: Lab,
  aws: LocalAws,
  from: string,
  to: string,
  act: () => Promise<void>,
  planned: boolean,
  options: ScenarioOptions,
): Promise<ScenarioRun> {
  const clients = clientsOf(aws);
  const vip = lab.vip;
  const probe = startProbe({ clients, vips: [vip], rate: 100 });
  await probe.started;
  const actedAt = Date.now();
  await act();

  let offlineAt: number | undefined = planned ? actedAt : undefined;
  let deadline = actedAt + (options.timeoutMs ?? 120_000);
  let runningAt: number | undefined;
  for (;;) {
    if (offlineAt === undefined && !(await lab.online(to)).includes(from)) offlineAt = Date.now();
    if (offlineAt !== undefined && (await lab.startedOn()) === to) {
      // Once the group runs on `to`, the clients it has not reached get a bounded wait more: a VPC
      // whose routes no agent moves (the peer's agent, across regions) is never reached.
      if (runningAt === undefined) {
        runningAt = Date.now();
        deadline = Math.min(deadline, runningAt + (options.settleMs ?? 20_000));
      }
      if (await answersAll(clients, vip, to)) break;
    }
    if (Date.now() > deadline) break;
    await sleep(250);
  }
  const seen = await probe.stop();
  // The peer's agent starts no vipctl run; a run from before the change is not this one.
  const last = lab.agent === 'vipctl' ? await lab.lastRun() : undefined;
  const execution = last && last.startedAt >= actedAt ? last : undefined;
  let lastFirst = 0;
  const outcomes: Record<string, ClientOutcome> = {};
  for (const client of clients) {
    const v = seen[client.key]!.vips[vip]!;
    const first = v.firstAnswerAt[to];
    if (first !== undefined) lastFirst = Math.max(lastFirst, first);
    outcomes[client.vpc] = outcomeOf(v, first, actedAt);
  }
  const detected = offlineAt ?? actedAt;
  return {
    from,
    to,
    clients: outcomes,
    split: {
      detectionMs: planned ? null : detected - actedAt,
      pacemakerMs: execution
        ? execution.startedAt - detected
        : runningAt === undefined || lab.agent === 'vipctl'
          ? null
          : runningAt - detected,
      agentMs: execution ? execution.stoppedAt - execution.startedAt : null,
      firstPacketMs: execution && lastFirst ? Math.round(lastFirst - execution.stoppedAt) : null,
    },
  };
}

function outcomeOf(v: VipObservation, first: number | undefined, since: number): ClientOutcome {
  return {
    recovered: first !== undefined,
    answeredBy: Object.entries(v.lastAnswerAt).sort(([, a], [, b]) => b - a)[0]?.[0] ?? null,
    interruptionMs: first === undefined ? null : Math.max(0, Math.round(first - since)),
    looped: v.looped,
    packets: { sent: v.sent, byNode: v.byNode, lost: v.lost, longestGapMs: Math.round(v.longestGapMs) },
  };
}

async function activeAndOther(lab: Lab): Promise<[string, string]> {
  const active = await lab.startedOn();
  if (!active) throw new Error('the group runs nowhere: nothing to play');
  return [active, Object.keys(lab.nodes).find((n) => n !== active)!];
}

export async function killActive(
  lab: Lab,
  aws: LocalAws,
  options: ScenarioOptions = {},
): Promise<ScenarioRun> {
  const [from, to] = await activeAndOther(lab);
  return transition(lab, aws, from, to, () => lab.kill(from), false, options);
}

/** A planned move to the other node and back: two runs; the move's constraint is cleared at the end. */
export async function moveAndBack(
  lab: Lab,
  aws: LocalAws,
  options: ScenarioOptions = {},
): Promise<ScenarioRun[]> {
  const [a, b] = await activeAndOther(lab);
  try {
    const there = await transition(lab, aws, a, b, () => lab.move(b), true, options);
    const back = await transition(lab, aws, b, a, () => lab.move(a), true, options);
    return [there, back];
  } finally {
    await lab.clearMove();
  }
}

/**
 * Kills the standby: until the active node's Pacemaker reports it offline and for `observeMs` more,
 * the group must stay where it is and every client be answered by it. `from` is the killed node, `to`
 * the one that keeps the group; `recovered` means answered throughout by it.
 */
export async function killStandby(
  lab: Lab,
  aws: LocalAws,
  options: { observeMs?: number; timeoutMs?: number } = {},
): Promise<ScenarioRun> {
  const [active, standby] = await activeAndOther(lab);
  const clients = clientsOf(aws);
  const vip = lab.vip;
  const probe = startProbe({ clients, vips: [vip], rate: 100 });
  await probe.started;
  const killedAt = Date.now();
  await lab.kill(standby);
  await lab.waitFor(
    async () => !(await lab.online(active)).includes(standby),
    `${active} to see ${standby} offline`,
    options.timeoutMs ?? 120_000,
  );
  const detectedAt = Date.now();
  await sleep(options.observeMs ?? 3_000); // a fixed window to watch: nothing is awaited in it
  const seen = await probe.stop();
  const stayed = (await lab.startedOn()) === active;
  const outcomes: Record<string, ClientOutcome> = {};
  for (const client of clients) {
    const v = seen[client.key]!.vips[vip]!;
    const only = Object.keys(v.byNode).every((n) => n === active);
    const outcome = outcomeOf(v, v.firstAnswerAt[active], killedAt);
    outcomes[client.vpc] = { ...outcome, recovered: stayed && only && v.lost === 0 };
  }
  return {
    from: standby,
    to: active,
    clients: outcomes,
    split: { detectionMs: detectedAt - killedAt, pacemakerMs: null, agentMs: null, firstPacketMs: null },
  };
}

/** What a partition showed while it lasted, before the heal. */
export interface SplitBrain {
  /** The cut until each side reported the other offline. */
  readonly detectionMs: number;
  /** Where each side's Pacemaker ran the group during the split (`crm_resource --locate` on that node). */
  readonly groupOn: Record<string, string[]>;
  /** Per client VPC, the datagrams each node answered during the split. */
  readonly answeredBy: Record<string, Record<string, number>>;
  /** Datagrams looped (ICMP time exceeded) per client VPC during the split. */
  readonly looped: Record<string, number>;
  /** The target of each `vipctl failover` run the nodes started during the split, in order. */
  readonly failovers: readonly string[];
  /** The cut until the heal. */
  readonly heldMs: number;
}

/** A partition and its heal: `to` is where Pacemaker keeps the group once the sides merge (null: nowhere, in time). */
export interface PartitionRun extends Omit<ScenarioRun, 'to'> {
  readonly to: string | null;
  readonly splitBrain: SplitBrain;
}

/**
 * Cuts the nodes off from each other: each blackholes the other's address, so corosync's packets are
 * lost while clients and local AWS still reach both. With fencing off (LAB_SETTINGS), each side sees the
 * other offline and runs the group. The split is held, with the probe running, until each side runs the
 * group and the standby's run has reached every client, and then for `observeMs` more. Then the cut is
 * healed and measured as a transition: `from` ran the group before the cut, `to` is where Pacemaker
 * keeps it once the sides merge, and each client's first answer from `to` is counted from the heal.
 */
export async function partition(
  lab: Lab,
  aws: LocalAws,
  options: ScenarioOptions & { observeMs?: number } = {},
): Promise<PartitionRun> {
  const [from, other] = await activeAndOther(lab);
  const clients = clientsOf(aws);
  const vip = lab.vip;
  const timeoutMs = options.timeoutMs ?? 120_000;

  const during = startProbe({ clients, vips: [vip], rate: 100 });
  await during.started;
  const cutAt = Date.now();
  let healed = false;
  let after: RunningProbe | undefined;
  try {
    await lab.partition(true);
    const alone = async (node: string) => (await lab.online(node)).length === 1;
    await lab.waitFor(
      async () => (await alone(from)) && (await alone(other)),
      'each side of the partition to see the other offline',
      timeoutMs,
    );
    const detectedAt = Date.now();
    // Where each side runs the group, as seen when the condition last held.
    let groupOn: Record<string, string[]> = {};
    await lab.waitFor(
      async () => {
        groupOn = { [from]: await lab.locate(from), [other]: await lab.locate(other) };
        return (
          groupOn[from]!.includes(from) &&
          groupOn[other]!.includes(other) &&
          (await answersAll(clients, vip, other))
        );
      },
      `${other} to run the group and answer every client while ${from} still runs it`,
      timeoutMs,
    );
    await sleep(options.observeMs ?? 10_000); // a fixed window to watch the split: nothing is awaited in it
    const seen = await during.stop();
    after = startProbe({ clients, vips: [vip], rate: 100 });
    await after.started;
    const healAt = Date.now();
    await lab.partition(false);
    healed = true;
    const failovers = (await lab.failoversSince(cutAt)).filter((r) => r.startedAt < healAt);

    let to: string | null = null;
    const deadline = healAt + timeoutMs;
    for (;;) {
      const merged = (await lab.online(from)).length === 2 && (await lab.online(other)).length === 2;
      const started = merged ? await lab.startedOn() : null;
      const located = started ? [await lab.locate(from), await lab.locate(other)] : [];
      if (
        started &&
        located.every((l) => l.length === 1 && l[0] === started) &&
        (await answersAll(clients, vip, started))
      ) {
        to = started;
        break;
      }
      if (Date.now() > deadline) break;
      await sleep(250);
    }
    const healSeen = await after.stop();
    const outcomes: Record<string, ClientOutcome> = {};
    const answeredBy: Record<string, Record<string, number>> = {};
    const looped: Record<string, number> = {};
    for (const client of clients) {
      const v = healSeen[client.key]!.vips[vip]!;
      outcomes[client.vpc] = outcomeOf(v, to ? v.firstAnswerAt[to] : undefined, healAt);
      const split = seen[client.key]!.vips[vip]!;
      answeredBy[client.vpc] = split.byNode;
      looped[client.vpc] = split.looped;
    }
    return {
      from,
      to,
      clients: outcomes,
      split: { detectionMs: detectedAt - cutAt, pacemakerMs: null, agentMs: null, firstPacketMs: null },
      splitBrain: {
        detectionMs: detectedAt - cutAt,
        groupOn,
        answeredBy,
        looped,
        failovers: failovers.map((r) => r.target),
        heldMs: healAt - cutAt,
      },
    };
  } finally {
    // Whatever failed, the lab is left whole: the cut healed and no probe left sending.
    if (!healed) await lab.partition(false).catch(() => {});
    await after?.stop().catch(() => {});
    await during.stop().catch(() => {});
  }
}
