import {
  CreateRouteCommand,
  CreateTransitGatewayRouteCommand,
  DeleteRouteCommand,
  DeleteTransitGatewayRouteCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  DescribeSubnetsCommand,
  DescribeTransitGatewayAttachmentsCommand,
  DescribeTransitGatewayPeeringAttachmentsCommand,
  DescribeTransitGatewayRouteTablesCommand,
  DescribeTransitGatewaysCommand,
  DescribeTransitGatewayVpcAttachmentsCommand,
  DescribeVpcsCommand,
  EC2Client,
  GetTransitGatewayRouteTableAssociationsCommand,
  paginateDescribeRouteTables,
  ReplaceRouteCommand,
  ReplaceTransitGatewayRouteCommand,
  type Route,
  SearchTransitGatewayRoutesCommand,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_CREDENTIALS } from '../../local/iam/principals';
import { type LocalAws, startLocalAws } from '../../local/server';
import { loadTopology, type Topology } from '../../tasks/topology';

const VIP = '172.16.0.1/32';
const EAST = 'us-east-1';
const SOUTHEAST = 'ap-southeast-1';

const topology: Topology = await loadTopology('examples/two-region.yaml');
let aws: LocalAws;
const clients = new Map<string, EC2Client>();
const ec2 = (region: string) => {
  let client = clients.get(region);
  if (!client) {
    client = new EC2Client({
      region,
      endpoint: aws.url,
      credentials: ADMIN_CREDENTIALS,
      maxAttempts: 1,
    });
    clients.set(region, client);
  }
  return client;
};

/** The AWS error a call fails with: code, HTTP status and message. */
async function failure(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    const e = error as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { code: e.name, status: e.$metadata?.httpStatusCode, message: e.message };
  }
  throw new Error('expected the call to fail');
}

beforeAll(async () => {
  aws = await startLocalAws({ topology, port: 0, sfn: false, active: 'server-b' });
});
afterAll(async () => {
  for (const client of clients.values()) client.destroy();
  await aws.close();
});
beforeEach(() => {
  aws.world.restore(startWorld);
});
let startWorld: ReturnType<LocalAws['world']['snapshot']>;
beforeAll(() => {
  startWorld = aws.world.snapshot();
});

const vpcA = () => topology.vpcs['vpc-a']!;
const vpcB = () => topology.vpcs['vpc-b']!;
const tgwA = () => topology.transitGateways['tgw-a']!;
const tgwB = () => topology.transitGateways['tgw-b']!;
const serverA = () => topology.nodes['server-a']!;
const serverB = () => topology.nodes['server-b']!;
const peering = () => topology.peerings[0]!.attachment;

