/**
 * What most commands start with: the topology, the AWS clients, the Step Functions adapter and a
 * way to read the routes. Loaded lazily by the commands, so it may import the AWS SDK.
 */
import { regionsOf } from '../../tasks/routing';
import type { Topology } from '../../tasks/topology';
import type { Observation } from '../../tasks/world';
import { type AwsClients, createAwsClients } from '../aws/clients';
import { resolveNode } from '../aws/identity';
import { loadConfig } from '../core/config';
import type { CommandContext } from '../core/context';
import { Executions } from './executions';

export interface Session {
  readonly topology: Topology;
  readonly clients: AwsClients;
  readonly executions: Executions;
  /** Reads every VIP route and the health of the resources on the way (EC2 reads only). */
  readWorld(): Promise<Observation>;
  /** A node from a flag: `self` through instance metadata, else a name the topology knows. */
  node(value: string, flag: string): Promise<string>;
}

export async function openSession(ctx: CommandContext): Promise<Session> {
  const topology = await loadConfig(ctx);
  const clients = createAwsClients(ctx.globals, ctx.io.env, topology);
  const executions = new Executions({
    sfn: clients.sfn,
    cluster: topology.cluster,
    regions: regionsOf(topology),
    account: (region) => clients.account(region),
    now: ctx.deps.now,
    sleep: ctx.deps.sleep,
  });
  const reader =
    ctx.deps.readWorld ??
    (async (c: AwsClients, t: Topology) => {
      const { readWorld } = await import('../../tasks/ec2/read-world');
      return readWorld(await c.ec2(), t);
    });
  return {
    topology,
    clients,
    executions,
    readWorld: () => reader(clients, topology),
    node: (value, flag) => resolveNode(topology, value, flag, ctx.io.env, { sleep: ctx.deps.sleep }),
  };
}
