/**
 * The lab: a real corosync + Pacemaker cluster whose nodes are the cluster nodes' namespaces of local
 * AWS's data plane (DESIGN section 11). Corosync talks over the topology's own routes (VPC routers,
 * TGWs, the peering), so the nodes meet across regions as they would on AWS. Pacemaker runs one group:
 * IPaddr2 (the VIP on the node) and then this project's OCF agent (examples/pacemaker/vipctl), whose
 * `start` runs `vipctl failover --to self` through local AWS's instance metadata for that node.
 *
 * Each node has its own mount namespace (its own /etc/corosync, /run, /dev/shm, /var/lib/pacemaker,
 * /var/lib/corosync, /var/log/pacemaker, and the OCF provider directory), made anew by the same wrapper
 * for every command run there, so that crm_mon in a later process talks to the same daemons.
 *
 * A namespace cannot reach the host's 127.0.0.1, where local AWS listens: each node runs a forwarder on
 * its own 127.0.0.1:4566 to a unix socket in the lab directory, which this process forwards to local
 * AWS. Nothing listens beyond loopback, and no packet leaves the namespaces.
 *
 * With `agent: 'aws-vpc-move-ip'` the group is ClusterLabs' agent alone, unmodified (it puts the VIP on
 * the interface itself): its `aws` CLI reaches local AWS through AWS_ENDPOINT_URL in a wrapper (/srv/aws),
 * and its hard-coded metadata address, 169.254.169.254:80, is an address of the node namespace's own
 * loopback, forwarded to local AWS's metadata for that node. Each node moves the routes of its own VPC
 * (a per-node rule on the resource's parameters), the most its design allows.
 *
 * Settings, stated ({@link LAB_SETTINGS}): two nodes (corosync `two_node`), no fencing
 * (stonith-enabled=false), no-quorum-policy=ignore, corosync token 1000 ms.
 *
 * Why no fencing: fence_aws (fence-agents 4.12.1, Debian's) cannot fence across regions, and the seed's
 * nodes are in two. Its `set_power_status` stops the target only after `get_self_power_status` finds the
 * fencer's own instance (from 169.254.169.254) running in the device's `--region`, the target's region;
 * a fencer in the other region is not found there, so it logs "Skipping fencing" and the fence never
 * completes. Read in the agent's source, /usr/sbin/fence_aws; AWS documents nothing about it. Debian's
 * python3-boto3 (1.26) also predates AWS_ENDPOINT_URL, which the SDKs honour from boto3 1.28
 * (https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html, "Support by AWS SDKs and
 * tools"), so pointing it at local AWS would need a patched agent, and local AWS serves no StopInstances.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, request as httpRequest } from 'node:http';
import { createConnection, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { inNamespace, run } from '../local/data-plane/netns';
import { macOf } from '../local/imds';
import type { LocalAws } from '../local/server';
import type { Topology } from '../tasks/topology';
import { FORWARDER, MOUNTS } from './scripts';

export const TOKEN_MS = 1000;
export const GROUP = 'vip-group';
/** What the lab's cluster is set to, stated by `lab status` and the docs. */
export const LAB_SETTINGS = {
  fencing:
    'off (stonith-enabled=false): fence_aws fences only a node in the region of the node fencing it, and the seed has two regions',
  tokenMs: TOKEN_MS,
  quorum: 'two_node, no-quorum-policy=ignore',
} as const;

/** Whose agent the group runs after the VIP: this project's, or ClusterLabs' aws-vpc-move-ip. */
export type LabAgent = 'vipctl' | 'aws-vpc-move-ip';
export const LAB_AGENTS: readonly LabAgent[] = ['vipctl', 'aws-vpc-move-ip'];
/** ClusterLabs' agent, as resource-agents installs it. */
export const AWS_VPC_MOVE_IP = '/usr/lib/ocf/resource.d/heartbeat/aws-vpc-move-ip';

export interface LabNode {
  readonly key: string;
  readonly netns: string;
  readonly dir: string;
  readonly address: string;
}

/** What a lab is, as JSON: enough for another process to kill, move or look at it. */
export interface LabState {
  readonly endpoint: string;
  readonly dir: string;
  readonly config: string;
  readonly vipctl: string;
  readonly agent: LabAgent;
  /** The IPv4 VIP the group holds (`a.b.c.d/32`). */
  readonly vip: string;
  readonly nodes: Record<string, LabNode>;
}

