/**
 * `vipctl demo` (what `npm start` runs): the whole story on local AWS in under a minute. Every step
 * is a real vipctl command, run in process through `run(argv, io)` with `--endpoint-url` pointing at
 * local AWS, so the demo takes the same code paths and the same SDK clients over HTTP as a cluster node.
 * cli/program.ts hands `run` in (`Vipctl`), so this module does not import the command tree that loads it.
 */
import { join } from 'node:path';
import type { ClientObservation } from '../../local/data-plane/probe';
import type { LocalAws } from '../../local/index';
import { loadTopology, type Topology } from '../../tasks/topology';
import { packageRoot, startCliLocalAws } from '../aws/local-aws';
import { usageError } from '../core/cli-error';
import type { CliDeps, CommandContext } from '../core/context';
import { ExitCode } from '../core/exit-codes';
import type { CliIo } from '../core/io';

/** vipctl itself, in process: cli/program.ts's `run`. */
export type Vipctl = (argv: readonly string[], io: CliIo, deps?: Partial<CliDeps>) => Promise<number>;

/** One demo step: a vipctl command and the exit code the story expects of it. */
export interface DemoStep {
  readonly title: string;
  /** Why the step matters, in a sentence or two. */
  readonly explain: string;
  readonly argv: readonly string[];
  readonly expect: number;
  /** Instance metadata answers as this node (`self`). @default the seeded active node */
  readonly self?: string;
  /** Stop this node's instance in local AWS for the step, and start it again after. @default none */
  readonly stopped?: string;
}

/** The story, given the topology's node names. */
export function demoSteps(from: string, to: string): DemoStep[] {
  return [
    {
      title: 'status: where does each VPC send the VIP?',
      explain: `${from} is active. Every route table, in both regions, leads to it.`,
      argv: ['status'],
      expect: ExitCode.Ok,
    },
    {
      title: `failover --to ${to}: the cluster moves the service`,
      explain:
        'One command starts the Step Functions workflow: plan, then the local VPC, the TGW tables, and\n' +
        'the remote VPCs in that order (never a loop), then a hop-by-hop trace. Live progress below.',
      argv: ['failover', '--to', to, '--reason', 'vipctl demo'],
      expect: ExitCode.Ok,
    },
    {
      title: 'status again',
      explain: `Now every VPC's traffic to the VIP reaches ${to}, across the TGW peering.`,
      argv: ['status'],
      expect: ExitCode.Ok,
    },
    {
      title: `check --active ${to}: the cluster monitor`,
      explain: 'Read-only EC2 calls and a trace: exit 0 when every route reaches the active node.',
      argv: ['check', '--active', to],
      expect: ExitCode.Ok,
    },
    {
      title: 'check --active self, as the node itself',
      explain:
        `"self" is resolved through IMDSv2, here served by local AWS as ${to}'s metadata. On the node,\n` +
        'check also asks whether every VIP is an address of this host; this machine is not the node.',
      argv: ['check', '--active', 'self', '--no-host-check'],
      expect: ExitCode.Ok,
      self: to,
    },
    {
      title: `check --active ${from}: the old node's monitor`,
      explain: `Exit 1 tells ${from}'s monitor that the routes no longer reach it.`,
      argv: ['check', '--active', from],
      expect: ExitCode.Failed,
    },
    {
      title: 'runs: the audit trail',
      explain: 'Every run is a Step Functions execution, listed from all cluster regions.',
      argv: ['runs'],
      expect: ExitCode.Ok,
    },
    {
      title: 'show --last: one run as a timeline',
      explain: 'Step durations, every change with its previous target, and the snapshot taken before.',
      argv: ['show', '--last'],
      expect: ExitCode.Ok,
    },
    {
      title: 'rollback --last --yes: put the routes back',
      explain: "A rollback is an execution of its own that restores the last run's snapshot.",
      argv: ['rollback', '--last', '--yes', '--reason', 'vipctl demo rollback'],
      expect: ExitCode.Ok,
    },
    {
      title: 'drill --to all: would a failover work, right now?',
      explain:
        'A drill plans a failover to each node, sends every write with DryRun (IAM says allowed or not,\n' +
        'nothing changes), and traces the world as the plan would leave it. READY: exit 0.',
      argv: ['drill', '--to', 'all'],
      expect: ExitCode.Ok,
    },
    {
      title: `drill --to ${to} with its instance stopped`,
      explain:
        `Local AWS stops ${to}'s instance for this step: the drill is NOT READY and says why, long before\n` +
        'a real failover would have found out. The schedule in the CDK app runs these drills every 30 minutes.',
      argv: ['drill', '--to', to],
      expect: ExitCode.Failed,
      stopped: to,
    },
  ];
}

/** Variables that would send the demo's clients elsewhere or to real credentials. */
const FOREIGN =
  /^AWS_(ENDPOINT_URL.*|PROFILE|DEFAULT_PROFILE|ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN|EC2_METADATA_.*)$/;

/** The local AWS instance of a node, whose state the demo may change. */
function instanceOf(aws: LocalAws, topology: Topology, node: string) {
  const { instance, vpc } = topology.nodes[node]!;
  return aws.world.region(topology.vpcs[vpc]!.region).instances[instance];
}

export interface DemoOptions {
  /** Real packets too: local AWS's kernel data plane, a client in each VPC probing the VIP (root). */
  readonly dataPlane?: boolean;
}

