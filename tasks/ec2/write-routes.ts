/**
 * Writes route changes concurrently (paced per region) as create-or-replace of VIP routes only.
 * With `dryRun`, every write is sent with `DryRun=true`: EC2 checks the permission and answers
 * `DryRunOperation` when allowed, `UnauthorizedOperation` when not, and changes nothing
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/CommonParameters.html).
 */

import {
  CreateRouteCommand,
  CreateTransitGatewayRouteCommand,
  type EC2Client,
  ReplaceRouteCommand,
  ReplaceTransitGatewayRouteCommand,
} from '@aws-sdk/client-ec2';
import type { AccountAccess } from '../accounts';
import type { PacingSummary } from '../contracts';
import { canonicalCidr, familyOf, parseCidr } from '../ip-cidr';
import type { Change, ChangeResult } from '../plan';
import { attemptsOf, type ClassifiedError, classifyError } from './classify-error';
import { type Ec2ClientFor, pacingStats } from './clients';
import { paced } from './pacing';

/** The ReplaceRoute / CreateRoute parameter that carries each kind of VPC route target. */
const VPC_TARGET_PARAMS: readonly [prefix: string, param: string][] = [
  ['eni-', 'NetworkInterfaceId'],
  ['tgw-attach-', ''], // an attachment is not a VPC route target
  ['tgw-', 'TransitGatewayId'],
  ['igw-', 'GatewayId'],
  ['vgw-', 'GatewayId'],
  ['vpce-', 'VpcEndpointId'],
  ['i-', 'InstanceId'],
  ['pcx-', 'VpcPeeringConnectionId'],
  ['nat-', 'NatGatewayId'],
  ['lgw-', 'LocalGatewayId'],
  ['cagw-', 'CarrierGatewayId'],
  ['eigw-', 'EgressOnlyInternetGatewayId'],
];

function vpcTargetParam(target: string): string | undefined {
  const param = VPC_TARGET_PARAMS.find(([prefix]) => target.startsWith(prefix))?.[1];
  return param || undefined;
}

/** A VIP route's destination: one IPv4 address (/32) or one IPv6 address (/128), canonical. */
function isSingleHost(vip: string): boolean {
  const cidr = parseCidr(vip);
  if (!cidr || cidr.hostBits) return false;
  return cidr.family === 4
    ? cidr.prefix === 32 && /^[\d.]+\/32$/.test(vip)
    : cidr.prefix === 128 && canonicalCidr(vip) === vip;
}

/**
 * Where a write names its destination. VPC routes: DestinationCidrBlock for IPv4,
 * DestinationIpv6CidrBlock for IPv6 (CreateRoute: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateRoute.html,
 * ReplaceRoute: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ReplaceRoute.html). Transit
 * gateway routes: DestinationCidrBlock for both families, "the CIDR range used for destination matches"
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateTransitGatewayRoute.html,
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ReplaceTransitGatewayRoute.html).
 */
function destinationParams(
  change: Change,
): { DestinationCidrBlock: string } | { DestinationIpv6CidrBlock: string } {
  return change.kind === 'vpc' && familyOf(change.vip) === 6
    ? { DestinationIpv6CidrBlock: change.vip }
    : { DestinationCidrBlock: change.vip };
}

/**
 * ReplaceRoute on a VPC route that does not exist answers InvalidParameterValue "There is no
 * route defined for '<cidr>' in the route table. Use CreateRoute instead." (not a *.NotFound, see
 * https://github.com/getmoto/moto/pull/6425). Transit gateway route calls on a missing route answer
 * InvalidRoute.NotFound "Route <cidr> does not exist in Transit Gateway Route Table <id>".
 */
function isNoSuchRoute(error: unknown): boolean {
  const { code, message } = classifyError(error);
  if (code === 'InvalidRoute.NotFound') return true;
  return code === 'InvalidParameterValue' && /no route defined|does not exist/i.test(message);
}

const isRouteAlreadyExists = (error: unknown): boolean => classifyError(error).code === 'RouteAlreadyExists';

type Action = 'create' | 'replace';

async function writeOnce(
  client: EC2Client,
  change: Change,
  action: Action,
  dryRun: boolean,
): Promise<{ attempts?: number; totalRetryDelay?: number } | undefined> {
  const dry = dryRun ? { DryRun: true } : {};
  if (change.kind === 'tgw') {
    const input = {
      DestinationCidrBlock: change.vip,
      ...dry,
      TransitGatewayRouteTableId: change.table,
      TransitGatewayAttachmentId: change.target,
    };
    const out =
      action === 'replace'
        ? await client.send(new ReplaceTransitGatewayRouteCommand(input))
        : await client.send(new CreateTransitGatewayRouteCommand(input));
    return out.$metadata;
  }
  const input = {
    ...destinationParams(change),
    ...dry,
    RouteTableId: change.table,
    [vpcTargetParam(change.target) ?? '']: change.target,
  };
  const out =
    action === 'replace'
      ? await client.send(new ReplaceRouteCommand(input))
      : await client.send(new CreateRouteCommand(input));
  return out.$metadata;
}

/** Why a change cannot be sent at all, or undefined when it can. */
function refusal(change: Change): { code: string; message: string } | undefined {
  if (!isSingleHost(change.vip)) {
    return {
      code: 'InvalidVip',
      message: `${change.vip} is not an IPv4 /32 or a canonical IPv6 /128; only VIP routes are written`,
    };
  }
  if (change.kind === 'tgw' && !change.target.startsWith('tgw-attach-')) {
    return {
      code: 'InvalidTarget',
      message: `${change.target} is not a transit gateway attachment (tgw-attach-…)`,
    };
  }
  if (change.kind === 'vpc' && !vpcTargetParam(change.target)) {
    return {
      code: 'InvalidTarget',
      message: `${change.target} is not a VPC route target this tool can write`,
    };
  }
  return undefined;
}

