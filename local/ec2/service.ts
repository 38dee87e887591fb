/**
 * The EC2 Query endpoint of local AWS: one form-encoded request in, one XML document out.
 * Injected faults and token buckets (local/models.ts) are applied before the action runs.
 */
import { AccountView, accountOfKey } from '../accounts';
import type { LocalIam } from '../iam/local-iam';
import type { Principal } from '../iam/principals';
import type { LocalModels } from '../models';
import type { LocalWorld } from '../world';
import type { Ec2Action } from './context';
import { Ec2Error, ec2Errors, errorXml } from './errors';
import { authorizeEc2 } from './iam';
import { QueryParams } from './query';
import { resourceActions } from './resources';
import { routeTableActions } from './route-tables';
import { transitGatewayActions } from './transit-gateways';
import { responseXml } from './xml';

export const EC2_ACTIONS: Readonly<Record<string, Ec2Action>> = {
  ...routeTableActions,
  ...transitGatewayActions,
  ...resourceActions,
};

export interface Ec2Request {
  readonly body: string;
  readonly region: string;
  readonly requestId: string;
  /** The caller's access key ID, from the SigV4 credential scope: who IAM evaluates. */
  readonly accessKey?: string;
}

export interface Ec2Response {
  readonly status: number;
  readonly body: string;
  /** The action, for logs and counters; undefined when the request named none. */
  readonly action?: string;
}

/** Default messages of codes that faults commonly inject without one. */
const DEFAULT_FAULTS: Record<string, Ec2Error> = {
  RequestLimitExceeded: ec2Errors.requestLimitExceeded(),
  UnauthorizedOperation: ec2Errors.unauthorized(),
  InternalError: new Ec2Error('InternalError', 'An internal error has occurred', 500),
  ServiceUnavailable: new Ec2Error('ServiceUnavailable', 'The service is unavailable. Try again later.', 503),
};

/** Route writes and the parameter that names their table. */
const TABLE_OF_WRITE: Readonly<Record<string, string>> = {
  CreateRoute: 'RouteTableId',
  ReplaceRoute: 'RouteTableId',
  DeleteRoute: 'RouteTableId',
  CreateTransitGatewayRoute: 'TransitGatewayRouteTableId',
  ReplaceTransitGatewayRoute: 'TransitGatewayRouteTableId',
  DeleteTransitGatewayRoute: 'TransitGatewayRouteTableId',
};

/**
 * Only a table's owner may change its routes (local/accounts.ts): a write from another account answers
 * UnauthorizedOperation, DryRun or not, before anything else is checked.
 */
function assertOwner(view: AccountView, caller: string, action: string, params: QueryParams): void {
  const param = TABLE_OF_WRITE[action];
  const table = param ? params.get(param) : undefined;
  if (table === undefined) return;
  const owner = view.ownerOf(table);
  if (owner === caller) return;
  throw new Ec2Error(
    'UnauthorizedOperation',
    `You are not authorized to perform this operation. ${table} belongs to account ${owner}; account ${caller} may not change its routes (ec2:${action}).`,
    403,
  );
}

export function createEc2Service(deps: {
  readonly world: LocalWorld;
  readonly models: LocalModels;
  /**
   * IAM, and who a request's access key stands for; without it every caller may do everything (DryRun
   * still answers DryRunOperation).
   */
  readonly iam?: {
    readonly policies: LocalIam;
    readonly principalOf: (accessKey: string | undefined, region: string) => Principal;
    readonly partition: string;
  };
}) {
  const { world, models, iam } = deps;

  async function run(
    params: QueryParams,
    region: string,
    requestId: string,
    accessKey?: string,
  ): Promise<string> {
    const action = params.action;
    if (!action) throw new Ec2Error('MissingAction', 'The request must contain the parameter Action');
    const handler = EC2_ACTIONS[action];
    if (!handler) throw ec2Errors.invalidAction(action);
    const fault = models.takeFault(region, action, params.allValues());
    if (fault) {
      models.count('faultsInjected');
      const known = DEFAULT_FAULTS[fault.code];
      throw new Ec2Error(
        fault.code,
        fault.message ?? known?.message ?? `Injected ${fault.code}`,
        fault.status ?? known?.status ?? 400,
      );
    }
    const unfiltered = params.isUnfilteredAndUnpaginated();
    const caller = accountOfKey(accessKey, world.account);
    if (!models.takeToken(region, action, { account: caller, unfiltered })) {
      models.count('throttled');
      throw ec2Errors.requestLimitExceeded();
    }
    const view = new AccountView(() => world.ownership, world.account);
    assertOwner(view, caller, action, params);
    // Evaluation awaits iam-data's files and the simulator; nothing of the world is read before it, so
    // the request sees the world as it is after its authorization, as it would with a sync check.
    if (iam)
      await authorizeEc2(iam.policies, iam.principalOf(accessKey, region), {
        action,
        params,
        region,
        partition: iam.partition,
      });
    else if (params.booleanParam('DryRun')) throw ec2Errors.dryRunOperation();
    const seen = view.regionFor(caller, world.region(region));
    return responseXml(
      action,
      requestId,
      handler(params, { region, account: caller, world: seen, models, ownerOf: (id) => view.ownerOf(id) }),
    );
  }

  return {
    async handle(request: Ec2Request): Promise<Ec2Response> {
      const params = new QueryParams(request.body);
      const action = params.action;
      if (action) models.countCall(request.region, action);
      try {
        return {
          status: 200,
          body: await run(params, request.region, request.requestId, request.accessKey),
          action,
        };
      } catch (error) {
        if (error instanceof Ec2Error)
          return { status: error.status, body: errorXml(error, request.requestId), action };
        const internal = new Ec2Error('InternalError', `local AWS failed: ${String(error)}`, 500);
        return { status: 500, body: errorXml(internal, request.requestId), action };
      }
    },
  };
}

export type Ec2Service = ReturnType<typeof createEc2Service>;