describe('seeded world, read through the SDK', () => {
  it('seeds VIP routes per the routing rule with server-b active', async () => {
    const tables = await ec2(SOUTHEAST).send(
      new DescribeRouteTablesCommand({ RouteTableIds: vpcB().routeTables }),
    );
    for (const table of tables.RouteTables ?? []) {
      const vip = table.Routes?.find((r) => r.DestinationCidrBlock === VIP);
      expect(vip).toMatchObject({
        NetworkInterfaceId: serverB().eni,
        InstanceId: serverB().instance,
        State: 'active',
      });
    }
    const remote = await ec2(EAST).send(
      new DescribeRouteTablesCommand({ RouteTableIds: vpcA().routeTables }),
    );
    for (const table of remote.RouteTables ?? []) {
      expect(table.Routes?.find((r) => r.DestinationCidrBlock === VIP)).toMatchObject({
        TransitGatewayId: tgwA().id,
      });
    }
    const local = await ec2(SOUTHEAST).send(
      new SearchTransitGatewayRoutesCommand({
        TransitGatewayRouteTableId: tgwB().routeTables[0]!,
        Filters: [{ Name: 'route-search.exact-match', Values: [VIP] }],
      }),
    );
    expect(local.Routes).toEqual([
      expect.objectContaining({
        DestinationCidrBlock: VIP,
        Type: 'static',
        State: 'active',
        TransitGatewayAttachments: [
          { TransitGatewayAttachmentId: vpcB().attachment, ResourceId: vpcB().id, ResourceType: 'vpc' },
        ],
      }),
    ]);
    expect(local.AdditionalRoutesAvailable).toBe(false);
    const far = await ec2(EAST).send(
      new SearchTransitGatewayRoutesCommand({
        TransitGatewayRouteTableId: tgwA().routeTables[0]!,
        Filters: [{ Name: 'route-search.exact-match', Values: [VIP] }],
      }),
    );
    expect(far.Routes?.[0]?.TransitGatewayAttachments?.[0]).toMatchObject({
      TransitGatewayAttachmentId: peering(),
      ResourceType: 'peering',
      ResourceId: tgwB().id,
    });
  });

  it('seeds the non-VIP routes: local, other VPCs via the TGW, a default route in the first table', async () => {
    const [first, second] = (
      await ec2(EAST).send(new DescribeRouteTablesCommand({ RouteTableIds: vpcA().routeTables }))
    ).RouteTables!;
    const byDestination = (routes: Route[] | undefined) =>
      Object.fromEntries(
        (routes ?? []).map((r) => [r.DestinationCidrBlock, r.GatewayId ?? r.TransitGatewayId]),
      );
    expect(byDestination(first!.Routes)).toMatchObject({
      [vpcA().cidr]: 'local',
      [vpcB().cidr]: tgwA().id,
      '0.0.0.0/0': expect.stringMatching(/^igw-/),
    });
    expect(byDestination(second!.Routes)['0.0.0.0/0']).toBeUndefined();
    const tgwRoutes = await ec2(EAST).send(
      new SearchTransitGatewayRoutesCommand({
        TransitGatewayRouteTableId: tgwA().routeTables[0]!,
        Filters: [{ Name: 'type', Values: ['propagated'] }],
      }),
    );
    expect(tgwRoutes.Routes?.map((r) => r.DestinationCidrBlock)).toEqual([vpcA().cidr]);
  });

  it('seeds no VIP route when started with no active node', async () => {
    const bare = await startLocalAws({ topology, port: 0, sfn: false, active: null });
    try {
      expect(bare.world.allRoutes().filter((r) => r.destination === VIP)).toEqual([]);
      expect(bare.world.allRoutes().length).toBeGreaterThan(0);
    } finally {
      await bare.close();
    }
  });

  it('keeps regions apart: a table of one region is unknown in the other', async () => {
    const error = await failure(
      ec2(EAST).send(new DescribeRouteTablesCommand({ RouteTableIds: [vpcB().routeTables[0]!] })),
    );
    expect(error).toEqual({
      code: 'InvalidRouteTableID.NotFound',
      status: 400,
      message: `The routeTable ID '${vpcB().routeTables[0]}' does not exist`,
    });
    const east = await ec2(EAST).send(new DescribeVpcsCommand({}));
    expect(east.Vpcs?.map((v) => v.VpcId)).toEqual([vpcA().id]);
  });

  it('filters route tables by vpc-id, route-table-id and association.subnet-id', async () => {
    const byVpc = await ec2(EAST).send(
      new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcA().id] }] }),
    );
    expect(byVpc.RouteTables?.map((t) => t.RouteTableId).sort()).toEqual([...vpcA().routeTables].sort());
    const subnetId = byVpc.RouteTables![0]!.Associations!.find((a) => a.SubnetId)!.SubnetId!;
    const bySubnet = await ec2(EAST).send(
      new DescribeRouteTablesCommand({ Filters: [{ Name: 'association.subnet-id', Values: [subnetId] }] }),
    );
    expect(bySubnet.RouteTables?.map((t) => t.RouteTableId)).toEqual([byVpc.RouteTables![0]!.RouteTableId]);
    const byId = await ec2(EAST).send(
      new DescribeRouteTablesCommand({
        Filters: [{ Name: 'route-table-id', Values: [vpcA().routeTables[1]!] }],
      }),
    );
    expect(byId.RouteTables?.map((t) => t.RouteTableId)).toEqual([vpcA().routeTables[1]]);
  });

  it('refuses an unknown filter name', async () => {
    const error = await failure(
      ec2(EAST).send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'colour', Values: ['blue'] }] })),
    );
    expect(error).toMatchObject({ code: 'InvalidParameterValue', status: 400 });
  });

  it('paginates DescribeRouteTables with MaxResults and NextToken', async () => {
    // Add tables so there is more than one page of the smallest size AWS allows (5).
    const region = aws.world.region(EAST);
    const template = region.routeTables[vpcA().routeTables[0]!]!;
    for (let i = 0; i < 7; i++) {
      const id = `rtb-0f00000000000000${i}`;
      region.routeTables[id] = { ...structuredClone(template), id };
    }
    const first = await ec2(EAST).send(new DescribeRouteTablesCommand({ MaxResults: 5 }));
    expect(first.RouteTables).toHaveLength(5);
    expect(first.NextToken).toBeDefined();
    const ids: string[] = [];
    for await (const page of paginateDescribeRouteTables({ client: ec2(EAST), pageSize: 5 }, {})) {
      ids.push(...(page.RouteTables ?? []).map((t) => t.RouteTableId!));
    }
    expect(ids).toHaveLength(9);
    expect(new Set(ids).size).toBe(9);
    const error = await failure(ec2(EAST).send(new DescribeRouteTablesCommand({ MaxResults: 3 })));
    expect(error).toMatchObject({ code: 'InvalidParameterValue', status: 400 });
  });
});