/** What a dry run answers when the write would have been allowed. */
const isDryRunAllowed = (error: unknown): boolean => classifyError(error).code === 'DryRunOperation';

async function applyOne(
  client: EC2Client,
  change: Change,
  downRegions: Map<string, ClassifiedError>,
  dryRun: boolean,
  report: PacingReport | undefined,
): Promise<ChangeResult> {
  const base = {
    table: change.table,
    kind: change.kind,
    region: change.region,
    vip: change.vip,
    step: change.step,
    previous: change.previous,
    target: change.target,
  };
  const refused = refusal(change);
  if (refused) return { ...base, result: 'failed', action: change.action, ...refused, attempts: 0 };

  return paced(client, async () => {
    const down = downRegions.get(change.region);
    if (down) {
      return {
        ...base,
        result: 'unreachable',
        action: change.action,
        code: down.code,
        message: down.message,
        attempts: 0,
      };
    }
    let attempts = 0;
    let waitedMs = 0;
    let action: Action = change.action;
    const attempt = async (next: Action) => {
      action = next;
      try {
        const meta = await writeOnce(client, change, next, dryRun);
        attempts += meta?.attempts ?? 1;
        waitedMs += meta?.totalRetryDelay ?? 0;
      } catch (error) {
        attempts += attemptsOf(error);
        waitedMs += waitedOf(error);
        throw error;
      }
    };
    const writeChange = async (): Promise<ChangeResult> => {
      try {
        try {
          await attempt(change.action);
          // A dry run always ends in an error; a success means the endpoint ignored DryRun and wrote.
          if (dryRun) {
            return {
              ...base,
              result: 'failed',
              action,
              code: 'DryRunIgnored',
              message: 'the endpoint wrote the route although DryRun was set',
              attempts,
            };
          }
        } catch (error) {
          // Create-or-replace: the route changed between plan and apply (or the plan could not see it).
          if (change.action === 'replace' && isNoSuchRoute(error)) await attempt('create');
          else if (change.action === 'create' && isRouteAlreadyExists(error)) await attempt('replace');
          else throw error;
        }
        return { ...base, result: 'applied', action, attempts };
      } catch (error) {
        if (dryRun && isDryRunAllowed(error)) return { ...base, result: 'allowed', action, attempts };
        const c = classifyError(error);
        if (c.class === 'permanent') {
          return { ...base, result: 'failed', action, code: c.code, message: c.message, attempts };
        }
        if (c.class === 'unreachable') downRegions.set(change.region, c);
        return { ...base, result: 'unreachable', action, code: c.code, message: c.message, attempts };
      }
    };
    try {
      return await writeChange();
    } finally {
      report?.add(change.region, actionName(change.kind, action), waitedMs);
    }
  });
}

/**
 * Writes every change at once (paced per region) as create-or-replace of the change's VIP route
 * only. Returns one result per change, in order; per-change failures are results, never throws.
 * A throttled or failing region that outlasts the retry budget yields `unreachable` results.
 */
export async function applyChanges(
  clientFor: Ec2ClientFor,
  changes: readonly Change[],
  options: {
    readonly dryRun?: boolean;
    readonly report?: PacingReport;
    /** How the owner of each table is entered (tasks/accounts.ts). @default every table is the caller's own */
    readonly access?: (table: string) => AccountAccess | undefined;
  } = {},
): Promise<ChangeResult[]> {
  const downRegions = new Map<string, ClassifiedError>();
  const dryRun = options.dryRun ?? false;
  return Promise.all(
    changes.map((change) =>
      applyOne(
        clientFor(change.region, options.access?.(change.table)),
        change,
        downRegions,
        dryRun,
        options.report,
      ),
    ),
  );
}

const actionName = (kind: Change['kind'], action: Action): string =>
  `${action === 'create' ? 'Create' : 'Replace'}${kind === 'tgw' ? 'TransitGatewayRoute' : 'Route'}`;

/** Time a failed call spent waiting for tokens and retries (token-pacing.ts adds it to the metadata). */
function waitedOf(error: unknown): number {
  const meta = (error as { $metadata?: { totalRetryDelay?: unknown } } | null)?.$metadata;
  return typeof meta?.totalRetryDelay === 'number' ? meta.totalRetryDelay : 0;
}

/**
 * Collects how long writes waited for tokens (and retries), per region and action, across the
 * applies of one step: what the run's timeline shows as pacing.
 */
export class PacingReport {
  private readonly byBucket = new Map<string, { writes: number; waitedMs: number; longestMs: number }>();

  add(region: string, action: string, waitedMs: number): void {
    if (!(waitedMs > 0)) return;
    const key = `${region}|${action}`;
    const entry = this.byBucket.get(key) ?? { writes: 0, waitedMs: 0, longestMs: 0 };
    entry.writes += 1;
    entry.waitedMs += waitedMs;
    entry.longestMs = Math.max(entry.longestMs, waitedMs);
    this.byBucket.set(key, entry);
  }

  /** One entry per region and action whose writes waited, with the refill rate they were paced to. */
  summaries(clientFor: Ec2ClientFor): PacingSummary[] {
    return [...this.byBucket].map(([key, entry]) => {
      const [region = '', action = ''] = key.split('|');
      const rate = pacingStats(clientFor(region)).find((s) => s.action === action)?.refillPerSecond;
      return {
        region,
        action,
        waitedWrites: entry.writes,
        waitedMs: Math.round(entry.waitedMs),
        longestWaitMs: Math.round(entry.longestMs),
        ...(rate === undefined ? {} : { refillPerSecond: rate }),
      };
    });
  }
}
