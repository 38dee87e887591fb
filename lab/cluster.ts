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
 * Settings, stated: two nodes (corosync `two_node`), no fencing (stonith-enabled=false: fence_aws
 * against local AWS is not wired), no-quorum-policy=ignore, corosync token 1000 ms.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { inNamespace, run } from '../local/data-plane/netns';
import type { LocalAws } from '../local/server';
import type { Topology } from '../tasks/topology';
import { FORWARDER, MOUNTS } from './scripts';

export const TOKEN_MS = 1000;
const GROUP = 'vip-group';

export interface LabNode {
  readonly key: string;
  readonly netns: string;
  readonly dir: string;
  readonly address: string;
}

export interface LabOptions {
  readonly topology: Topology;
  /** The topology file, as the agent reads it. */
  readonly config: string;
  /** Local AWS, started with its data plane (no VIP on any node: IPaddr2 puts it there). */
  readonly aws: LocalAws;
  /** The lab's own directory (removed by close). */
  readonly dir: string;
  /** The built CLI the agent runs (bin/vipctl.mjs). */
  readonly vipctl: string;
  /** The OCF agent (examples/pacemaker/vipctl). */
  readonly agent: string;
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

export class Lab {
  private readonly daemons: ChildProcess[] = [];
  private readonly forwarders: ChildProcess[] = [];
  private server: Server | undefined;
  readonly nodes: Record<string, LabNode>;

  private constructor(private readonly options: LabOptions) {
    const plane = options.aws.dataPlane;
    if (!plane) throw new Error('the lab needs local AWS with its data plane');
    this.nodes = Object.fromEntries(
      Object.keys(options.topology.nodes).map((key) => {
        const info = plane.namespace(key);
        return [key, { key, netns: info.netns, dir: join(options.dir, key), address: info.address }];
      }),
    );
  }

  /** Builds the nodes' files, starts corosync and Pacemaker on every node and configures the group. */
  static async start(options: LabOptions): Promise<Lab> {
    const lab = new Lab(options);
    try {
      await lab.prepare();
      await lab.startDaemons();
      await lab.waitFor(() => lab.allOnline(), 'every node online');
      await lab.configure();
      await lab.waitFor(async () => (await lab.activeNode()) !== null, 'the group started');
    } catch (error) {
      await lab.close();
      throw error;
    }
    return lab;
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

  /** The IPv4 VIP the group's IPaddr2 holds. */
  get vip(): string {
    return this.options.topology.vips.find((v) => !v.includes(':'))!;
  }

  /** The newest run's execution times (epoch ms), read with `vipctl show --last --json` from the host. */
  async lastRun(): Promise<{ startedAt: number; stoppedAt: number } | undefined> {
    const shown = await execOut(
      process.execPath,
      [
        this.options.vipctl,
        '--config',
        this.options.config,
        '--endpoint-url',
        this.options.aws.url,
        'show',
        '--last',
        '--json',
      ],
      {
        PATH: process.env.PATH,
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        AWS_REGION: 'us-east-1',
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        VIPCTL_JOURNAL: join(this.options.dir, 'host-journal'),
      },
    );
    if (shown.code !== 0) return undefined;
    const run = (JSON.parse(shown.stdout) as { run: { startedAt: string; stoppedAt: string | null } }).run;
    return run.stoppedAt
      ? { startedAt: Date.parse(run.startedAt), stoppedAt: Date.parse(run.stoppedAt) }
      : undefined;
  }

  /** Where Pacemaker runs the group (`crm_resource --locate`), asked on any node that answers. */
  async activeNode(): Promise<string | null> {
    for (const node of Object.keys(this.nodes)) {
      const located = await this.exec(node, ['crm_resource', '--locate', '--resource', GROUP]);
      const match = /is running on: (\S+)/.exec(located.stdout);
      if (match) return match[1]!;
      if (located.code === 0 || /NOT running/.test(located.stdout)) return null;
    }
    return null;
  }

  /** Which nodes the cluster sees online, asked on `from`. */
  async online(from: string): Promise<string[]> {
    const status = await this.exec(from, ['crm_mon', '-1']);
    const list = /Online: \[ ([^\]]*) \]/.exec(status.stdout)?.[1] ?? '';
    return list.split(/\s+/).filter(Boolean).sort();
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

  async close(): Promise<void> {
    for (const node of Object.values(this.nodes)) await this.kill(node.key).catch(() => {});
    for (const child of [...this.daemons, ...this.forwarders])
      if (child.exitCode === null) child.kill('SIGKILL');
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    rmSync(this.options.dir, { recursive: true, force: true });
  }

  private async allOnline(): Promise<boolean> {
    const first = Object.keys(this.nodes)[0]!;
    return (await this.online(first)).length === Object.keys(this.nodes).length;
  }

  private async waitFor(condition: () => Promise<boolean>, what: string, timeoutMs = 180_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`the lab timed out waiting for ${what}`);
      await sleep(250);
    }
  }