export interface LabOptions {
  readonly topology: Topology;
  /** The topology file, as the agent reads it. */
  readonly config: string;
  /** Local AWS, started with its data plane (no VIP on any node: the group puts it there). */
  readonly aws: LocalAws;
  /** The lab's own directory (removed by close). */
  readonly dir: string;
  /** The built CLI the agent runs (bin/vipctl.mjs). */
  readonly vipctl: string;
  /** This project's OCF agent (examples/pacemaker/vipctl). */
  readonly ocfAgent: string;
  /** @default 'vipctl' */
  readonly agent?: LabAgent;
}

function execOut(
  command: string,
  args: readonly string[],
  env?: Record<string, string | undefined>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, [...args], { timeout: 120_000, ...(env ? { env } : {}) }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

/** Environment for vipctl and the SDK run from the host against local AWS (dummy credentials, no IMDS). */
function hostEnv(dir: string): Record<string, string | undefined> {
  return {
    PATH: process.env.PATH,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    VIPCTL_JOURNAL: join(dir, 'host-journal'),
  };
}

/** The `aws` CLI itself (pyenv's shim resolved: Pacemaker runs agents with a bare environment). */
async function awsCli(): Promise<string | undefined> {
  const found = (await execOut('sh', ['-c', 'command -v aws'])).stdout.trim();
  if (!found) return undefined;
  if (!found.includes('/shims/')) return found;
  const real = (await execOut('pyenv', ['which', 'aws'])).stdout.trim();
  return real || found;
}

export class Lab {
  private readonly daemons: ChildProcess[] = [];
  private readonly forwarders: ChildProcess[] = [];
  private readonly servers: Server[] = [];

  private constructor(
    readonly state: LabState,
    private readonly options?: LabOptions,
  ) {}

  get nodes(): Record<string, LabNode> {
    return this.state.nodes;
  }

  get agent(): LabAgent {
    return this.state.agent;
  }

  /** Builds the nodes' files, starts corosync and Pacemaker on every node and configures the group. */
  static async start(options: LabOptions): Promise<Lab> {
    const plane = options.aws.dataPlane;
    if (!plane) throw new Error('the lab needs local AWS with its data plane');
    const nodes = Object.fromEntries(
      Object.keys(options.topology.nodes).map((key) => {
        const info = plane.namespace(key);
        return [key, { key, netns: info.netns, dir: join(options.dir, key), address: info.address }];
      }),
    );
    const lab = new Lab(
      {
        endpoint: options.aws.url,
        dir: options.dir,
        config: options.config,
        vipctl: options.vipctl,
        agent: options.agent ?? 'vipctl',
        vip: options.topology.vips.find((v) => !v.includes(':'))!,
        nodes,
      },
      options,
    );
    try {
      await lab.prepare();
      await lab.startDaemons();
      await lab.waitFor(() => lab.allOnline(), 'every node online');
      await lab.configure();
      await lab.waitFor(async () => (await lab.startedOn()) !== null, 'the group started');
    } catch (error) {
      await lab.close();
      throw error;
    }
    return lab;
  }

  /** A lab another process started (`vipctl lab up`): commands in its nodes, no ownership. */
  static attach(state: LabState): Lab {
    return new Lab(state);
  }

  /** A command in `node`'s namespace with its own mounts. */
  exec(node: string, argv: readonly string[]) {
    const n = this.nodes[node]!;
    const [command, args] = inNamespace(n.netns, [
      'unshare',
      '--mount',
      '--propagation',
      'private',
      'sh',
      '-c',
      MOUNTS,
      'sh',
      n.dir,
      ...argv,
    ]);
    return execOut(command, args);
  }

  /** The IPv4 VIP the group holds. */
  get vip(): string {
    return this.state.vip;
  }

  /** vipctl from the host against the lab's local AWS (`show --last --json`, `status --json`). */
  hostVipctl(argv: readonly string[]) {
    return execOut(
      process.execPath,
      [this.state.vipctl, '--config', this.state.config, '--endpoint-url', this.state.endpoint, ...argv],
      hostEnv(this.state.dir),
    );
  }

  /** The newest run's execution times (epoch ms), read with `vipctl show --last --json` from the host. */
  async lastRun(): Promise<{ startedAt: number; stoppedAt: number } | undefined> {
    const shown = await this.hostVipctl(['show', '--last', '--json']);
    if (shown.code !== 0) return undefined;
    const run = (JSON.parse(shown.stdout) as { run: { startedAt: string; stoppedAt: string | null } }).run;
    return run.stoppedAt
      ? { startedAt: Date.parse(run.startedAt), stoppedAt: Date.parse(run.stoppedAt) }
      : undefined;
  }

  /** The `vipctl failover` runs (no drills) started at or after `since` (epoch ms), by target node. */
  async failoversSince(since: number): Promise<{ target: string; startedAt: number }[]> {
    const listed = await this.hostVipctl(['runs', '--no-drills', '--json']);
    if (listed.code !== 0) throw new Error(`vipctl runs failed: ${listed.stderr.trim()}`);
    const runs = (JSON.parse(listed.stdout) as { runs: { target: string; startedAt: string }[] }).runs;
    return runs
      .map((r) => ({ target: r.target, startedAt: Date.parse(r.startedAt) }))
      .filter((r) => r.startedAt >= since)
      .sort((a, b) => a.startedAt - b.startedAt);
  }

  /**
   * Where Pacemaker runs the group (`crm_resource --locate`), asked on the nodes that answer; with
   * `on`, asked there only. Null where it runs nowhere (or on more than one node, as a partition can).
   */
  async activeNode(on?: string): Promise<string | null> {
    const where = await this.locate(on);
    return where.length === 1 ? where[0]! : null;
  }

  /** Every node `crm_resource --locate` names for the group. */
  async locate(on?: string): Promise<string[]> {
    for (const node of on ? [on] : Object.keys(this.nodes)) {
      const located = await this.exec(node, ['crm_resource', '--locate', '--resource', GROUP]);
      const found = [...located.stdout.matchAll(/is running on: (\S+)/g)].map((m) => m[1]!);
      if (found.length > 0) return [...new Set(found)].sort();
      if (located.code === 0 || /NOT running/.test(located.stdout)) return [];
    }
    return [];
  }

  /**
   * The node where every resource of the group has started (crm_mon's `Started <node>` on each of the
   * group's lines; `crm_resource --locate` already names a node while its start runs). Null otherwise.
   */
  async startedOn(): Promise<string | null> {
    for (const node of Object.keys(this.nodes)) {
      const status = await this.exec(node, ['crm_mon', '-1']);
      if (status.code !== 0) continue;
      const group = status.stdout.split(`Resource Group: ${GROUP}:`)[1];
      if (!group) return null;
      const lines = group.split('\n').filter((line) => /\(ocf:/.test(line));
      const on = lines.map((line) => /\bStarted (\S+)/.exec(line)?.[1]);
      return on.length > 0 && on.every((n) => n !== undefined && n === on[0]) ? on[0]! : null;
    }
    return null;
  }

  /** Which nodes the cluster sees online, asked on `from` (empty when `from` does not answer). */
  async online(from: string): Promise<string[]> {
    const status = await this.exec(from, ['crm_mon', '-1']);
    const list = /Online: \[ ([^\]]*) \]/.exec(status.stdout)?.[1] ?? '';
    return list.split(/\s+/).filter(Boolean).sort();
  }

  /** The nodes online as the first node that answers sees them. */
  async onlineAnywhere(): Promise<string[]> {
    for (const node of Object.keys(this.nodes)) {
      const seen = await this.online(node);
      if (seen.length > 0) return seen;
    }
    return [];
  }

  /** Kills a node: every process in its namespace, and its link goes down. */
  async kill(node: string): Promise<void> {
    const n = this.nodes[node]!;
    const pids = await run('ip', ['netns', 'pids', n.netns]);
    for (const pid of pids.stdout.split(/\s+/).filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // gone already
      }
    }
    await run('ip', ['-n', n.netns, 'link', 'set', 'eth0', 'down']);
  }

  /**
   * A planned move (`crm_resource --move`, from pacemaker-cli-utils, so the lab needs no crmsh);
   * `clear` drops the location constraint it leaves.
   */
  async move(to: string): Promise<void> {
    const via = (await this.anyAnswering()) ?? to;
    await this.must(via, ['crm_resource', '--resource', GROUP, '--move', '--node', to]);
  }

  async clearMove(): Promise<void> {
    const via = await this.anyAnswering();
    if (via) await this.must(via, ['crm_resource', '--resource', GROUP, '--clear']);
  }

  /**
   * Cuts (or heals) the links between the nodes, and only those: in each node's namespace, a blackhole
   * route to every other node's address. Clients still reach every node.
   */
  async partition(cut: boolean): Promise<void> {
    for (const node of Object.values(this.nodes))
      for (const other of Object.values(this.nodes))
        if (other.key !== node.key)
          await run('ip', [
            '-n',
            node.netns,
            'route',
            cut ? 'replace' : 'del',
            'blackhole',
            `${other.address}/32`,
          ]);
  }

  /** Stops everything this process started and removes the lab directory. */
  async close(): Promise<void> {
    for (const node of Object.values(this.nodes)) await this.kill(node.key).catch(() => {});
    for (const child of [...this.daemons, ...this.forwarders])
      if (child.exitCode === null) child.kill('SIGKILL');
    await Promise.all(this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    rmSync(this.state.dir, { recursive: true, force: true });
  }

  async waitFor(condition: () => Promise<boolean>, what: string, timeoutMs = 180_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`the lab timed out waiting for ${what}`);
      await sleep(250);
    }
  }

  private async anyAnswering(): Promise<string | undefined> {
    for (const node of Object.keys(this.nodes))
      if ((await this.exec(node, ['crm_mon', '-1'])).code === 0) return node;
    return undefined;
  }

  private async allOnline(): Promise<boolean> {
    const first = Object.keys(this.nodes)[0]!;
    return (await this.online(first)).length === Object.keys(this.nodes).length;
  }

  /** A unix socket served by this process: byte pumps to local AWS, or its metadata for one node. */
  private async serve(path: string, imdsOf?: string): Promise<void> {
    const port = this.options!.aws.port;
    // For the metadata address inside a node, every path is answered as local AWS's `/_imds/<node>/<path>`.
    const server = imdsOf
      ? createHttpServer((req, res) => {
          const forwarded = httpRequest(
            {
              host: '127.0.0.1',
              port,
              method: req.method,
              path: `/_imds/${imdsOf}${req.url}`,
              headers: req.headers,
            },
            (answer) => {
              res.writeHead(answer.statusCode ?? 502, answer.headers);
              answer.pipe(res);
            },
          );
          forwarded.on('error', () => res.writeHead(502).end());
          req.pipe(forwarded);
        })
      : createServer((conn) => {
          const up = createConnection({ host: '127.0.0.1', port });
          conn.pipe(up).pipe(conn);
          const end = () => {
            conn.destroy();
            up.destroy();
          };
          conn.on('error', end);
          up.on('error', end);
        });
    await new Promise<void>((resolve) => server.listen(path, resolve));
    this.servers.push(server);
  }

  /** The node's forwarders: local AWS on its 127.0.0.1:4566, and with the peer's agent its metadata. */
  private forwardersOf(node: LabNode): void {
    const dir = this.state.dir;
    if (this.agent === 'aws-vpc-move-ip') {
      const imds = join(dir, `imds-${node.key}.sock`);
      if (!existsSync(imds)) return; // prepare calls again once the metadata socket is served
      this.forward(node, '169.254.169.254', 80, imds);
    }
    this.forward(node, '127.0.0.1', 4566, join(dir, 'aws.sock'));
  }

  private forward(node: LabNode, host: string, port: number, socket: string): void {
    const [command, args] = inNamespace(node.netns, ['python3', '-c', FORWARDER, host, String(port), socket]);
    this.forwarders.push(spawn(command, args, { stdio: ['pipe', 'ignore', 'ignore'] }));
  }

  private async prepare(): Promise<void> {
    const { dir, topology } = this.options!;
    mkdirSync(dir, { recursive: true });
    const socket = join(dir, 'aws.sock');
    await this.serve(socket);
    const aws = this.agent === 'aws-vpc-move-ip' ? await awsCli() : undefined;
    if (this.agent === 'aws-vpc-move-ip' && !aws)
      throw new Error('the aws CLI is not on PATH: install awscli (npm run setup:system)');
    const authkey = Buffer.from(Array.from({ length: 256 }, () => Math.floor(Math.random() * 256)));
    const nodelist = Object.values(this.nodes)
      .map((n, i) => `  node {\n    ring0_addr: ${n.address}\n    name: ${n.key}\n    nodeid: ${i + 1}\n  }`)
      .join('\n');
    const ids = await execOut('id', ['-u', 'hacluster']);
    const gid = await execOut('id', ['-g', 'hacluster']);
    for (const node of Object.values(this.nodes)) {
      for (const sub of [
        'etc-corosync',
        'run',
        'shm',
        'lib-corosync',
        'log',
        'bin',
        'journal',
        'ocf/heartbeat',
        'ocf/tgw-vip-failover',
      ])
        mkdirSync(join(node.dir, sub), { recursive: true });
      for (const sub of ['cib', 'pengine', 'blackbox', 'cores'])
        mkdirSync(join(node.dir, 'lib-pacemaker', sub), { recursive: true });
      writeFileSync(join(node.dir, 'etc-corosync', 'authkey'), authkey, { mode: 0o400 });
      writeFileSync(
        join(node.dir, 'etc-corosync', 'corosync.conf'),
        [
          'totem {',
          '  version: 2',
          '  cluster_name: vipctl-lab',
          '  transport: knet',
          `  token: ${TOKEN_MS}`,
          '  crypto_cipher: none',
          '  crypto_hash: none',
          '}',
          'nodelist {',
          nodelist,
          '}',
          'quorum {',
          '  provider: corosync_votequorum',
          '  two_node: 1',
          '}',
          'logging {',
          '  to_logfile: yes',
          '  logfile: /var/log/pacemaker/corosync.log',
          '  to_syslog: no',
          '  to_stderr: no',
          '}',
          '',
        ].join('\n'),
      );
      chmodSync(join(node.dir, 'shm'), 0o1777);
      for (const sub of [
        'lib-pacemaker',
        'lib-pacemaker/cib',
        'lib-pacemaker/pengine',
        'lib-pacemaker/blackbox',
        'lib-pacemaker/cores',
        'log',
      ])
        chownSync(join(node.dir, sub), Number(ids.stdout), Number(gid.stdout));
      writeFileSync(
        join(node.dir, 'ocf', 'tgw-vip-failover', 'vipctl'),
        readFileSync(this.options!.ocfAgent),
        { mode: 0o755 },
      );
      // The agent's vipctl: the built CLI against local AWS through the node's forwarder, as that node.
      writeFileSync(
        join(node.dir, 'bin', 'vipctl'),
        [
          '#!/bin/sh',
          'export AWS_ENDPOINT_URL=http://127.0.0.1:4566 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test',
          `export AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:4566/_imds/${node.key}`,
          'export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true AWS_METADATA_SERVICE_TIMEOUT=60',
          `export VIPCTL_JOURNAL=${join(node.dir, 'journal')}`,
          `exec ${process.execPath} ${this.state.vipctl} "$@"`,
          '',
        ].join('\n'),
        { mode: 0o755 },
      );
      this.forwardersOf(node);
      if (aws) {
        // The peer's `aws` CLI: local AWS through AWS_ENDPOINT_URL, honoured by AWS CLI v1 and v2
        // (https://docs.aws.amazon.com/cli/v1/userguide/cli-configure-endpoints.html); the agent passes
        // --profile, so the dummy credentials are that profile's, in a file of the node's own.
        writeFileSync(
          join(node.dir, 'bin', 'aws-credentials'),
          '[default]\naws_access_key_id = test\naws_secret_access_key = test\n',
        );
        writeFileSync(
          join(node.dir, 'bin', 'aws'),
          [
            '#!/bin/sh',
            'export AWS_ENDPOINT_URL=http://127.0.0.1:4566 AWS_EC2_METADATA_DISABLED=true',
            'export AWS_SHARED_CREDENTIALS_FILE=/srv/aws-credentials AWS_CONFIG_FILE=/srv/aws-config',
            `exec ${aws} "$@"`,
            '',
          ].join('\n'),
          { mode: 0o755 },
        );
        writeFileSync(join(node.dir, 'bin', 'aws-config'), '[default]\n');
        // The agent's metadata address, 169.254.169.254:80, hard-coded in it: an address on the node
        // namespace's own loopback, never the host's; its interface's MAC is the one local AWS's
        // metadata gives for the node's ENI, so the agent finds its ENI by MAC as on EC2.
        const eni = topology.nodes[node.key]!.eni;
        await run('ip', ['-n', node.netns, 'addr', 'replace', '169.254.169.254/32', 'dev', 'lo']);
        await run('ip', ['-n', node.netns, 'link', 'set', 'eth0', 'address', macOf(eni)]);
        await this.serve(join(dir, `imds-${node.key}.sock`), node.key);
        this.forwardersOf(node);
      }
    }
  }

  private async startDaemons(): Promise<void> {
    for (const node of Object.values(this.nodes)) this.startDaemon(node);
  }

  private startDaemon(node: LabNode): void {
    const [command, args] = inNamespace(node.netns, [
      'unshare',
      '--mount',
      '--propagation',
      'private',
      'sh',
      '-c',
      MOUNTS,
      'sh',
      node.dir,
      'sh',
      '-c',
      'corosync -f > /var/log/pacemaker/corosync.out 2>&1 & until corosync-cfgtool -s >/dev/null 2>&1; do sleep 0.2; done; exec pacemakerd -f > /var/log/pacemaker/pacemakerd.out 2>&1',
    ]);
    this.daemons.push(spawn(command, args, { stdio: 'ignore' }));
  }

  private vipctlGroup(vip: string): string {
    return `<group id="${GROUP}">
    <primitive id="vip-address" class="ocf" provider="heartbeat" type="IPaddr2">
      <instance_attributes id="vip-address-params">
        <nvpair id="vip-address-ip" name="ip" value="${vip}"/>
        <nvpair id="vip-address-cidr" name="cidr_netmask" value="32"/>
        <nvpair id="vip-address-nic" name="nic" value="eth0"/>
      </instance_attributes>
      <operations><op id="vip-address-monitor" name="monitor" interval="10s"/></operations>
    </primitive>
    <primitive id="vip-routes" class="ocf" provider="tgw-vip-failover" type="vipctl">
      <instance_attributes id="vip-routes-params">
        <nvpair id="vip-routes-config" name="config" value="${this.state.config}"/>
        <nvpair id="vip-routes-vipctl" name="vipctl" value="/srv/vipctl"/>
      </instance_attributes>
      <operations>
        <op id="vip-routes-monitor" name="monitor" interval="5s" timeout="60s"/>
        <op id="vip-routes-start" name="start" interval="0" timeout="150s"/>
      </operations>
    </primitive>
  </group>`;
  }

  /**
   * ClusterLabs' agent alone (it adds the VIP to the interface itself), with each node's own region and
   * its own VPC's route tables (rules on #uname): the routes it can move are those of the VPC it is in.
   */
  private peerGroup(vip: string): string {
    const { topology } = this.options!;
    const perNode = Object.keys(this.nodes)
      .map((key, i) => {
        const vpc = topology.vpcs[topology.nodes[key]!.vpc]!;
        return `      <instance_attributes id="vip-move-${key}" score="${100 - i}">
        <rule id="vip-move-${key}-rule" score="0"><expression id="vip-move-${key}-expr" attribute="#uname" operation="eq" value="${key}"/></rule>
        <nvpair id="vip-move-${key}-region" name="region" value="${vpc.region}"/>
        <nvpair id="vip-move-${key}-rtb" name="routing_table" value="${vpc.routeTables.join(',')}"/>
      </instance_attributes>`;
      })
      .join('\n');
    return `<group id="${GROUP}">
    <primitive id="vip-move" class="ocf" provider="heartbeat" type="aws-vpc-move-ip">
      <instance_attributes id="vip-move-params">
        <nvpair id="vip-move-ip" name="ip" value="${vip}"/>
        <nvpair id="vip-move-interface" name="interface" value="eth0"/>
        <nvpair id="vip-move-awscli" name="awscli" value="/srv/aws"/>
        <nvpair id="vip-move-profile" name="profile" value="default"/>
        <nvpair id="vip-move-lookup" name="lookup_type" value="NetworkInterfaceId"/>
        <nvpair id="vip-move-monapi" name="monapi" value="true"/>
      </instance_attributes>
${perNode}
      <operations>
        <op id="vip-move-monitor" name="monitor" interval="10s" timeout="60s"/>
        <op id="vip-move-start" name="start" interval="0" timeout="150s"/>
      </operations>
    </primitive>
  </group>`;
  }

  private async configure(): Promise<void> {
    const first = Object.keys(this.nodes)[0]!;
    for (const [name, value] of [
      ['stonith-enabled', 'false'],
      ['no-quorum-policy', 'ignore'],
    ] as const)
      await this.must(first, ['crm_attribute', '-t', 'crm_config', '-n', name, '-v', value]);
    const vip = this.vip.split('/')[0]!;
    const group = this.agent === 'vipctl' ? this.vipctlGroup(vip) : this.peerGroup(vip);
    const file = join(this.state.dir, 'resources.xml');
    writeFileSync(file, `<resources>\n  ${group}\n</resources>`);
    await this.must(first, ['cibadmin', '--create', '-o', 'resources', '--xml-file', file]);
  }

  private async must(node: string, argv: readonly string[]): Promise<void> {
    const result = await this.exec(node, argv);
    if (result.code !== 0) throw new Error(`${argv.join(' ')} on ${node} failed: ${result.stderr.trim()}`);
  }
}
