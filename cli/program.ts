/**
 * The vipctl command tree. Commands register lazily: each action `import()`s its module, so
 * `vipctl --help` never loads the AWS SDK. Commands return an exit code; only cli/index.ts exits.
 */
import { isAbsolute, resolve } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { CLI_WAIT_SECONDS } from '../tasks/time-budget';
import { configuredProxies } from './aws/network';
import type { DemoOptions } from './commands/demo';
import { accountOption, clusterOption, nodeOption, vipOption, vpcOption } from './commands/discover-options';
import { millis, port } from './commands/local-options';
import { type CliDeps, type CommandContext, createContext, defaultDeps } from './core/context';
import { ExitCode } from './core/exit-codes';
import type { GlobalOptions } from './core/globals';
import type { CliIo } from './core/io';
import { count, nodeName, seconds } from './core/options';
import { describeFailure } from './failure';

export type { CliIo } from './core/io';

interface ProgramState {
  exitCode: number;
}

const STATE = Symbol('vipctl-state');

/** Where direct runs are recorded unless `--journal` or VIPCTL_JOURNAL says otherwise. */
const DEFAULT_JOURNAL_DIR = '/var/lib/tgw-vip-failover/runs';
type StatefulCommand = Command & { [STATE]?: ProgramState };

function globalsOf(command: Command, io: CliIo): GlobalOptions {
  const o = command.optsWithGlobals<Record<string, unknown>>();
  const config = typeof o.config === 'string' ? o.config : (io.env.VIPCTL_CONFIG ?? 'cluster.yaml');
  const journal = typeof o.journal === 'string' ? o.journal : (io.env.VIPCTL_JOURNAL ?? DEFAULT_JOURNAL_DIR);
  return {
    config: isAbsolute(config) ? config : resolve(io.cwd, config),
    endpointUrl: typeof o.endpointUrl === 'string' ? o.endpointUrl : undefined,
    region: typeof o.region === 'string' ? o.region : undefined,
    profile: typeof o.profile === 'string' ? o.profile : (io.env.AWS_PROFILE ?? undefined),
    json: o.json === true,
    debug: o.debug === true,
    color: o.color !== false,
    journal: isAbsolute(journal) ? journal : resolve(io.cwd, journal),
  };
}

/**
 * Builds the program. Output goes to `io`; errors throw `CommanderError` (exitOverride) so that
 * `run` can turn them into exit codes. `deps` replaces the clock and the route reader in tests.
 */
