/**
 * Route states as AWS reports them, on local AWS with the real SDK client and the real task code:
 * TGW routes are `pending` after a write before they are `active`, VPC routes can be `filtered`
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_TransitGatewayRoute.html,
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Route.html).
 */
import { SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Executions } from '../../cli/runs/executions';
import { type LocalAws, startLocalAws } from '../../local/server';
import { ec2ClientFor } from '../../tasks/ec2/clients';
import { readWorld } from '../../tasks/ec2/read-world';
import { planChanges } from '../../tasks/plan';
import { desiredRoutes, regionOfNode, regionsOf } from '../../tasks/routing';
import { loadTopology, type Topology } from '../../tasks/topology';
import { trace } from '../../tasks/trace';

const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };
const VIP = '172.16.0.1/32';
const B2 = 'rtb-0b2e4a6c8d1f3b5e7';
const TGW_B_RTB = 'tgw-rtb-0b1c2d3e4f5a6b7c8';

let topology: Topology;
let aws: LocalAws;
let executions: Executions;
const sfnClients = new Map<string, SFNClient>();
let minute = 0;

beforeAll(async () => {
  topology = await loadTopology('examples/two-region.yaml');
  aws = await startLocalAws({ topology, port: 0, active: 'server-a', sfn: { retryIntervalScale: 0.05 } });
  executions = new Executions({
    sfn: (region) => {
      const client =
        sfnClients.get(region) ?? new SFNClient({ region, endpoint: aws.url, credentials: CREDENTIALS });
      sfnClients.set(region, client);
      return client;
    },
    cluster: topology.cluster,
    regions: regionsOf(topology),
    account: async () => aws.account,
    now: () => new Date(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  });
});
afterAll(async () => {
  for (const client of sfnClients.values()) client.destroy();
  await aws.close();
});
beforeEach(() => {
  aws.models.reset();
});

async function failover(target: string) {
  minute += 1;
  const requestedAt = new Date(Date.UTC(2026, 11, 1, 9, minute)).toISOString();
  const started = await executions.start({ target, requestedAt }, regionOfNode(topology, target));
  const detail = await executions.wait(started.arn, { timeoutMs: 60_000 });
  return { detail, events: await executions.history(started.arn) };
}

const control = async (path: string, body: unknown) => {
  const response = await fetch(`${aws.url}${path}`, { method: 'POST', body: JSON.stringify(body) });
  expect(response.status, await response.clone().text()).toBe(200);
};

describe('TGW routes pending after a write', () => {
  it('verify waits until they are active: NotConverged while pending, then SUCCEEDED', async () => {
    // Each written TGW route reads `pending` for two searches and at least 300 ms.
    aws.models.update({ routeStates: { tgwPending: { reads: 2, ms: 300 } } });

    const { detail, events } = await failover('server-b');

    expect(detail.status, detail.cause).toBe('SUCCEEDED');
    expect(detail.output?.trace.converged).toBe(true);
    const failures = events
      .map((e) => e.taskFailedEventDetails)
      .filter((d) => d?.error === 'NotConverged')
      .map((d) => d?.cause ?? '');
    expect(failures.length).toBeGreaterThanOrEqual(1);
    expect(failures[0]).toMatch(/pending at tgw-rtb-/);
    // The routes are active by the time the run succeeds.
    const world = await readWorld(ec2ClientFor({ endpoint: aws.url, credentials: CREDENTIALS }), topology);
    expect(world.routes.filter((r) => r.state !== 'active')).toEqual([]);
  });
});

describe('filtered VPC routes', () => {
  it('are read as filtered, traced as filtered, and planned as a replace even toward the right target', async () => {
    await failover('server-b');
    await control('/_local/routes/state', {
      region: 'ap-southeast-1',
      table: B2,
      destination: VIP,
      state: 'filtered',
    });
    const reader = ec2ClientFor({ endpoint: aws.url, credentials: CREDENTIALS });

    const world = await readWorld(reader, topology);

    expect(world.routes.find((r) => r.table === B2)).toMatchObject({ state: 'filtered' });
    const verdict = trace(topology, world, 'server-b');
    expect(verdict.converged).toBe(false);
    expect(verdict.starts.find((s) => s.table === B2)?.outcome).toEqual({ kind: 'filtered', at: B2 });
    const plan = planChanges(desiredRoutes(topology, 'server-b'), world);
    expect(plan.changes.map((c) => [c.table, c.action, c.previousState])).toEqual([
      [B2, 'replace', 'filtered'],
    ]);
    expect(world.routes.find((r) => r.table === TGW_B_RTB)?.state).toBe('active');
  });
});
