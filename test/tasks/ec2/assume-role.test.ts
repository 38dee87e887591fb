/**
 * The task function's way into other accounts, against local AWS's STS and EC2 (no Step Functions):
 * one AssumeRole per account and session whatever the number of regions, each table read through its
 * owner's credentials, and a refused role reported with the account it belongs to.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalAws, startLocalAws } from '../../../local/server';
import { accountAccessFailure } from '../../../tasks/ec2/assume-role';
import { ec2ClientFor } from '../../../tasks/ec2/clients';
import { readWorld } from '../../../tasks/ec2/read-world';
import { loadTopology, type Topology } from '../../../tasks/topology';

let aws: LocalAws;
let topology: Topology;
const credentials = { accessKeyId: 'LOCALTASKROLEKEY', secretAccessKey: 'test' };

beforeAll(async () => {
  topology = await loadTopology('examples/multi-account.yaml');
  aws = await startLocalAws({ topology, port: 0, active: 'server-a', sfn: false });
});
afterAll(async () => {
  await aws?.close();
});

const assumeRoleCalls = () =>
  Object.values(aws.models.stats().calls).reduce((n, perRegion) => n + (perRegion['sts:AssumeRole'] ?? 0), 0);

describe('tables of other accounts', () => {
  it("reads every account's tables with one AssumeRole per account, however many regions and reads", async () => {
    const clients = ec2ClientFor({
      endpoint: aws.url,
      credentials,
      budgetMs: 2000,
      assumeRole: { endpoint: aws.url, region: 'us-east-1' },
    });
    const before = assumeRoleCalls();

    const first = await readWorld(clients, topology, { sessionName: 'server-a-20261125T130000000' });
    await readWorld(clients, topology, { sessionName: 'server-a-20261125T130000000' });

    // network (two regions) and clients: two roles, each assumed once.
    expect(assumeRoleCalls() - before).toBe(2);
    expect(first.unreachable).toEqual([]);
    expect(first.routes.find((r) => r.table === 'rtb-0c1e3a5c7e9b2d4f6')).toMatchObject({
      target: 'tgw-0a9b8c7d6e5f4a3b2',
      state: 'active',
    });
    expect(first.routes.find((r) => r.table === 'tgw-rtb-0b1c2d3e4f5a6b7c8')?.state).toBe('active');
  });

  it('names the account whose role is refused', async () => {
    aws.sts.setTrust('clients', 'none');
    try {
      const clients = ec2ClientFor({
        endpoint: aws.url,
        credentials,
        budgetMs: 2000,
        assumeRole: { endpoint: aws.url },
      });

      const error = await readWorld(clients, topology, { sessionName: 'other-run' }).catch((e: unknown) => e);

      expect(accountAccessFailure(error)).toMatchObject({ key: 'clients', id: '333333333333' });
      expect(String((error as Error).message)).toContain('AccessDenied');
    } finally {
      aws.sts.setTrust('clients', 'task-role');
    }
  });
});
