/**
 * The resources routes go through: network interfaces, instances (with their source/destination
 * check), VPCs and subnets.
 */
import { partitionOf } from '../../tasks/partition';
import type { Instance, NetworkInterface } from '../world';
import type { Ec2Action } from './context';
import { paginate, select } from './describe';
import { Ec2Error, ec2Errors } from './errors';
import type { XmlObject } from './xml';

const macOf = (id: string): string => `02:${(id.slice(-10).padStart(10, '0').match(/../g) ?? []).join(':')}`;

const STATE_CODES: Record<Instance['state'], number> = {
  pending: 0,
  running: 16,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

const attachmentOf = (eni: NetworkInterface, account: string): XmlObject | undefined =>
  eni.instanceId
    ? {
        attachmentId: eni.attachmentId,
        deleteOnTermination: true,
        deviceIndex: 0,
        instanceId: eni.instanceId,
        instanceOwnerId: account,
        status: 'attached',
      }
    : undefined;

const describeNetworkInterfaces: Ec2Action = (params, { world, account }) => {
  const enis = select(Object.values(world.networkInterfaces), {
    ids: params.list('NetworkInterfaceId'),
    idOf: (e) => e.id,
    notFound: ec2Errors.networkInterfaceNotFound,
    filters: params.filters(),
    fields: {
      'network-interface-id': (e) => [e.id],
      'vpc-id': (e) => [e.vpcId],
      'subnet-id': (e) => [e.subnetId],
      status: (e) => [e.status],
      'attachment.instance-id': (e) => [e.instanceId ?? undefined],
      'private-ip-address': (e) => [e.privateIp],
    },
  });
  const page = paginate(enis, params);
  return {
    networkInterfaceSet: page.items.map((e) => ({
      attachment: attachmentOf(e, account),
      availabilityZone: world.subnets[e.subnetId]?.availabilityZone,
      description: '',
      groupSet: [],
      interfaceType: 'interface',
      macAddress: macOf(e.id),
      networkInterfaceId: e.id,
      ownerId: account,
      privateIpAddress: e.privateIp,
      privateIpAddressesSet: [{ privateIpAddress: e.privateIp, primary: true }],
      requesterManaged: false,
      sourceDestCheck: e.sourceDestCheck,
      status: e.status,
      subnetId: e.subnetId,
      tagSet: [],
      vpcId: e.vpcId,
    })),
    nextToken: page.nextToken,
  };
};

const describeInstances: Ec2Action = (params, { world, account }) => {
  const instances = select(Object.values(world.instances), {
    ids: params.list('InstanceId'),
    idOf: (i) => i.id,
    notFound: ec2Errors.instanceNotFound,
    filters: params.filters(),
    fields: {
      'instance-id': (i) => [i.id],
      'vpc-id': (i) => [i.vpcId],
      'subnet-id': (i) => [i.subnetId],
      'instance-state-name': (i) => [i.state],
      'network-interface.network-interface-id': (i) => i.networkInterfaceIds,
      'availability-zone': (i) => [i.availabilityZone],
    },
  });
  const page = paginate(instances, params);
  return {
    reservationSet: page.items.map((i) => ({
      reservationId: `r-${i.id.slice(2)}`,
      ownerId: account,
      groupSet: [],
      instancesSet: [
        {
          instanceId: i.id,
          imageId: 'ami-0123456789abcdef0',
          instanceState: { code: STATE_CODES[i.state], name: i.state },
          instanceType: 't3.micro',
          placement: { availabilityZone: i.availabilityZone, tenancy: 'default' },
          privateIpAddress: i.privateIp,
          subnetId: i.subnetId,
          vpcId: i.vpcId,
          sourceDestCheck: i.sourceDestCheck,
          networkInterfaceSet: i.networkInterfaceIds
            .map((id) => world.networkInterfaces[id])
            .filter((e): e is NetworkInterface => e !== undefined)
            .map((e) => ({
              networkInterfaceId: e.id,
              subnetId: e.subnetId,
              vpcId: e.vpcId,
              ownerId: account,
              status: e.status,
              macAddress: macOf(e.id),
              privateIpAddress: e.privateIp,
              sourceDestCheck: e.sourceDestCheck,
              interfaceType: 'interface',
              attachment: attachmentOf(e, account),
            })),
        },
      ],
    })),
    nextToken: page.nextToken,
  };
};

const describeInstanceAttribute: Ec2Action = (params, { world }) => {
  const id = params.require('InstanceId');
  const attribute = params.require('Attribute');
  const instance = world.instances[id];
  if (!instance) throw ec2Errors.instanceNotFound(id);
  switch (attribute) {
    case 'sourceDestCheck':
      return { instanceId: id, sourceDestCheck: { value: instance.sourceDestCheck } };
    case 'instanceType':
      return { instanceId: id, instanceType: { value: 't3.micro' } };
    default:
      throw new Ec2Error(
        'InvalidParameterValue',
        `Value (${attribute}) for parameter attribute is invalid. Unknown attribute.`,
      );
  }
};

const describeVpcs: Ec2Action = (params, { world, account }) => {
  const vpcs = select(Object.values(world.vpcs), {
    ids: params.list('VpcId'),
    idOf: (v) => v.id,
    notFound: ec2Errors.vpcNotFound,
    filters: params.filters(),
    fields: {
      'vpc-id': (v) => [v.id],
      cidr: (v) => [v.cidr],
      'cidr-block': (v) => [v.cidr],
      state: (v) => [v.state],
    },
  });
  const page = paginate(vpcs, params);
  return {
    vpcSet: page.items.map((v) => ({
      vpcId: v.id,
      ownerId: account,
      state: v.state,
      cidrBlock: v.cidr,
      cidrBlockAssociationSet: [
        {
          associationId: `vpc-cidr-assoc-${v.id.slice(4)}`,
          cidrBlock: v.cidr,
          cidrBlockState: { state: 'associated' },
        },
      ],
      // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_VpcIpv6CidrBlockAssociation.html
      ipv6CidrBlockAssociationSet: v.ipv6Cidr
        ? [
            {
              associationId: `vpc-cidr-assoc-6${v.id.slice(5)}`,
              ipv6CidrBlock: v.ipv6Cidr,
              ipv6CidrBlockState: { state: 'associated' },
            },
          ]
        : undefined,
      dhcpOptionsId: 'default',
      instanceTenancy: 'default',
      isDefault: false,
      tagSet: [],
    })),
    nextToken: page.nextToken,
  };
};

const describeSubnets: Ec2Action = (params, { world, account, region }) => {
  const subnets = select(Object.values(world.subnets), {
    ids: params.list('SubnetId'),
    idOf: (s) => s.id,
    notFound: ec2Errors.subnetNotFound,
    filters: params.filters(),
    fields: {
      'subnet-id': (s) => [s.id],
      'vpc-id': (s) => [s.vpcId],
      'availability-zone': (s) => [s.availabilityZone],
      'cidr-block': (s) => [s.cidr],
    },
  });
  const page = paginate(subnets, params);
  return {
    subnetSet: page.items.map((s) => ({
      subnetId: s.id,
      subnetArn: `arn:${partitionOf(region)}:ec2:${region}:${account}:subnet/${s.id}`,
      state: 'available',
      vpcId: s.vpcId,
      cidrBlock: s.cidr,
      availableIpAddressCount: 2 ** (32 - Number(s.cidr.split('/')[1])) - 5,
      availabilityZone: s.availabilityZone,
      defaultForAz: false,
      mapPublicIpOnLaunch: false,
      ownerId: account,
      tagSet: [],
    })),
    nextToken: page.nextToken,
  };
};

export const resourceActions: Record<string, Ec2Action> = {
  DescribeNetworkInterfaces: describeNetworkInterfaces,
  DescribeInstances: describeInstances,
  DescribeInstanceAttribute: describeInstanceAttribute,
  DescribeVpcs: describeVpcs,
  DescribeSubnets: describeSubnets,
};