/** One line per client: who answered, when the new node first did, gaps and loops. */
function packetLines(seen: Record<string, ClientObservation>, vip: string, since: number): string[] {
  return Object.entries(seen).map(([client, o]) => {
    const v = o.vips[vip]!;
    const nodes = Object.entries(v.byNode)
      .sort(([, a], [, b]) => b - a)
      .map(([node, n]) => `${node} ${n}`)
      .join(', ');
    const firsts = Object.entries(v.firstAnswerAt)
      .map(([node, at]) => `${node} first at +${(Math.max(0, at - since) / 1000).toFixed(2)} s`)
      .join(', ');
    return `  ${client}: ${v.sent} sent, answered by ${nodes || 'nobody'} (${firsts || 'no answer'}); longest gap ${Math.round(v.longestGapMs)} ms, ${v.looped} looped, ${v.lost} lost`;
  });
}

export async function demoCommand(ctx: CommandContext, options: DemoOptions, run: Vipctl): Promise<number> {
  const started = Date.now();
  if (options.dataPlane) {
    const { dataPlaneMissing } = await import('../../local/data-plane/netns');
    const missing = dataPlaneMissing();
    if (missing)
      throw usageError(`--data-plane: ${missing}`, 'nothing was changed; npm start runs the demo without it');
  }
  const config = join(packageRoot(), 'examples', 'two-region.yaml');
  const topology = await loadTopology(config);
  const [from, to] = Object.keys(topology.nodes);
  if (!from || !to) throw new Error(`${config} must name two nodes for the demo`);
  const { style } = ctx;
  const heading = (n: number, text: string) => ctx.print(`\n${style.bold(`── ${n}. ${text}`)}`);

  heading(1, 'start local AWS');
  ctx.print(`Local AWS speaks EC2 and Step Functions on 127.0.0.1, seeded from examples/two-region.yaml:`);
  ctx.print(
    `${from} in ${topology.vpcs[topology.nodes[from]!.vpc]?.region}, ${to} in ${
      topology.vpcs[topology.nodes[to]!.vpc]?.region
    }, one TGW per region joined by a peering.`,
  );
  const aws = await startCliLocalAws({
    topology,
    active: from,
    port: 0,
    ...(options.dataPlane ? { dataPlane: { vipOn: 'all' as const } } : {}),
  });
  ctx.print(`listening on ${aws.url} (account ${aws.account}); ${from} is active.`);
  const vip = topology.vips[0]!;
  const clients = aws.dataPlane
    ? Object.entries(aws.dataPlane.view().namespaces)
        .filter(([, n]) => n.role === 'client')
        .map(([key, n]) => ({ key, netns: n.netns }))
    : [];
  const { startProbe } = aws.dataPlane
    ? await import('../../local/data-plane/probe')
    : { startProbe: undefined };
  if (startProbe) {
    ctx.print(
      `The data plane: every VPC, TGW, node and client is a network namespace whose kernel routes follow local AWS's\n` +
        `route tables. The VIP is on both nodes, so routing alone decides who answers. One second of packets to ${vip}:`,
    );
    const since = Date.now();
    for (const line of packetLines(
      await startProbe({ clients, vips: [vip], durationMs: 1000 }).done,
      vip,
      since,
    ))
      ctx.print(line);
  }

  const env: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(ctx.io.env)) if (!FOREIGN.test(key)) env[key] = value;
  env.AWS_EC2_METADATA_DISABLED = 'true';
  const globals = [
    '--config',
    config,
    '--endpoint-url',
    aws.url,
    ...(ctx.globals.color ? [] : ['--no-color']),
  ];

  let failed: { n: number; step: DemoStep; code: number } | undefined;
  try {
    const steps = demoSteps(from, to);
    for (const [i, step] of steps.entries()) {
      const n = i + 2;
      heading(n, step.title);
      ctx.print(style.dim(step.explain));
      ctx.print(style.dim(`$ vipctl ${step.argv.join(' ')}`));
      const io: CliIo = {
        stdout: ctx.io.stdout,
        stderr: ctx.io.stderr,
        isTTY: ctx.io.isTTY,
        cwd: ctx.io.cwd,
        env: { ...env, AWS_EC2_METADATA_SERVICE_ENDPOINT: `${aws.url}/_imds/${step.self ?? from}` },
      };
      const instance = step.stopped ? instanceOf(aws, topology, step.stopped) : undefined;
      if (instance) instance.state = 'stopped';
      const probed = startProbe && ['failover', 'rollback'].includes(step.argv[0] ?? '');
      const probe = probed ? startProbe({ clients, vips: [vip] }) : undefined;
      await probe?.started;
      const since = Date.now();
      const code = await run([...globals, ...step.argv], io, ctx.deps).finally(() => {
        if (instance) instance.state = 'running';
      });
      if (probe) {
        ctx.print(`Packets to ${vip} while it ran (100 per second from a client in each VPC):`);
        for (const line of packetLines(await probe.stop(), vip, since)) ctx.print(line);
      }
      if (code !== step.expect) {
        failed = { n, step, code };
        break;
      }
    }
  } finally {
    heading(demoSteps(from, to).length + 2, 'stop local AWS');
    await aws.close();
    ctx.print('stopped.');
  }

  if (failed) {
    ctx.note(
      `demo: step ${failed.n} (vipctl ${failed.step.argv.join(' ')}) exited ${failed.code}, expected ${failed.step.expect}`,
    );
    return ExitCode.Failed;
  }
  ctx.print(
    `\nThe whole story took ${((Date.now() - started) / 1000).toFixed(1)} s. Try it yourself: vipctl local`,
  );
  return ExitCode.Ok;
}
