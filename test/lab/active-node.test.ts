/**
 * What the active node of a real Pacemaker cluster in the lab keeps, in one lab:
 * - routes changed behind its back (the standby's VPC pointed at the standby's ENI): the agent's monitor
 *   (`vipctl check`) fails, Pacemaker restarts the agent on the same node, and its start puts the
 *   routes back; seen in the route tables read with the SDK, in Pacemaker's fail count, and in packets;
 * - killing the standby: the group stays on the active node, and every client VPC is answered by it
 *   throughout, with no packet lost or looped. Last: the killed node does not come back.
 */
import { DescribeRouteTablesCommand, EC2Client, ReplaceRouteCommand } from '@aws-sdk/client-ec2';
import { describe, expect } from 'vitest';
import { killStandby } from '../../lab/scenarios';
import { commands } from '../support/requirements';
import { askVip } from './ask-vip';
import { useLab } from './fixture';

const env = useLab({ requirements: [commands(['crm_failcount'], ['pacemaker-cli-utils'])] });
const { it } = env;

function ec2(region: string): EC2Client {
  return new EC2Client({
    region,
    endpoint: env.aws.url,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
}

/** The VIP route's target in each of a VPC's route tables, read with the SDK. */
async function vipTargets(vpcKey: string): Promise<string[]> {
  const vpc = env.topology.vpcs[vpcKey]!;
  const read = await ec2(vpc.region).send(
    new DescribeRouteTablesCommand({ RouteTableIds: [...vpc.routeTables] }),
  );
  return (read.RouteTables ?? []).map((table) => {
    const route = table.Routes?.find((r) => r.DestinationCidrBlock === env.lab.vip);
    return route?.TransitGatewayId ?? route?.NetworkInterfaceId ?? 'none';
  });
}

describe('the active node in the lab', () => {
  it("routes changed behind the agent's back: its monitor fails and Pacemaker's restart puts them back", async () => {
    const { aws, lab, topology } = env;
    const active = (await lab.startedOn())!;
    expect(active).not.toBeNull();
    const standby = Object.keys(lab.nodes).find((n) => n !== active)!;
    const vpcKey = topology.nodes[standby]!.vpc;
    const vpc = topology.vpcs[vpcKey]!;
    const tgw = topology.transitGateways[vpc.transitGateway]!.id;
    const client = aws.dataPlane!.namespace(`client-${vpcKey}`).netns;
    expect(await vipTargets(vpcKey)).toEqual(vpc.routeTables.map(() => tgw));
    expect(await askVip(client, lab.vip)).toBe(active);
    const failures = async () =>
      Number(
        /value=(\d+)/.exec(
          (await lab.exec(active, ['crm_failcount', '--query', '-r', 'vip-routes', '-N', active])).stdout,
        )?.[1] ?? 0,
      );
    expect(await failures()).toBe(0);

    // Someone points the standby's VPC back at the standby's ENI, outside the cluster.
    const changedAt = Date.now();
    for (const table of vpc.routeTables)
      await ec2(vpc.region).send(
        new ReplaceRouteCommand({
          RouteTableId: table,
          DestinationCidrBlock: lab.vip,
          NetworkInterfaceId: topology.nodes[standby]!.eni,
        }),
      );
    expect(await askVip(client, lab.vip, 1)).not.toBe(active);

    await lab.waitFor(async () => (await failures()) >= 1, "the agent's monitor to fail");
    const failedAt = Date.now();
    await lab.waitFor(
      async () => (await vipTargets(vpcKey)).every((t) => t === tgw) && (await lab.startedOn()) === active,
      'Pacemaker to restart the agent and its start to put the routes back',
    );
    const repairedAt = Date.now();
    expect(await askVip(client, lab.vip)).toBe(active);
    expect(await lab.startedOn()).toBe(active);
    process.stdout.write(
      `monitor: the monitor failed ${failedAt - changedAt} ms after the change; routes back ${repairedAt - changedAt} ms after it\n`,
    );
  });

  it('kill the standby: the group stays, every client VPC is answered by the active node, nothing lost', async () => {
    const { aws, lab } = env;
    const active = await lab.startedOn();
    expect(active).not.toBeNull();
    const run = await killStandby(lab, aws);
    process.stdout.write(`kill-standby: ${JSON.stringify(run)}\n`);

    expect(run.to).toBe(active);
    expect(await lab.startedOn()).toBe(active);
    for (const [vpc, outcome] of Object.entries(run.clients)) {
      expect(Object.keys(outcome.packets.byNode), vpc).toEqual([active]);
      expect(outcome.packets.lost, vpc).toBe(0);
      expect(outcome.looped, vpc).toBe(0);
      expect(outcome.recovered, vpc).toBe(true);
    }
  });
});
