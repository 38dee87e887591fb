/**
 * The synthesized state machine of each example topology, run on local AWS with the real task code:
 * after every failover the project's own reader and trace must find every VIP route leading to the
 * new node, and nothing but VIP routes may have changed.
 */
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalAws, startLocalAws } from '../../local/server';
import { ec2ClientFor } from '../../tasks/ec2/clients';
import { readWorld } from '../../tasks/ec2/read-world';
import { executionName, stateMachineArn } from '../../tasks/execution-name';
import { regionOfNode } from '../../tasks/routing';
import { loadTopology, type Topology } from '../../tasks/topology';
import { trace } from '../../tasks/trace';

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

describe.each(['examples/two-region.yaml', 'examples/three-region.yaml'])('%s on local AWS', (file) => {
  let topology: Topology;
  let aws: LocalAws;
  const clients: SFNClient[] = [];

  beforeAll(async () => {
    topology = await loadTopology(file);
    aws = await startLocalAws({ topology, port: 0, active: 'server-a', sfn: { retryIntervalScale: 0.01 } });
  });
  afterAll(async () => {
    for (const client of clients) client.destroy();
    await aws.close();
  });

  async function failover(target: string, requestedAt: string) {
    const region = regionOfNode(topology, target);
    const client = new SFNClient({ region, endpoint: aws.url, credentials });
    clients.push(client);
    const { executionArn } = await client.send(
      new StartExecutionCommand({
        stateMachineArn: stateMachineArn(topology.cluster, region, aws.account),
        name: executionName(target, requestedAt),
        input: JSON.stringify({ target, requestedAt, reason: 'example run' }),
      }),
    );
    for (;;) {
      const run = await client.send(new DescribeExecutionCommand({ executionArn }));
      if (run.status !== 'RUNNING') return run;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it('moves every VIP route to server-b and back to server-a, verified by the trace', async () => {
    const isVip = (destination: string) => topology.vips.includes(destination);
    const nonVipBefore = aws.world.allRoutes().filter((r) => !isVip(r.destination));
    const readAll = ec2ClientFor({ endpoint: aws.url, credentials, budgetMs: 2000 });

    for (const [i, target] of ['server-b', 'server-a'].entries()) {
      const run = await failover(target, new Date(Date.UTC(2026, 10, 25, 13, 0, i)).toISOString());

      expect(run.status, run.cause).toBe('SUCCEEDED');
      expect(JSON.parse(run.output ?? '{}')).toMatchObject({ status: 'SUCCEEDED', target });
      const verdict = trace(topology, await readWorld(readAll, topology), target);
      expect(verdict.health).toEqual([]);
      expect(verdict.starts.filter((s) => s.outcome.kind !== 'arrives' || s.outcome.node !== target)).toEqual(
        [],
      );
      expect(verdict.converged).toBe(true);
    }
    expect(aws.world.allRoutes().filter((r) => !isVip(r.destination))).toEqual(nonVipBefore);
  });
});
