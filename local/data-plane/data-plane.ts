/**
 * Local AWS's data plane: the topology as Linux network namespaces whose kernel routes stay equal to
 * local AWS's route tables, so that real packets, forwarded by a kernel that shares no code with the
 * project, show what clients see (DESIGN section 11).
 *
 * `start` builds every namespace and link, puts each node's responder in place and applies the world;
 * `sync` applies what changed since (local AWS calls it after every accepted write, before it answers);
 * `close` removes everything. A process that dies without `close` leaves namespaces whose prefix names
 * its PID: the next start removes them.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Topology } from '../../tasks/topology';
import type { LocalWorld } from '../world';
import { batchLines, type KernelState, kernelStateOf } from './kernel-state';
import { type Layout, LINK_LOCAL, layoutOf, type NamespaceInfo } from './layout';
import {
  dataPlaneMissing,
  inNamespace,
  ipBatch,
  newPrefix,
  removeLeftovers,
  removeNamespace,
  run,
} from './netns';
import { RESPONDER, RESPONDER_PORT } from './programs';

export interface DataPlaneOptions {
  /** Where the VIPs are addresses of a node: `all` puts them on every node, `none` on none. @default 'none' */
  readonly vipOn?: 'all' | 'none';
  /** Clients per VPC. @default 1 */
  readonly clients?: number;
  /**
   * How long after local AWS accepts a route write the kernel has it. AWS publishes no figure for how
   * fast a route change takes effect (neither the VPC route table nor the transit gateway route table
   * documentation gives one), so the default is 0: the write is in the kernel before the API answers.
   * @default 0
   */
  readonly propagationMs?: number;
  /** One line per notable event. @default silent */
  readonly log?: (line: string) => void;
}

/** Refused to start: what is missing on this machine (the CLI exits 2 with it). */
export class DataPlaneUnavailable extends Error {
  override name = 'DataPlaneUnavailable';
}

export interface DataPlaneView {
  readonly namespaces: Record<string, Pick<NamespaceInfo, 'netns' | 'role' | 'vpc' | 'address'>>;
}

export class DataPlane {
  private applied: KernelState = new Map();
  private syncing: Promise<void> = Promise.resolve();
  private readonly responders: ChildProcess[] = [];
  private closed = false;
  private readonly onExit = () => this.removeAllSync();

  private constructor(
    readonly layout: Layout,
    private readonly world: LocalWorld,
    private readonly topology: Topology,
    readonly options: DataPlaneOptions,
  ) {}

  /**
   * Builds the data plane of `topology` as seeded in `world`. Refuses (DataPlaneUnavailable) without
   * root, iproute2 or python3, before it changes anything.
   */
  static async start(
    topology: Topology,
    world: LocalWorld,
    options: DataPlaneOptions = {},
  ): Promise<DataPlane> {
    const missing = dataPlaneMissing();
    if (missing) throw new DataPlaneUnavailable(missing);
    const removed = removeLeftovers();
    if (removed.length > 0)
      options.log?.(`data plane: removed ${removed.length} namespaces of a dead instance`);
    const layout = layoutOf(topology, world, newPrefix(), { clients: options.clients ?? 1 });
    const plane = new DataPlane(layout, world, topology, options);
    process.once('exit', plane.onExit);
    try {
      await plane.build();
      await plane.sync();
      await plane.startResponders();
    } catch (error) {
      await plane.close();
      throw error;
    }
    return plane;
  }

  /** Every namespace, as `GET /_local/data-plane` lists them. */
  view(): DataPlaneView {
    return {
      namespaces: Object.fromEntries(
        Object.entries(this.layout.namespaces).map(([key, n]) => [
          key,
          { netns: n.netns, role: n.role, vpc: n.vpc, address: n.address },
        ]),
      ),
    };
  }

  namespace(key: string): NamespaceInfo {
    const found = this.layout.namespaces[key];
    if (!found) throw new Error(`the data plane has no namespace '${key}'`);
    return found;
  }