export function createProgram(io: CliIo, deps: Partial<CliDeps> = {}): Command {
  const state: ProgramState = { exitCode: ExitCode.Ok };
  const program: StatefulCommand = new Command('vipctl');
  program[STATE] = state;
  const allDeps: CliDeps = { ...defaultDeps(io.env), ...deps };

  program
    .description("Fail a cluster's virtual IP routes over between VPCs, Transit Gateways and regions.")
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .showHelpAfterError('(run with --help for usage)')
    .option('--config <file>', 'topology file (env VIPCTL_CONFIG)', undefined)
    .option('--endpoint-url <url>', 'send every AWS call to this endpoint (e.g. local AWS)')
    .option('--region <region>', 'region for calls that are not tied to the topology (STS)')
    .option('--profile <name>', 'AWS profile (env AWS_PROFILE)')
    .option('--json', 'machine-readable output on stdout')
    .option('--debug', 'show stack traces')
    .option('--no-color', 'no colour even on a terminal')
    .option('--journal <dir>', 'where direct runs are recorded (env VIPCTL_JOURNAL)');

  /** Runs a lazily imported command and records its exit code. */
  const action =
    <T>(load: () => Promise<(ctx: CommandContext, options: T) => Promise<number>>) =>
    async (...args: unknown[]) => {
      const command = args[args.length - 1] as Command;
      const ctx = createContext(io, globalsOf(command, io), allDeps);
      const options = { ...command.opts(), args: command.args } as T;
      const run = await load();
      state.exitCode = await run(ctx, options);
    };

  program
    .command('failover')
    .description('start a run that moves the VIP routes to a node, and follow it')
    .addOption(
      new Option('--to <node>', 'the node to make active, or self').argParser(nodeName).makeOptionMandatory(),
    )
    .option('--reason <text>', 'why (kept in the run input)')
    .option('--no-wait', 'start the run and return')
    .addOption(
      new Option('--timeout <seconds>', 'how long to wait, then stop the run')
        .argParser(seconds)
        .default(CLI_WAIT_SECONDS),
    )
    .option('--no-stop', 'leave the run running when --timeout expires')
    .addOption(
      new Option('--direct', 'break-glass: run the tasks in this process, without Step Functions').conflicts(
        'directWhenUnavailable',
      ),
    )
    .option(
      '--direct-when-unavailable',
      'run directly only if Step Functions cannot start the run in any cluster region',
    )
    .action(action(async () => (await import('./commands/failover')).failoverCommand));

  program
    .command('drill')
    .description('prove that a failover would work, writing nothing (0 ready, 1 not ready, 4 unknown)')
    .addOption(
      new Option('--to <node>', 'the node to drill, self, or all (every node at once)')
        .argParser(nodeName)
        .makeOptionMandatory(),
    )
    .option('--reason <text>', 'why (kept in the run input)')
    .addOption(
      new Option('--timeout <seconds>', 'how long to wait for each drill')
        .argParser(seconds)
        .default(CLI_WAIT_SECONDS),
    )
    .option('--direct', 'drill from this node, in-process: DryRun writes with its own permissions')
    .action(action(async () => (await import('./commands/drill')).drillCommand));

  program
    .command('plan')
    .description('dry run: read the routes and print what a failover would change')
    .addOption(
      new Option('--to <node>', 'the node to make active, or self').argParser(nodeName).makeOptionMandatory(),
    )
    .action(action(async () => (await import('./commands/plan')).planCommand));

  program
    .command('status')
    .description('every VIP route in every table, and where each VPC sends the VIP')
    .addOption(
      new Option('--format <format>', 'output format').choices(['table', 'json', 'mermaid']).default('table'),
    )
    .action(action(async () => (await import('./commands/status')).statusCommand));

  program
    .command('check')
    .description('monitor: are the VIP routes converged on the active node? (0 yes, 1 no, 4 unknown)')
    .addOption(
      new Option('--active <node>', 'the node that should be active, or self')
        .argParser(nodeName)
        .makeOptionMandatory(),
    )
    .option('--repair', 'start a failover to the active node when not converged')
    .option('--no-host-check', 'with self: do not check that every VIP is an address of this host')
    .option(
      '--via-workflow',
      "ask a read-only drill in the active node's region instead of reading every region from here",
    )
    .addOption(
      new Option('--timeout <seconds>', 'how long to wait for a repair, or for the drill of --via-workflow')
        .argParser(seconds)
        .default(120),
    )
    .action(action(async () => (await import('./commands/check')).checkCommand));

  program
    .command('runs')
    .description('recent runs of all cluster regions, newest first')
    .addOption(new Option('--limit <n>', 'how many runs').argParser(count).default(10))
    .option('--no-drills', 'leave drill runs out')
    .action(action(async () => (await import('./commands/runs')).runsCommand));

  program
    .command('show')
    .description('one run: step timeline, changes, snapshot, trace, error')
    .argument('[run]', 'execution ARN or name')
    .option('--last', 'the newest run')
    .action(action(async () => (await import('./commands/show')).showCommand));

  program
    .command('rollback')
    .description("start a restore run from a run's snapshot")
    .argument('[run]', 'execution ARN or name')
    .option('--last', 'the newest run')
    .option('--yes', 'do not ask for confirmation')
    .option('--reason <text>', 'why (kept in the run input)')
    .option('--no-wait', 'start the run and return')
    .addOption(
      new Option('--timeout <seconds>', 'how long to wait, then stop the run')
        .argParser(seconds)
        .default(CLI_WAIT_SECONDS),
    )
    .option('--no-stop', 'leave the run running when --timeout expires')
    .addOption(
      new Option('--direct', 'break-glass: restore in this process, without Step Functions').conflicts(
        'directWhenUnavailable',
      ),
    )
    .option(
      '--direct-when-unavailable',
      'restore directly only if Step Functions cannot start the run in any cluster region',
    )
    .action(action(async () => (await import('./commands/rollback')).rollbackCommand));

  program
    .command('policy')
    .description('print the least-privilege IAM policy for a cluster node or for the task role')
    .addOption(new Option('--node', 'the policy a cluster node needs').conflicts('lambda'))
    .addOption(new Option('--lambda', 'the policy of the workflow tasks').conflicts(['node', 'account']))
    .addOption(
      new Option('--account <key>', "another account's access role: its policy and trust policy").conflicts([
        'node',
        'lambda',
      ]),
    )
    .option('--direct', 'with --node: add the VIP-route writes of direct runs (failover --direct)')
    .action(action(async () => (await import('./commands/policy')).policyCommand));

  program
    .command('discover')
    .description('write cluster.yaml from AWS, given the VIPs and each node as name=instance@region')
    .option('--vip <cidr>', 'a VIP: an IPv4 /32 or IPv6 /128 (repeat for more)', vipOption)
    .option('--node <name=instance@region>', 'a cluster node (repeat for each)', nodeOption)
    .option(
      '--client-vpc <vpc-id@region>',
      "a clients' VPC whose tables carry the VIP too (repeatable)",
      vpcOption,
    )
    .option(
      '--account <key=role-arn[,externalId=id]>',
      "another account's access role, to read its RAM-shared transit gateways or client VPCs (repeatable)",
      accountOption,
    )
    .addOption(
      new Option('--cluster <name>', 'cluster name (names stacks and state machines)').argParser(
        clusterOption,
      ),
    )
    .option('--output <file>', 'write the file here instead of stdout')
    .action(action(async () => (await import('./commands/discover')).discoverCommand));

  program
    .command('local')
    .description('run local AWS on 127.0.0.1, seeded from the topology file, until Ctrl-C')
    .addOption(new Option('--port <port>', 'port; 0 picks a free one').argParser(port).default(4566))
    .addOption(new Option('--active <node>', 'seed the VIP routes to this node').argParser(nodeName))
    .option('--no-vip-routes', 'seed no VIP routes at all')
    .addOption(
      new Option('--profile <models>', 'behaviour models').choices(['off', 'realistic']).default('off'),
    )
    .option('--state <file>', 'keep the world and the runs in this file across restarts')
    .option(
      '--ec2-endpoint <url>',
      'send EC2 calls to another emulator (LocalStack, moto); keep Step Functions here',
    )
    .addOption(new Option('--latency-ms <ms>', 'latency of every request within a region').argParser(millis))
    .addOption(new Option('--cross-region-ms <ms>', 'latency of a cross-region request').argParser(millis))
    .addOption(new Option('--cold-start-ms <ms>', 'Lambda cold start per function').argParser(millis))
    .addOption(new Option('--transition-ms <ms>', 'cost of each state transition').argParser(millis))
    .option('--throttle', 'turn on the EC2 token buckets')
    .option('--log', 'log every request on stderr')
    .option('--data-plane', 'carry the route tables into Linux network namespaces (root): real packets')
    .addOption(
      new Option('--vip-on <nodes>', 'with --data-plane: put the VIPs on every node, or on none')
        .choices(['all', 'none'])
        .default('none'),
    )
    .addOption(new Option('--clients <n>', 'with --data-plane: clients per VPC').argParser(count).default(1))
    .addOption(
      new Option('--propagation-ms <ms>', 'with --data-plane: delay of a route write into the kernel')
        .argParser(millis)
        .default(0),
    )
    .action(action(async () => (await import('./commands/local')).localCommand));

  program
    .command('probe')
    .description('packets from every client of a local data plane to every VIP: who answers, gaps, loops')
    .addOption(
      new Option('--rate <n>', 'datagrams per second per client and VIP').argParser(count).default(100),
    )
    .addOption(
      new Option('--duration <seconds>', 'stop after this long (default: until Ctrl-C)').argParser(seconds),
    )
    .option('--vip <cidr...>', 'only these VIPs')
    .action(action(async () => (await import('./commands/probe')).probeCommand));

  const agentOption = () =>
    new Option('--agent <agent>', "the group's agent: this project's, or ClusterLabs' aws-vpc-move-ip")
      .choices(['vipctl', 'aws-vpc-move-ip'])
      .default('vipctl');
  const lab = program.command('lab').description('a real Pacemaker cluster on the local data plane (root)');
  lab
    .command('run')
    .description('play a scenario with packets running: kill the active node, time the recovery per VPC')
    .addOption(
      new Option('--scenario <name>', 'what to play')
        .choices(['kill-active', 'move', 'kill-standby', 'partition'])
        .default('kill-active'),
    )
    .addOption(new Option('--runs <n>', 'how many times, each on a fresh lab').argParser(count).default(1))
    .addOption(agentOption())
    .action(action(async () => (await import('./commands/lab')).labRunCommand));
  lab
    .command('up')
    .description(
      'start local AWS, its data plane and the cluster in the background; returns once the group runs',
    )
    .addOption(agentOption())
    .action(action(async () => (await import('./commands/lab')).labUpCommand));
  lab
    .command('serve', { hidden: true })
    .description('own a lab until SIGTERM (started by lab up)')
    .addOption(agentOption())
    .action(action(async () => (await import('./commands/lab')).labServeCommand));
  lab
    .command('kill')
    .description('kill a node of the lab: its processes, and its link goes down')
    .argument('<node>', 'the node')
    .action(action(async () => (await import('./commands/lab')).labKillCommand));
  lab
    .command('move')
    .description('a planned move of the group to a node (crm_resource --move)')
    .argument('<node>', 'the node')
    .action(action(async () => (await import('./commands/lab')).labMoveCommand));
  lab
    .command('status')
    .description('the cluster (crm_mon), where the group runs, and the route tables')
    .action(action(async () => (await import('./commands/lab')).labStatusCommand));
  lab
    .command('down')
    .description('stop the lab and remove everything, also what a crashed one left')
    .action(action(async () => (await import('./commands/lab')).labDownCommand));

  program
    .command('demo')
    .description('the whole story on local AWS in under a minute (what npm start runs)')
    .option('--data-plane', 'real packets too: clients in every VPC probe the VIP while it moves (root)')
    .action(
      action(async () => {
        const { demoCommand } = await import('./commands/demo');
        return (ctx, options: DemoOptions) => demoCommand(ctx, options, run);
      }),
    );

  return program;
}