describe('VPC route writes', () => {
  const table = () => vpcB().routeTables[0]!;

  it('replaces a VIP route and reports the new target', async () => {
    await ec2(SOUTHEAST).send(
      new ReplaceRouteCommand({
        RouteTableId: table(),
        DestinationCidrBlock: VIP,
        TransitGatewayId: tgwB().id,
      }),
    );
    expect(aws.world.findRoute(SOUTHEAST, table(), VIP)).toMatchObject({
      target: tgwB().id,
      state: 'active',
    });
  });

  it('creates a missing route, then refuses to create it again with RouteAlreadyExists', async () => {
    const destination = '172.16.0.2/32';
    await ec2(SOUTHEAST).send(
      new CreateRouteCommand({
        RouteTableId: table(),
        DestinationCidrBlock: destination,
        NetworkInterfaceId: serverB().eni,
      }),
    );
    expect(aws.world.findRoute(SOUTHEAST, table(), destination)?.target).toBe(serverB().eni);
    const error = await failure(
      ec2(SOUTHEAST).send(
        new CreateRouteCommand({
          RouteTableId: table(),
          DestinationCidrBlock: destination,
          NetworkInterfaceId: serverB().eni,
        }),
      ),
    );
    expect(error).toEqual({
      code: 'RouteAlreadyExists',
      status: 400,
      message: `The route identified by ${destination} already exists.`,
    });
  });

  it('refuses to replace a route that does not exist', async () => {
    const error = await failure(
      ec2(SOUTHEAST).send(
        new ReplaceRouteCommand({
          RouteTableId: table(),
          DestinationCidrBlock: '172.16.9.9/32',
          TransitGatewayId: tgwB().id,
        }),
      ),
    );
    expect(error).toEqual({
      code: 'InvalidParameterValue',
      status: 400,
      message: "There is no route defined for '172.16.9.9/32' in the route table. Use CreateRoute instead.",
    });
  });

  it('deletes a route, and refuses to delete a missing one with InvalidRoute.NotFound', async () => {
    await ec2(SOUTHEAST).send(new DeleteRouteCommand({ RouteTableId: table(), DestinationCidrBlock: VIP }));
    expect(aws.world.findRoute(SOUTHEAST, table(), VIP)).toBeUndefined();
    const error = await failure(
      ec2(SOUTHEAST).send(new DeleteRouteCommand({ RouteTableId: table(), DestinationCidrBlock: VIP })),
    );
    expect(error).toMatchObject({ code: 'InvalidRoute.NotFound', status: 400 });
  });

  it('stores an InstanceId target as the instance primary ENI', async () => {
    await ec2(SOUTHEAST).send(
      new ReplaceRouteCommand({
        RouteTableId: table(),
        DestinationCidrBlock: VIP,
        InstanceId: serverB().instance,
      }),
    );
    expect(aws.world.findRoute(SOUTHEAST, table(), VIP)?.target).toBe(serverB().eni);
  });

  it('accepts a GatewayId target of the VPC own internet gateway', async () => {
    const igw = Object.keys(aws.world.region(SOUTHEAST).internetGateways)[0]!;
    await ec2(SOUTHEAST).send(
      new ReplaceRouteCommand({ RouteTableId: table(), DestinationCidrBlock: VIP, GatewayId: igw }),
    );
    expect(aws.world.findRoute(SOUTHEAST, table(), VIP)?.target).toBe(igw);
  });

  it.each([
    [
      'an unknown route table',
      () =>
        new ReplaceRouteCommand({
          RouteTableId: 'rtb-0123456789abcdef0',
          DestinationCidrBlock: VIP,
          TransitGatewayId: tgwB().id,
        }),
      'InvalidRouteTableID.NotFound',
      "The routeTable ID 'rtb-0123456789abcdef0' does not exist",
    ],
    [
      'an unknown ENI',
      () =>
        new ReplaceRouteCommand({
          RouteTableId: table(),
          DestinationCidrBlock: VIP,
          NetworkInterfaceId: 'eni-0123456789abcdef0',
        }),
      'InvalidNetworkInterfaceID.NotFound',
      "The networkInterface ID 'eni-0123456789abcdef0' does not exist",
    ],
    [
      'an ENI of another region',
      () =>
        new ReplaceRouteCommand({
          RouteTableId: table(),
          DestinationCidrBlock: VIP,
          NetworkInterfaceId: serverA().eni,
        }),
      'InvalidNetworkInterfaceID.NotFound',
      `The networkInterface ID '${serverA().eni}' does not exist`,
    ],
    [
      'an unknown TGW',
      () =>
        new ReplaceRouteCommand({
          RouteTableId: table(),
          DestinationCidrBlock: VIP,
          TransitGatewayId: 'tgw-0123456789abcdef0',
        }),
      'InvalidTransitGatewayID.NotFound',
      "The transitGateway ID 'tgw-0123456789abcdef0' does not exist.",
    ],
    [
      'an unknown instance',
      () =>
        new CreateRouteCommand({
          RouteTableId: table(),
          DestinationCidrBlock: '172.16.0.3/32',
          InstanceId: 'i-0123456789abcdef0',
        }),
      'InvalidInstanceID.NotFound',
      "The instance ID 'i-0123456789abcdef0' does not exist",
    ],
    [
      'a malformed CIDR',
      () =>
        new CreateRouteCommand({
          RouteTableId: table(),
          DestinationCidrBlock: '172.16.0.300/32',
          TransitGatewayId: tgwB().id,
        }),
      'InvalidParameterValue',
      'Value (172.16.0.300/32) for parameter destinationCidrBlock is invalid. This is not a valid CIDR block.',
    ],
  ])('fails a write to %s like AWS', async (_, command, code, message) => {
    const before = aws.world.allRoutes();
    const error = await failure(ec2(SOUTHEAST).send(command()));
    expect(error).toEqual({ code, status: 400, message });
    expect(aws.world.allRoutes()).toEqual(before);
  });

  it('shows drift injected with an unmodelled target under that target element', async () => {
    aws.world.setRoute(SOUTHEAST, table(), VIP, 'pcx-0123456789abcdef0');
    const tables = await ec2(SOUTHEAST).send(new DescribeRouteTablesCommand({ RouteTableIds: [table()] }));
    expect(tables.RouteTables?.[0]?.Routes?.find((r) => r.DestinationCidrBlock === VIP)).toEqual({
      DestinationCidrBlock: VIP,
      VpcPeeringConnectionId: 'pcx-0123456789abcdef0',
      State: 'active',
      Origin: 'CreateRoute',
    });
  });

  it('marks a route to a detached ENI as blackhole', async () => {
    const eni = aws.world.region(SOUTHEAST).networkInterfaces[serverB().eni]!;
    eni.instanceId = null;
    eni.status = 'available';
    const tables = await ec2(SOUTHEAST).send(new DescribeRouteTablesCommand({ RouteTableIds: [table()] }));
    expect(tables.RouteTables?.[0]?.Routes?.find((r) => r.DestinationCidrBlock === VIP)?.State).toBe(
      'blackhole',
    );
  });
});

