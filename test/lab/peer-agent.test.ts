/**
 * The same kill with ClusterLabs' aws-vpc-move-ip agent, unmodified, pointed at local AWS: it moves the
 * routes of the VPC its node is in, so the clients of the survivor's own VPC recover and the clients of
 * the other region's VPC never do (their route still points at the dead node's ENI), shown in packets.
 */
import { describe, expect } from 'vitest';
import { AWS_VPC_MOVE_IP } from '../../lab/cluster';
import { killActive } from '../../lab/scenarios';
import { commands, files } from '../support/requirements';
import { askVip } from './ask-vip';
import { useLab } from './fixture';

const env = useLab({
  agent: 'aws-vpc-move-ip',
  requirements: [commands(['aws'], ['awscli']), files([AWS_VPC_MOVE_IP], ['resource-agents'])],
});
const { it } = env;

describe("ClusterLabs' aws-vpc-move-ip in the lab", () => {
  it("kill the active node: the survivor's own VPC recovers, the other VPC never does", async () => {
    const { aws, lab } = env;
    expect(await lab.activeNode()).toBe('server-a');
    expect(await askVip(aws.dataPlane!.namespace('client-vpc-a').netns, lab.vip)).toBe('server-a');
    const run = await killActive(lab, aws, { settleMs: 15_000 });
    process.stdout.write(`kill-active (aws-vpc-move-ip): ${JSON.stringify(run)}\n`);

    expect(run.to).toBe('server-b');
    expect(await lab.activeNode()).toBe('server-b');
    const own = run.clients['vpc-b']!;
    expect(own.recovered).toBe(true);
    expect(own.answeredBy).toBe('server-b');
    const other = run.clients['vpc-a']!;
    expect(other.recovered).toBe(false);
    expect(other.packets.byNode['server-b'] ?? 0).toBe(0);
    // Packets kept being sent after the kill and went unanswered (the route still names server-a's ENI).
    expect(other.packets.lost).toBeGreaterThan(100);
    for (const [vpc, outcome] of Object.entries(run.clients)) expect(outcome.looped, vpc).toBe(0);
  });
});
