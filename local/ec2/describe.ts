/**
 * What every Describe action shares: select by IDs (an unknown ID fails the whole call, as in AWS),
 * filter by `Filter.N` (an unknown filter name is refused) and paginate with MaxResults/NextToken.
 */
import { canonicalCidr, parseCidr } from '../../tasks/ip-cidr';
import { Ec2Error, ec2Errors } from './errors';
import type { Filter, QueryParams } from './query';

/** Filter name -> the values of an item that the filter compares with. */
export type FilterFields<T> = Readonly<Record<string, (item: T) => ReadonlyArray<string | undefined>>>;

export interface SelectOptions<T> {
  readonly ids: readonly string[];
  readonly idOf: (item: T) => string;
  readonly notFound: (id: string) => Ec2Error;
  readonly filters: readonly Filter[];
  readonly fields: FilterFields<T>;
}

/** Glob `*` and `?` as EC2 filters allow. */
const matches = (pattern: string, value: string): boolean =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  ).test(value);

export function select<T>(items: readonly T[], options: SelectOptions<T>): T[] {
  for (const id of options.ids) {
    if (!items.some((item) => options.idOf(item) === id)) throw options.notFound(id);
  }
  for (const filter of options.filters) {
    if (!options.fields[filter.name]) throw ec2Errors.invalidFilter(filter.name);
  }
  return items.filter(
    (item) =>
      (options.ids.length === 0 || options.ids.includes(options.idOf(item))) &&
      options.filters.every((filter) => {
        const values = options.fields[filter.name]!(item).filter((v): v is string => v !== undefined);
        return filter.values.some((pattern) => values.some((value) => matches(pattern, value)));
      }),
  );
}

export interface Page<T> {
  readonly items: T[];
  readonly nextToken?: string;
}

/**
 * One page of `items`; the token is an opaque offset. Without MaxResults the rest comes in one page,
 * or pages of `limits.byDefault` when the action caps its answers.
 */
export function paginate<T>(
  items: readonly T[],
  params: QueryParams,
  limits: { min: number; max: number; byDefault?: number } = { min: 5, max: 1000 },
): Page<T> {
  const raw = params.get('MaxResults');
  const token = params.get('NextToken');
  let start = 0;
  if (token) {
    const decoded = Number(
      Buffer.from(token, 'base64url')
        .toString('utf8')
        .replace(/^offset:/, ''),
    );
    if (!Number.isInteger(decoded) || decoded < 0)
      throw new Ec2Error('InvalidNextToken', `The token '${token}' is invalid`);
    start = decoded;
  }
  if (raw === undefined && limits.byDefault === undefined) return { items: items.slice(start) };
  const max = raw === undefined ? (limits.byDefault ?? limits.max) : Number(raw);
  if (!Number.isInteger(max) || max < limits.min || max > limits.max) {
    throw new Ec2Error(
      'InvalidParameterValue',
      `Value ( ${raw} ) for parameter maxResults is invalid. Parameter must be between ${limits.min} and ${limits.max}.`,
    );
  }
  const end = start + max;
  return {
    items: items.slice(start, end),
    nextToken: end < items.length ? Buffer.from(`offset:${end}`).toString('base64url') : undefined,
  };
}

/** A fixed creation time: the seeded world has no history. */
export const CREATED = '2026-01-01T00:00:00.000Z';

const CIDR = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}\/(3[0-2]|[12]?\d)$/;

/**
 * An IPv6 destination, stored in its canonical spelling so that one route has one key. EC2 documents
 * that it rewrites an IPv4 CIDR to its canonical form (CreateRoute, DestinationCidrBlock:
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateRoute.html); for IPv6 it does not
 * say which spelling it reports, so local AWS reports the RFC 5952 one.
 */
function ipv6Destination(cidr: string, param: string): string {
  const parsed = cidr.includes(':') ? parseCidr(cidr) : undefined;
  if (parsed?.family !== 6) throw ec2Errors.invalidCidr(cidr, param);
  return canonicalCidr(cidr);
}

/**
 * The destination of a transit gateway route write: `DestinationCidrBlock`, "the CIDR range used for
 * destination matches", which takes IPv4 and IPv6 CIDRs alike
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateTransitGatewayRoute.html).
 */
export function destinationOf(params: QueryParams): string {
  const cidr = params.require('DestinationCidrBlock');
  if (CIDR.test(cidr)) return cidr;
  return ipv6Destination(cidr, 'destinationCidrBlock');
}

/**
 * The destination of a VPC route write: `DestinationCidrBlock` (IPv4) or `DestinationIpv6CidrBlock`
 * (IPv6), one of them (CreateRoute, ReplaceRoute, DeleteRoute:
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateRoute.html,
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ReplaceRoute.html,
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteRoute.html). Prefix-list
 * destinations are not modelled. The code EC2 answers for none or both is not documented; local AWS
 * answers MissingParameter and InvalidParameterCombination.
 */
export function vpcDestinationOf(params: QueryParams): string {
  const v4 = params.get('DestinationCidrBlock');
  const v6 = params.get('DestinationIpv6CidrBlock');
  if (v4 !== undefined && v6 !== undefined)
    throw new Ec2Error(
      'InvalidParameterCombination',
      'The request may contain only one of destinationCidrBlock and destinationIpv6CidrBlock',
    );
  if (v6 !== undefined) return ipv6Destination(v6, 'destinationIpv6CidrBlock');
  if (v4 === undefined)
    throw new Ec2Error(
      'MissingParameter',
      'The request must contain the parameter destinationCidrBlock or destinationIpv6CidrBlock',
    );
  if (!CIDR.test(v4)) throw ec2Errors.invalidCidr(v4, 'destinationCidrBlock');
  return v4;
}
