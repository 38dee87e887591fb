/**
 * Parsers of the repeatable `vipctl discover` options. Plain patterns, so cli/program.ts can use them
 * without loading the topology schema; the topology file written at the end is validated in full.
 */
import { isIPv6 } from 'node:net';
import { InvalidArgumentError } from 'commander';

export interface NodeSpec {
  readonly name: string;
  readonly instanceId: string;
  readonly region: string;
}

export interface VpcSpec {
  readonly vpcId: string;
  readonly region: string;
}

const REGION = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;
const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,47}$/;
const INSTANCE = /^i-[0-9a-f]{8,17}$/;
const VPC = /^vpc-[0-9a-f]{8,17}$/;
const OCTET = '(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const VIP = new RegExp(`^${OCTET}(\\.${OCTET}){3}/32$`);

/** `--vip 172.16.0.1/32` or `--vip fd00:172:16::1/128` (kept in canonical form), repeatable. */
export function vipOption(value: string, previous: readonly string[] = []): string[] {
  if (VIP.test(value)) return [...previous, value];
  const [address = '', bits, ...rest] = value.split('/');
  if (bits === '128' && rest.length === 0 && isIPv6(address))
    return [...previous, `${new URL(`http://[${address}]/`).hostname.slice(1, -1)}/128`];
  throw new InvalidArgumentError(
    'must be an IPv4 /32 like 172.16.0.1/32 or an IPv6 /128 like fd00:172:16::1/128',
  );
}

/** `--node server-a=i-0abc…@us-east-1`, repeatable. */
export function nodeOption(value: string, previous: readonly NodeSpec[] = []): NodeSpec[] {
  const match = /^([^=]+)=([^@]+)@(.+)$/.exec(value);
  const [, name = '', instanceId = '', region = ''] = match ?? [];
  if (!match)
    throw new InvalidArgumentError('must be name=instance-id@region, e.g. server-a=i-0abc12345@us-east-1');
  if (!NAME.test(name))
    throw new InvalidArgumentError(`node name '${name}' must be 1-48 letters, digits, - or _`);
  if (!INSTANCE.test(instanceId))
    throw new InvalidArgumentError(`'${instanceId}' is not an instance ID like i-0123456789abcdef0`);
  if (!REGION.test(region)) throw new InvalidArgumentError(`'${region}' is not a region name like us-east-1`);
  if (previous.some((n) => n.name === name)) throw new InvalidArgumentError(`node ${name} is given twice`);
  return [...previous, { name, instanceId, region }];
}

/** `--client-vpc vpc-0abc…@eu-west-1`, repeatable. */
export function vpcOption(value: string, previous: readonly VpcSpec[] = []): VpcSpec[] {
  const [vpcId = '', region = ''] = value.split('@');
  if (!VPC.test(vpcId))
    throw new InvalidArgumentError(`'${vpcId}' is not a VPC ID like vpc-0123456789abcdef0 (vpc-id@region)`);
  if (!REGION.test(region))
    throw new InvalidArgumentError('must be vpc-id@region, e.g. vpc-0abc12345@eu-west-1');
  return [...previous, { vpcId, region }];
}

/** `--cluster orders-db`. */
export function clusterOption(value: string): string {
  if (!/^[a-z0-9-]{1,32}$/.test(value))
    throw new InvalidArgumentError('must be 1-32 lowercase letters, digits or -');
  return value;
}
