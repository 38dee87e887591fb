/**
 * Shared fixtures of the EC2 adapter's unit tests: a two-region topology, SDK-shaped errors and
 * mocked clients (aws-sdk-client-mock at the port, no module mocking).
 */
import {
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  DescribeTransitGatewayAttachmentsCommand,
  EC2Client,
  EC2ServiceException,
  SearchTransitGatewayRoutesCommand,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import type { Change } from '../../../tasks/plan';
import { Topology } from '../../../tasks/topology';

export const VIP = '172.16.0.1/32';

export const topology = Topology.parse({
  cluster: 'orders-db',
  vips: [VIP],
  nodes: {
    'server-a': { vpc: 'vpc-a', eni: 'eni-0aaa0001', instance: 'i-0aaa0001' },
    'server-b': { vpc: 'vpc-b', eni: 'eni-0bbb0001', instance: 'i-0bbb0001' },
  },
  vpcs: {
    'vpc-a': {
      id: 'vpc-0aaa0001',
      region: 'us-east-1',
      cidr: '10.0.0.0/16',
      transitGateway: 'tgw-a',
      attachment: 'tgw-attach-0aaa0001',
      routeTables: ['rtb-0aaa0001', 'rtb-0aaa0002'],
    },
    'vpc-b': {
      id: 'vpc-0bbb0001',
      region: 'ap-southeast-1',
      cidr: '10.1.0.0/16',
      transitGateway: 'tgw-b',
      attachment: 'tgw-attach-0bbb0001',
      routeTables: ['rtb-0bbb0001'],
    },
  },
  transitGateways: {
    'tgw-a': { id: 'tgw-0aaa0001', region: 'us-east-1', routeTables: ['tgw-rtb-0aaa0001'] },
    'tgw-b': { id: 'tgw-0bbb0001', region: 'ap-southeast-1', routeTables: ['tgw-rtb-0bbb0001'] },
  },
  peerings: [{ between: ['tgw-a', 'tgw-b'], attachment: 'tgw-attach-0ccc0001' }],
});

/** An error as the SDK builds it from an EC2 error response. */
export function awsError(code: string, message: string, status = 400, attempts = 1): EC2ServiceException {
  return new EC2ServiceException({
    name: code,
    message,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status, attempts },
  });
}

/** A Node connection error as the HTTP handler raises it. */
export function networkError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:4566`), { code, $metadata: { attempts: 4 } });
}

export const east = new EC2Client({ region: 'us-east-1' });
export const west = new EC2Client({ region: 'ap-southeast-1' });
export const eastMock = mockClient(east);
export const westMock = mockClient(west);
export const clientFor = (region: string) => (region === 'us-east-1' ? east : west);

/** Both regions healthy: server-b is active (the seed example). */
export function seedHealthyWorld() {
  eastMock.on(DescribeRouteTablesCommand).resolves({
    RouteTables: [
      {
        RouteTableId: 'rtb-0aaa0001',
        Routes: [
          { DestinationCidrBlock: '10.0.0.0/16', GatewayId: 'local', State: 'active' },
          { DestinationCidrBlock: VIP, TransitGatewayId: 'tgw-0aaa0001', State: 'active' },
        ],
      },
      { RouteTableId: 'rtb-0aaa0002', Routes: [{ DestinationCidrBlock: '10.0.0.0/16', GatewayId: 'local' }] },
    ],
  });
  eastMock.on(SearchTransitGatewayRoutesCommand).resolves({
    Routes: [
      {
        DestinationCidrBlock: VIP,
        State: 'active',
        Type: 'static',
        TransitGatewayAttachments: [
          { TransitGatewayAttachmentId: 'tgw-attach-0ccc0001', ResourceType: 'peering' },
        ],
      },
    ],
  });
  eastMock.on(DescribeTransitGatewayAttachmentsCommand).resolves({
    TransitGatewayAttachments: [
      { TransitGatewayAttachmentId: 'tgw-attach-0aaa0001', State: 'available' },
      { TransitGatewayAttachmentId: 'tgw-attach-0ccc0001', State: 'available' },
    ],
  });
  eastMock.on(DescribeNetworkInterfacesCommand).resolves({
    NetworkInterfaces: [
      { NetworkInterfaceId: 'eni-0aaa0001', Status: 'in-use', Attachment: { InstanceId: 'i-0aaa0001' } },
    ],
  });
  eastMock.on(DescribeInstancesCommand).resolves({
    Reservations: [
      {
        Instances: [
          { InstanceId: 'i-0aaa0001', State: { Name: 'stopped', Code: 80 }, SourceDestCheck: true },
        ],
      },
    ],
  });

  westMock.on(DescribeRouteTablesCommand).resolves({
    RouteTables: [
      {
        RouteTableId: 'rtb-0bbb0001',
        Routes: [
          // An instance route reports both the instance and its ENI.
          {
            DestinationCidrBlock: VIP,
            InstanceId: 'i-0bbb0001',
            NetworkInterfaceId: 'eni-0bbb0001',
            State: 'active',
          },
        ],
      },
    ],
  });
  westMock.on(SearchTransitGatewayRoutesCommand).resolves({
    Routes: [
      {
        DestinationCidrBlock: VIP,
        State: 'blackhole',
        TransitGatewayAttachments: [{ TransitGatewayAttachmentId: 'tgw-attach-0bbb0001' }],
      },
    ],
  });
  westMock.on(DescribeTransitGatewayAttachmentsCommand).resolves({
    TransitGatewayAttachments: [
      { TransitGatewayAttachmentId: 'tgw-attach-0bbb0001', State: 'available' },
      { TransitGatewayAttachmentId: 'tgw-attach-0ccc0001', State: 'pendingAcceptance' },
    ],
  });
  westMock.on(DescribeNetworkInterfacesCommand).resolves({
    NetworkInterfaces: [
      { NetworkInterfaceId: 'eni-0bbb0001', Status: 'in-use', Attachment: { InstanceId: 'i-0bbb0001' } },
    ],
  });
  westMock.on(DescribeInstancesCommand).resolves({
    Reservations: [
      {
        Instances: [
          { InstanceId: 'i-0bbb0001', State: { Name: 'running', Code: 16 }, SourceDestCheck: false },
        ],
      },
    ],
  });
}

export function change(overrides: Partial<Change>): Change {
  return {
    table: 'rtb-0aaa0001',
    kind: 'vpc',
    region: 'us-east-1',
    vip: VIP,
    step: 'local-vpc',
    wave: 0,
    action: 'replace',
    previous: 'eni-0bbb0001',
    previousState: 'active',
    target: 'eni-0aaa0001',
    ...overrides,
  };
}