describe('transit gateway route writes', () => {
  const tgwTable = () => tgwB().routeTables[0]!;

  it('replaces a TGW route and returns it', async () => {
    const result = await ec2(SOUTHEAST).send(
      new ReplaceTransitGatewayRouteCommand({
        TransitGatewayRouteTableId: tgwTable(),
        DestinationCidrBlock: VIP,
        TransitGatewayAttachmentId: peering(),
      }),
    );
    expect(result.Route).toMatchObject({ DestinationCidrBlock: VIP, Type: 'static', State: 'active' });
    expect(aws.world.findRoute(SOUTHEAST, tgwTable(), VIP)?.target).toBe(peering());
  });

  it('creates a missing TGW route, then refuses a second one with RouteAlreadyExists', async () => {
    const destination = '172.16.0.2/32';
    const input = {
      TransitGatewayRouteTableId: tgwTable(),
      DestinationCidrBlock: destination,
      TransitGatewayAttachmentId: vpcB().attachment,
    };
    await ec2(SOUTHEAST).send(new CreateTransitGatewayRouteCommand(input));
    const error = await failure(ec2(SOUTHEAST).send(new CreateTransitGatewayRouteCommand(input)));
    expect(error).toMatchObject({ code: 'RouteAlreadyExists', status: 400 });
  });

  it('refuses to replace or delete a TGW route that does not exist with InvalidRoute.NotFound', async () => {
    const replace = await failure(
      ec2(SOUTHEAST).send(
        new ReplaceTransitGatewayRouteCommand({
          TransitGatewayRouteTableId: tgwTable(),
          DestinationCidrBlock: '172.16.9.9/32',
          TransitGatewayAttachmentId: peering(),
        }),
      ),
    );
    expect(replace).toMatchObject({ code: 'InvalidRoute.NotFound', status: 400 });
    const remove = await failure(
      ec2(SOUTHEAST).send(
        new DeleteTransitGatewayRouteCommand({
          TransitGatewayRouteTableId: tgwTable(),
          DestinationCidrBlock: '172.16.9.9/32',
        }),
      ),
    );
    expect(remove).toMatchObject({ code: 'InvalidRoute.NotFound', status: 400 });
  });

  it('deletes a static TGW route', async () => {
    const result = await ec2(SOUTHEAST).send(
      new DeleteTransitGatewayRouteCommand({
        TransitGatewayRouteTableId: tgwTable(),
        DestinationCidrBlock: VIP,
      }),
    );
    expect(result.Route?.State).toBe('deleted');
    expect(aws.world.findRoute(SOUTHEAST, tgwTable(), VIP)).toBeUndefined();
  });

  it('fails on an unknown TGW route table and an unknown attachment', async () => {
    const table = await failure(
      ec2(SOUTHEAST).send(
        new ReplaceTransitGatewayRouteCommand({
          TransitGatewayRouteTableId: 'tgw-rtb-0123456789abcdef0',
          DestinationCidrBlock: VIP,
          TransitGatewayAttachmentId: peering(),
        }),
      ),
    );
    expect(table).toMatchObject({ code: 'InvalidRouteTableID.NotFound', status: 400 });
    const attachment = await failure(
      ec2(SOUTHEAST).send(
        new ReplaceTransitGatewayRouteCommand({
          TransitGatewayRouteTableId: tgwTable(),
          DestinationCidrBlock: VIP,
          TransitGatewayAttachmentId: 'tgw-attach-0123456789abcdef0',
        }),
      ),
    );
    expect(attachment).toMatchObject({ code: 'InvalidTransitGatewayAttachmentID.NotFound', status: 400 });
  });

  it('reports additionalRoutesAvailable when MaxResults cuts the search short', async () => {
    const result = await ec2(SOUTHEAST).send(
      new SearchTransitGatewayRoutesCommand({
        TransitGatewayRouteTableId: tgwTable(),
        Filters: [{ Name: 'state', Values: ['active'] }],
        MaxResults: 5,
      }),
    );
    expect(result.Routes).toHaveLength(3);
    expect(result.AdditionalRoutesAvailable).toBe(false);
    for (let i = 0; i < 4; i++) aws.world.setRoute(SOUTHEAST, tgwTable(), `172.17.0.${i}/32`, peering());
    const more = await ec2(SOUTHEAST).send(
      new SearchTransitGatewayRoutesCommand({
        TransitGatewayRouteTableId: tgwTable(),
        Filters: [{ Name: 'state', Values: ['active'] }],
        MaxResults: 5,
      }),
    );
    expect(more.Routes).toHaveLength(5);
    expect(more.AdditionalRoutesAvailable).toBe(true);
  });
});

