/**
 * The HTTP control endpoint of local AWS, JSON under `/_local/`: read the world and the counters, set
 * the models, take a region down, inject faults and drift, reset, and pick the IMDS "self" node.
 * It does what `LocalAws.models` / `LocalAws.world` do programmatically; `/_local/iam` installs the
 * task role's or the node role's policy, `/_local/access` an access role's trust policy
 * (local/iam/local-iam.ts).
 */
import { z } from 'zod';
import { assertEvaluable, IamPolicy, type LocalIam } from './iam/local-iam';
import type { LocalImds } from './imds';
import { Fault, type LocalModels, OutageMode, OutageService } from './models';
import type { LocalSts } from './sts';
import type { LocalWorld } from './world';

export interface ControlDeps {
  readonly world: LocalWorld;
  readonly models: LocalModels;
  readonly imds: LocalImds;
  readonly iam: LocalIam;
  /** AssumeRole into the topology's other accounts. @default none (a topology of one account) */
  readonly sts?: LocalSts;
  /** Re-seeds the world and turns every model off. */
  readonly reset: () => void;
}

export interface ControlResponse {
  readonly status: number;
  readonly body: unknown;
}

const SetRoute = z.strictObject({
  region: z.string(),
  table: z.string(),
  destination: z.string(),
  target: z.string().nullable(),
});
const DeleteRoute = SetRoute.omit({ target: true });
const RouteState = z.strictObject({
  region: z.string(),
  table: z.string(),
  destination: z.string(),
  /** `filtered` for VPC routes; `pending` or `deleting` for TGW routes; `active` clears either. */
  state: z.enum(['active', 'filtered', 'pending', 'deleting']),
  /** TGW phases: searches that still see the state. @default 1 */
  reads: z.number().int().nonnegative().default(1),
  /** TGW phases: and for this long, by the models' clock. @default 0 */
  ms: z.number().nonnegative().default(0),
});
/** A whole region, or only one service of it (`states`: Step Functions; `ec2`, `logs`, `sts`). */
const Outage = z.strictObject({
  region: z.string(),
  down: z.boolean().default(true),
  service: OutageService.optional(),
  /** `refuse` (reset at once, the default) or `hang` (no answer until the client gives up). */
  mode: OutageMode.optional(),
});
const Faults = z.union([z.strictObject({ faults: z.array(Fault) }), Fault]);
const Imds = z.strictObject({ node: z.string() });
/** `none` takes an account's access role away (AssumeRole answers AccessDenied); `task-role` puts it back. */
const Access = z.strictObject({
  account: z.string(),
  trust: z.union([z.enum(['task-role', 'none']), IamPolicy]),
});
const Crash = z.strictObject({ afterWrites: z.number().int().nonnegative() });

type Handler = (body: unknown, deps: ControlDeps) => unknown;

const ROUTES: Record<string, Handler> = {
  'GET /_local/health': () => ({ ok: true }),
  'GET /_local/state': (_, { world, models, imds }) => ({
    world: world.snapshot(),
    models: models.settings(),
    imds: { self: imds.selfNode },
  }),
  'GET /_local/routes': (_, { world }) => world.allRoutes(),
  /** Each account's own routes: the routes of the tables it owns, by account ID. */
  'GET /_local/accounts/routes': (_, { world }) =>
    Object.fromEntries(
      [...new Set([world.account, ...Object.values(world.ownership.owners)])].map((id) => [
        id,
        world.accountRoutes(id),
      ]),
    ),
  // { account, trust: "task-role" } the synthesized trust policy, "none" trust in nobody, or a policy.
  'POST /_local/access': async (body, { sts }) => {
    const { account, trust } = Access.parse(body);
    if (!sts) throw new Error('this topology has no other accounts');
    if (typeof trust === 'object') await assertEvaluable('trust policy', trust, true);
    return sts.setTrust(account, trust);
  },
  'POST /_local/routes': (body, { world }) => {
    const { region, table, destination, target } = SetRoute.parse(body);
    world.setRoute(region, table, destination, target);
    return world.findRoute(region, table, destination);
  },
  'POST /_local/routes/delete': (body, { world }) => {
    const { region, table, destination } = DeleteRoute.parse(body);
    return { deleted: world.deleteRoute(region, table, destination) };
  },
  'POST /_local/routes/state': (body, { world, models }) => {
    const { region, table, destination, state, reads, ms } = RouteState.parse(body);
    world.setRouteState(region, table, destination, state, { reads, until: models.now() + ms });
    return world.findRoute(region, table, destination);
  },
  'GET /_local/models': (_, { models }) => models.settings(),
  'POST /_local/models': (body, { models }) => models.update(body),
  'POST /_local/outage': (body, { models }) => {
    const { region, down, service, mode } = Outage.parse(body);
    models.setOutage(region, down, service, mode);
    const { outages, serviceOutages } = models.settings();
    return { outages, serviceOutages };
  },
  'POST /_local/faults': (body, { models }) => {
    const parsed = Faults.parse(body);
    for (const fault of 'faults' in parsed ? parsed.faults : [parsed]) models.addFault(fault);
    return { faults: models.settings().faults };
  },
  'DELETE /_local/faults': (_, { models }) => {
    models.clearFaults();
    return { faults: [] };
  },
  'POST /_local/crash': (body, { models }) => {
    models.armTaskCrash(Crash.parse(body).afterWrites);
    return { armed: true };
  },
  'POST /_local/reset': (_, { reset }) => {
    reset();
    return { reset: true };
  },
  'GET /_local/stats': (_, { models }) => models.stats(),
  'POST /_local/stats/reset': (_, { models }) => {
    models.resetStats();
    return models.stats();
  },
  'GET /_local/iam': (_, { iam }) => iam.current,
  // { policy } installs a policy for the task role, { node } one for a node's role, { enforce } turns
  // evaluation on or off, { deployed: true } reinstalls the synthesized ones (local/iam/local-iam.ts).
  'POST /_local/iam': (body, { iam }) => iam.update(body),
  'POST /_local/imds': (body, { imds }) => {
    imds.setSelf(Imds.parse(body).node);
    return { self: imds.selfNode };
  },
};

export async function handleControl(
  method: string,
  path: string,
  rawBody: string,
  deps: ControlDeps,
): Promise<ControlResponse> {
  const handler = ROUTES[`${method} ${path.replace(/\/$/, '')}`];
  if (!handler) {
    return {
      status: 404,
      body: { error: `no control route ${method} ${path}`, routes: Object.keys(ROUTES) },
    };
  }
  try {
    const body = rawBody.trim() === '' ? {} : JSON.parse(rawBody);
    return { status: 200, body: (await handler(body, deps)) ?? null };
  } catch (error) {
    const message =
      error instanceof z.ZodError
        ? z.prettifyError(error)
        : String(error instanceof Error ? error.message : error);
    return { status: 400, body: { error: message } };
  }
}