  private async prepare(): Promise<void> {
    const { dir, aws } = this.options;
    mkdirSync(dir, { recursive: true });
    const socket = join(dir, 'aws.sock');
    // This process forwards the nodes' unix socket to local AWS on the host's loopback.
    const port = aws.port;
    this.server = createServer((conn) => {
      const up = createConnection({ host: '127.0.0.1', port });
      conn.pipe(up).pipe(conn);
      const end = () => {
        conn.destroy();
        up.destroy();
      };
      conn.on('error', end);
      up.on('error', end);
    });
    await new Promise<void>((resolve) => this.server!.listen(socket, resolve));
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
      const agent = join(node.dir, 'ocf', 'tgw-vip-failover', 'vipctl');
      writeFileSync(agent, await import('node:fs/promises').then((fs) => fs.readFile(this.options.agent)), {
        mode: 0o755,
      });
      // The agent's vipctl: the built CLI against local AWS through the node's forwarder, as that node.
      writeFileSync(
        join(node.dir, 'bin', 'vipctl'),
        [
          '#!/bin/sh',
          'export AWS_ENDPOINT_URL=http://127.0.0.1:4566 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test',
          `export AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:4566/_imds/${node.key}`,
          'export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true AWS_METADATA_SERVICE_TIMEOUT=60',
          `export VIPCTL_JOURNAL=${join(node.dir, 'journal')}`,
          `exec ${process.execPath} ${this.options.vipctl} "$@"`,
          '',
        ].join('\n'),
        { mode: 0o755 },
      );
      const [command, args] = inNamespace(node.netns, [
        'python3',
        '-c',
        FORWARDER,
        '127.0.0.1',
        '4566',
        socket,
      ]);
      const forwarder = spawn(command, args, { stdio: ['pipe', 'ignore', 'ignore'] });
      this.forwarders.push(forwarder);
    }
  }

  private async startDaemons(): Promise<void> {
    for (const node of Object.values(this.nodes)) {
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
  }

  private async configure(): Promise<void> {
    const first = Object.keys(this.nodes)[0]!;
    for (const [name, value] of [
      ['stonith-enabled', 'false'],
      ['no-quorum-policy', 'ignore'],
    ] as const)
      await this.must(first, ['crm_attribute', '-t', 'crm_config', '-n', name, '-v', value]);
    const vip = this.vip.split('/')[0]!;
    const resources = `<resources>
  <group id="${GROUP}">
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
        <nvpair id="vip-routes-config" name="config" value="${this.options.config}"/>
        <nvpair id="vip-routes-vipctl" name="vipctl" value="/srv/vipctl"/>
      </instance_attributes>
      <operations>
        <op id="vip-routes-monitor" name="monitor" interval="10s" timeout="60s"/>
        <op id="vip-routes-start" name="start" interval="0" timeout="150s"/>
      </operations>
    </primitive>
  </group>
</resources>`;
    const file = join(this.options.dir, 'resources.xml');
    writeFileSync(file, resources);
    await this.must(first, ['cibadmin', '--create', '-o', 'resources', '--xml-file', file]);
  }

  private async must(node: string, argv: readonly string[]): Promise<void> {
    const result = await this.exec(node, argv);
    if (result.code !== 0) throw new Error(`${argv.join(' ')} on ${node} failed: ${result.stderr.trim()}`);
  }
}