describe('transit gateways, attachments and peering', () => {
  it('describes the TGW of each region with its default route table', async () => {
    const result = await ec2(EAST).send(
      new DescribeTransitGatewaysCommand({ TransitGatewayIds: [tgwA().id] }),
    );
    expect(result.TransitGateways).toEqual([
      expect.objectContaining({
        TransitGatewayId: tgwA().id,
        State: 'available',
        Options: expect.objectContaining({ AssociationDefaultRouteTableId: tgwA().routeTables[0] }),
      }),
    ]);
    const missing = await failure(
      ec2(EAST).send(new DescribeTransitGatewaysCommand({ TransitGatewayIds: [tgwB().id] })),
    );
    expect(missing).toMatchObject({ code: 'InvalidTransitGatewayID.NotFound', status: 400 });
  });

  it('shows the peering attachment in both regions, each from its own side', async () => {
    const east = await ec2(EAST).send(
      new DescribeTransitGatewayAttachmentsCommand({ TransitGatewayAttachmentIds: [peering()] }),
    );
    const southeast = await ec2(SOUTHEAST).send(
      new DescribeTransitGatewayAttachmentsCommand({ TransitGatewayAttachmentIds: [peering()] }),
    );
    expect(east.TransitGatewayAttachments?.[0]).toMatchObject({
      TransitGatewayId: tgwA().id,
      ResourceId: tgwB().id,
      ResourceType: 'peering',
      State: 'available',
    });
    expect(southeast.TransitGatewayAttachments?.[0]).toMatchObject({
      TransitGatewayId: tgwB().id,
      ResourceId: tgwA().id,
      ResourceType: 'peering',
    });
    for (const region of [EAST, SOUTHEAST]) {
      const peerings = await ec2(region).send(new DescribeTransitGatewayPeeringAttachmentsCommand({}));
      expect(peerings.TransitGatewayPeeringAttachments).toEqual([
        expect.objectContaining({
          TransitGatewayAttachmentId: peering(),
          State: 'available',
          RequesterTgwInfo: expect.objectContaining({ TransitGatewayId: tgwA().id, Region: EAST }),
          AccepterTgwInfo: expect.objectContaining({ TransitGatewayId: tgwB().id, Region: SOUTHEAST }),
        }),
      ]);
    }
  });

  it('describes VPC attachments and filters attachments by resource type', async () => {
    const vpcAttachments = await ec2(SOUTHEAST).send(new DescribeTransitGatewayVpcAttachmentsCommand({}));
    expect(vpcAttachments.TransitGatewayVpcAttachments).toEqual([
      expect.objectContaining({
        TransitGatewayAttachmentId: vpcB().attachment,
        VpcId: vpcB().id,
        TransitGatewayId: tgwB().id,
        State: 'available',
      }),
    ]);
    const vpcOnly = await ec2(SOUTHEAST).send(
      new DescribeTransitGatewayAttachmentsCommand({ Filters: [{ Name: 'resource-type', Values: ['vpc'] }] }),
    );
    expect(vpcOnly.TransitGatewayAttachments?.map((a) => a.TransitGatewayAttachmentId)).toEqual([
      vpcB().attachment,
    ]);
    expect(vpcOnly.TransitGatewayAttachments?.[0]?.Association).toEqual({
      TransitGatewayRouteTableId: tgwB().routeTables[0],
      State: 'associated',
    });
  });

  it('lists TGW route tables and their associations', async () => {
    const tables = await ec2(EAST).send(new DescribeTransitGatewayRouteTablesCommand({}));
    expect(tables.TransitGatewayRouteTables).toEqual([
      expect.objectContaining({
        TransitGatewayRouteTableId: tgwA().routeTables[0],
        TransitGatewayId: tgwA().id,
        DefaultAssociationRouteTable: true,
      }),
    ]);
    const associations = await ec2(EAST).send(
      new GetTransitGatewayRouteTableAssociationsCommand({
        TransitGatewayRouteTableId: tgwA().routeTables[0]!,
      }),
    );
    expect(
      associations.Associations?.map((a) => [a.TransitGatewayAttachmentId, a.ResourceType, a.State]).sort(),
    ).toEqual(
      [
        [peering(), 'peering', 'associated'],
        [vpcA().attachment, 'vpc', 'associated'],
      ].sort(),
    );
  });
});