/** Runs vipctl with `argv` (without `node` and the script) and returns the exit code. */
export async function run(argv: readonly string[], io: CliIo, deps: Partial<CliDeps> = {}): Promise<number> {
  const program = createProgram(io, deps) as StatefulCommand;
  const debug = argv.includes('--debug');
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return program[STATE]?.exitCode ?? ExitCode.Ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are successes; every other commander error is a usage error.
      return error.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
    }
    const failure = describeFailure(error, profileOf(argv) ?? io.env.AWS_PROFILE, configuredProxies(io.env));
    io.stderr.write(`vipctl: ${failure.message}\n`);
    if (failure.hint) io.stderr.write(`  ${failure.hint}\n`);
    if (debug && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
    if (argv.includes('--json')) {
      io.stdout.write(
        `${JSON.stringify({ error: { message: failure.message, hint: failure.hint, exitCode: failure.exitCode } }, null, 2)}\n`,
      );
    }
    return failure.exitCode;
  }
}

/** `--profile x` or `--profile=x`, read before parsing so that even early failures can name it. */
function profileOf(argv: readonly string[]): string | undefined {
  const at = argv.indexOf('--profile');
  if (at >= 0) return argv[at + 1];
  return argv.find((a) => a.startsWith('--profile='))?.slice('--profile='.length);
}
