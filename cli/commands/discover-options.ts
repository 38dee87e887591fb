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

/** Another account discover may enter: its key in the topology's `accounts`, its ID and access role. */
export interface AccountSpec {
  readonly key: string;
  readonly id: string;
  readonly role: string;
  readonly externalId?: string;
}

/** The patterns of tasks/topology/schema.ts (ROLE_ARN, Account.externalId), where their sources are cited. */
const ROLE_ARN = /^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):role\/(?:[!-~]*\/)?[\w+=,.@-]{1,64}$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;

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

/**
 * `--account network=arn:aws:iam::222222222222:role/vip-failover-orders-db[,externalId=orders-db]`,
 * repeatable: the role discover assumes to read the tables of an account that owns a RAM-shared transit
 * gateway or a client VPC. The account ID is the role's.
 */
export function accountOption(value: string, previous: readonly AccountSpec[] = []): AccountSpec[] {
  const example = 'key=role-arn[,externalId=id], e.g. network=arn:aws:iam::222222222222:role/vip-failover';
  const match = /^([^=,]+)=([^,]+)(?:,externalId=(.*))?$/.exec(value);
  const [, key = '', role = '', externalId] = match ?? [];
  if (!match) throw new InvalidArgumentError(`must be ${example}`);
  if (!NAME.test(key))
    throw new InvalidArgumentError(`account key '${key}' must be 1-48 letters, digits, - or _ (${example})`);
  const id = ROLE_ARN.exec(role)?.[2];
  if (!id)
    throw new InvalidArgumentError(
      `'${role}' is not an IAM role ARN like arn:aws:iam::222222222222:role/vip-failover-orders-db`,
    );
  if (externalId !== undefined && !EXTERNAL_ID.test(externalId))
    throw new InvalidArgumentError(
      `external ID '${externalId}' must be 2-1224 letters, digits or _+=,.@:/- (what AssumeRole accepts)`,
    );
  const twice = previous.find((a) => a.key === key || a.id === id);
  if (twice)
    throw new InvalidArgumentError(
      twice.key === key
        ? `account ${key} is given twice`
        : `accounts ${twice.key} and ${key} are both account ${id}: give one role per account`,
    );
  return [...previous, { key, id, role, ...(externalId !== undefined ? { externalId } : {}) }];
}

/** `--cluster orders-db`. */
export function clusterOption(value: string): string {
  if (!/^[a-z0-9-]{1,32}$/.test(value))
    throw new InvalidArgumentError('must be 1-32 lowercase letters, digits or -');
  return value;
}