describe('instances, network interfaces, VPCs and subnets', () => {
  it('describes the node instance with its ENI, placement and source/dest check off', async () => {
    const result = await ec2(EAST).send(new DescribeInstancesCommand({ InstanceIds: [serverA().instance] }));
    const instance = result.Reservations?.[0]?.Instances?.[0];
    expect(instance).toMatchObject({
      InstanceId: serverA().instance,
      State: { Name: 'running', Code: 16 },
      SourceDestCheck: false,
      VpcId: vpcA().id,
      Placement: expect.objectContaining({ AvailabilityZone: `${EAST}a` }),
      NetworkInterfaces: [expect.objectContaining({ NetworkInterfaceId: serverA().eni, Status: 'in-use' })],
    });
    const missing = await failure(
      ec2(EAST).send(new DescribeInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] })),
    );
    expect(missing).toEqual({
      code: 'InvalidInstanceID.NotFound',
      status: 400,
      message: "The instance ID 'i-0123456789abcdef0' does not exist",
    });
  });

  it('reads the sourceDestCheck attribute', async () => {
    aws.world.region(EAST).instances[serverA().instance]!.sourceDestCheck = true;
    const result = await ec2(EAST).send(
      new DescribeInstanceAttributeCommand({ InstanceId: serverA().instance, Attribute: 'sourceDestCheck' }),
    );
    expect(result.SourceDestCheck).toEqual({ Value: true });
  });

  it('describes the node ENI as in-use and attached', async () => {
    const result = await ec2(SOUTHEAST).send(
      new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [serverB().eni] }),
    );
    expect(result.NetworkInterfaces?.[0]).toMatchObject({
      NetworkInterfaceId: serverB().eni,
      Status: 'in-use',
      VpcId: vpcB().id,
      Attachment: expect.objectContaining({ InstanceId: serverB().instance, Status: 'attached' }),
    });
    const missing = await failure(
      ec2(SOUTHEAST).send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [serverA().eni] })),
    );
    expect(missing).toMatchObject({ code: 'InvalidNetworkInterfaceID.NotFound', status: 400 });
  });

  it('describes one subnet per route table inside the VPC', async () => {
    const subnets = await ec2(EAST).send(
      new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcA().id] }] }),
    );
    expect(subnets.Subnets?.map((s) => s.CidrBlock).sort()).toEqual(['10.0.0.0/24', '10.0.1.0/24']);
    const vpcs = await ec2(SOUTHEAST).send(new DescribeVpcsCommand({ VpcIds: [vpcB().id] }));
    expect(vpcs.Vpcs?.[0]).toMatchObject({ VpcId: vpcB().id, CidrBlock: vpcB().cidr, State: 'available' });
  });
});