  /** Applies the world's routes to the kernel; calls are serialized, each sees every earlier write. */
  sync(): Promise<void> {
    const next = this.syncing.then(async () => {
      if (this.closed) return;
      const delay = this.options.propagationMs ?? 0;
      if (delay > 0) await sleep(delay);
      const wanted = kernelStateOf(this.world, this.layout);
      await Promise.all(
        [...wanted].map(async ([netns, state]) => {
          const { routes, rules } = batchLines(this.applied.get(netns), state);
          // Routes first: a rule never points at a table before its routes are there.
          await ipBatch(netns, routes);
          await ipBatch(netns, rules);
          await ipBatch(netns, rules, '-6');
          this.applied.set(netns, state);
        }),
      );
    });
    this.syncing = next.catch(() => {});
    return next;
  }

  /** Puts the VIPs on `node`'s eth0, as IPaddr2 or EXPRESSCLUSTER's AWS Virtual IP resource would. */
  async addVip(node: string): Promise<void> {
    const netns = this.namespace(node).netns;
    await ipBatch(
      netns,
      this.topology.vips.map((vip) => `addr replace ${vip} dev eth0${vip.includes(':') ? ' nodad' : ''}`),
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.syncing;
    for (const child of this.responders) child.stdin?.end();
    this.removeAllSync();
    process.off('exit', this.onExit);
  }

  private removeAllSync(): void {
    for (const child of this.responders) if (child.exitCode === null) child.kill('SIGKILL');
    for (const info of Object.values(this.layout.namespaces)) removeNamespace(info.netns);
  }

  private async build(): Promise<void> {
    const { layout } = this;
    const all = Object.values(layout.namespaces);
    for (const info of all) {
      const added = spawnSync('ip', ['netns', 'add', info.netns], { encoding: 'utf8' });
      if (added.status !== 0) throw new Error(`ip netns add ${info.netns}: ${added.stderr.trim()}`);
    }
    // Routers forward; nothing drops a packet for coming back another way; ICMP errors are never rate
    // limited (a loop must show in every probe, not once a second).
    await Promise.all(
      all.map(async (info) => {
        const router = info.role === 'vpc' || info.role === 'tgw';
        const settings = [
          'net.ipv4.conf.all.rp_filter=0',
          'net.ipv4.conf.default.rp_filter=0',
          'net.ipv4.icmp_ratelimit=0',
          'net.ipv4.icmp_msgs_per_sec=100000',
          'net.ipv6.icmp.ratelimit=0',
          // IPv6 addresses are usable at once, without duplicate address detection's wait.
          'net.ipv6.conf.all.accept_dad=0',
          'net.ipv6.conf.default.accept_dad=0',
          ...(router ? ['net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1'] : []),
        ];
        const [command, args] = inNamespace(info.netns, ['sysctl', '-q', '-w', ...settings]);
        const result = await run(command, args);
        if (result.code !== 0) throw new Error(`sysctl in ${info.netns}: ${result.stderr.trim()}`);
      }),
    );

    const perNamespace = new Map<string, string[]>();
    const lines = (netns: string) => {
      let list = perNamespace.get(netns);
      if (!list) {
        list = ['link set lo up'];
        perNamespace.set(netns, list);
      }
      return list;
    };
    // veth pairs are made inside the first namespace, the peer straight into the second.
    const pairs = new Map<string, string[]>();
    const pair = (netns: string, line: string) => {
      const list = pairs.get(netns) ?? [];
      list.push(line);
      pairs.set(netns, list);
    };
    for (const host of layout.hosts) {
      pair(host.router, `link add ${host.routerIf} type veth peer name eth0 netns ${host.host}`);
      lines(host.router).push(
        `addr add ${host.gateway}/32 dev ${host.routerIf}`,
        `addr add ${LINK_LOCAL.a}/64 dev ${host.routerIf} nodad`,
        `link set ${host.routerIf} up`,
      );
      lines(host.host).push(
        `addr add ${host.address}/${host.prefix} dev eth0`,
        `addr add ${LINK_LOCAL.b}/64 dev eth0 nodad`,
        // A /128, not the subnet's /64: with no on-link prefix, even a neighbour of the same subnet is
        // reached through the router (IPv4 gets there with proxy ARP).
        ...(host.address6 ? [`addr add ${host.address6}/128 dev eth0 nodad`] : []),
        'link set eth0 up',
        `route add default via ${host.gateway} dev eth0 onlink`,
        `route add ::/0 via ${LINK_LOCAL.a} dev eth0`,
      );
    }
    for (const link of layout.links) {
      pair(
        link.a.netns,
        `link add ${link.a.ifname} type veth peer name ${link.b.ifname} netns ${link.b.netns}`,
      );
      for (const [side, local] of [
        [link.a, LINK_LOCAL.a],
        [link.b, LINK_LOCAL.b],
      ] as const)
        lines(side.netns).push(
          `addr add ${side.address}/30 dev ${side.ifname}`,
          `addr add ${local}/64 dev ${side.ifname} nodad`,
          `link set ${side.ifname} up`,
        );
    }
    // Each router also holds a global IPv6 address (a ULA, on lo) to send ICMPv6 errors from: an error
    // from a link-local address could not leave the link it was sent on.
    Object.values(layout.namespaces)
      .filter((n) => n.role === 'vpc' || n.role === 'tgw')
      .forEach((router, i) => {
        lines(router.netns).push(`addr add fdff:198:18::${(i + 1).toString(16)}/128 dev lo nodad`);
      });
    for (const [netns, list] of pairs) await ipBatch(netns, list);
    await Promise.all([...perNamespace].map(([netns, list]) => ipBatch(netns, list)));
    // Proxy ARP on the router side of host links: a host's neighbours in its subnet are reached through
    // the router, where its subnet's route table applies. It answers at once, not after Linux's default
    // random delay of up to 0.8 s (proxy_delay).
    await Promise.all(
      [...new Set(layout.hosts.map((h) => h.router))].map(async (router) => {
        const settings = layout.hosts
          .filter((h) => h.router === router)
          .flatMap((h) => [
            `net.ipv4.conf.${h.routerIf}.proxy_arp=1`,
            `net.ipv4.neigh.${h.routerIf}.proxy_delay=0`,
          ]);
        const [command, args] = inNamespace(router, ['sysctl', '-q', '-w', ...settings]);
        const result = await run(command, args);
        if (result.code !== 0) throw new Error(`sysctl in ${router}: ${result.stderr.trim()}`);
      }),
    );
    if (this.options.vipOn === 'all')
      for (const [key, info] of Object.entries(layout.namespaces))
        if (info.role === 'node') await this.addVip(key);
  }

  private async startResponders(): Promise<void> {
    const nodes = Object.entries(this.layout.namespaces).filter(([, n]) => n.role === 'node');
    await Promise.all(
      nodes.map(
        ([key, info]) =>
          new Promise<void>((resolve, reject) => {
            const [command, args] = inNamespace(info.netns, [
              'python3',
              '-c',
              RESPONDER,
              key,
              String(RESPONDER_PORT),
            ]);
            const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
            this.responders.push(child);
            let stderr = '';
            child.stderr?.on('data', (chunk: Buffer) => {
              stderr += chunk.toString();
            });
            child.stdout?.once('data', () => resolve());
            child.once('error', reject);
            child.once('exit', (code) =>
              reject(new Error(`responder of ${key} exited (${code}): ${stderr.trim()}`)),
            );
          }),
      ),
    );
    this.options.log?.(
      `data plane: ${Object.keys(this.layout.namespaces).length} namespaces under ${this.layout.prefix}`,
    );
  }
}