describe('protocol', () => {
  it('answers an unknown action with InvalidAction (400) in the EC2 error document', async () => {
    const response = await fetch(aws.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=LaunchRockets&Version=2016-11-15',
    });
    expect(response.status).toBe(400);
    const text = await response.text();
    expect(text).toContain('<Response><Errors><Error><Code>InvalidAction</Code>');
    expect(text).toMatch(/<RequestID>[0-9a-f-]{36}<\/RequestID><\/Response>$/);
  });

  it('reaches local AWS through the AWS_ENDPOINT_URL_EC2 environment variable', async () => {
    const saved = process.env.AWS_ENDPOINT_URL_EC2;
    process.env.AWS_ENDPOINT_URL_EC2 = aws.url;
    const client = new EC2Client({
      region: EAST,
      credentials: ADMIN_CREDENTIALS,
    });
    try {
      const result = await client.send(new DescribeVpcsCommand({}));
      expect(result.Vpcs?.map((v) => v.VpcId)).toEqual([vpcA().id]);
    } finally {
      client.destroy();
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_EC2;
      else process.env.AWS_ENDPOINT_URL_EC2 = saved;
    }
  });
});

describe('IPv6 routes', () => {
  const VIP6 = 'fd00:172:16::1/128';
  const vpcTable = () => vpcB().routeTables[0]!;
  const tgwTable = () => tgwB().routeTables[0]!;

  it('creates, replaces and deletes a VPC route by DestinationIpv6CidrBlock, reported in that field', async () => {
    const client = ec2(SOUTHEAST);
    await client.send(
      new CreateRouteCommand({
        RouteTableId: vpcTable(),
        DestinationIpv6CidrBlock: 'FD00:172:16:0::1/128',
        NetworkInterfaceId: serverB().eni,
      }),
    );
    await client.send(
      new ReplaceRouteCommand({
        RouteTableId: vpcTable(),
        DestinationIpv6CidrBlock: VIP6,
        TransitGatewayId: tgwB().id,
      }),
    );
    const described = await client.send(
      new DescribeRouteTablesCommand({
        Filters: [{ Name: 'route.destination-ipv6-cidr-block', Values: [VIP6] }],
      }),
    );
    const route = described.RouteTables?.[0]?.Routes?.find((r) => r.DestinationIpv6CidrBlock === VIP6);
    await client.send(new DeleteRouteCommand({ RouteTableId: vpcTable(), DestinationIpv6CidrBlock: VIP6 }));

    expect(described.RouteTables?.map((t) => t.RouteTableId)).toEqual([vpcTable()]);
    expect(route).toMatchObject({ TransitGatewayId: tgwB().id, State: 'active' });
    expect(route?.DestinationCidrBlock).toBeUndefined();
    expect(aws.world.findRoute(SOUTHEAST, vpcTable(), VIP6)).toBeUndefined();
  });

  it('refuses an IPv6 CIDR in DestinationCidrBlock, and both destinations at once, changing nothing', async () => {
    const client = ec2(SOUTHEAST);
    const before = aws.world.allRoutes();

    const wrongField = await failure(
      client.send(
        new CreateRouteCommand({
          RouteTableId: vpcTable(),
          DestinationCidrBlock: VIP6,
          TransitGatewayId: tgwB().id,
        }),
      ),
    );
    const both = await failure(
      client.send(
        new CreateRouteCommand({
          RouteTableId: vpcTable(),
          DestinationCidrBlock: '172.16.9.9/32',
          DestinationIpv6CidrBlock: VIP6,
          TransitGatewayId: tgwB().id,
        }),
      ),
    );

    expect(wrongField).toMatchObject({ code: 'InvalidParameterValue', status: 400 });
    expect(both).toMatchObject({ code: 'InvalidParameterCombination', status: 400 });
    expect(aws.world.allRoutes()).toEqual(before);
  });

  it('writes a TGW route with an IPv6 DestinationCidrBlock and finds it by exact match in any spelling', async () => {
    const client = ec2(SOUTHEAST);
    const attachment = vpcB().attachment;
    await client.send(
      new CreateTransitGatewayRouteCommand({
        TransitGatewayRouteTableId: tgwTable(),
        DestinationCidrBlock: VIP6,
        TransitGatewayAttachmentId: attachment,
      }),
    );

    const found = await client.send(
      new SearchTransitGatewayRoutesCommand({
        TransitGatewayRouteTableId: tgwTable(),
        Filters: [{ Name: 'route-search.exact-match', Values: ['fd00:172:16:0:0:0:0:1/128'] }],
      }),
    );
    const longest = await client.send(
      new SearchTransitGatewayRoutesCommand({
        TransitGatewayRouteTableId: tgwTable(),
        Filters: [{ Name: 'route-search.longest-prefix-match', Values: ['fd00:172:16::1'] }],
      }),
    );

    expect(found.Routes?.map((r) => r.DestinationCidrBlock)).toEqual([VIP6]);
    expect(found.Routes?.[0]?.TransitGatewayAttachments?.[0]?.TransitGatewayAttachmentId).toBe(attachment);
    expect(longest.Routes?.map((r) => r.DestinationCidrBlock)).toEqual([VIP6]);
  });
});
