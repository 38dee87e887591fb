/**
 * A partition between the two nodes of a real Pacemaker cluster, with fencing off (as the lab states):
 * each side sees the other offline and runs the group, and the two fight over the routes while the
 * split lasts. Once it heals, Pacemaker keeps the group on one node and every client VPC follows it.
 * The oracles are Pacemaker's own view (`crm_resource --locate` on each node), the runs' Step Functions
 * records, and packets: the probe's and an independent sender's.
 */
import { describe, expect } from 'vitest';
import { partition } from '../../lab/scenarios';
import { askVip } from './ask-vip';
import { useLab } from './fixture';

const env = useLab();
const { it } = env;

describe('a partition in the lab, fencing off', () => {
  it('both sides run the group and move the routes; after the heal one node keeps it and every client VPC follows', async () => {
    const { aws, lab } = env;
    const before = await lab.startedOn();
    expect(before).toBe('server-a');
    const run = await partition(lab, aws);
    process.stdout.write(`partition: ${JSON.stringify(run)}\n`);
    const { splitBrain } = run;

    // During the split: each side's Pacemaker runs the group, the standby's run takes the routes, and
    // clients in every VPC are answered by both nodes in turn.
    expect(run.from).toBe('server-a');
    expect(splitBrain.groupOn).toEqual({ 'server-a': ['server-a'], 'server-b': ['server-b'] });
    expect(splitBrain.failovers).toContain('server-b');
    for (const [vpc, byNode] of Object.entries(splitBrain.answeredBy)) {
      expect(byNode['server-a'], vpc).toBeGreaterThan(0);
      expect(byNode['server-b'], vpc).toBeGreaterThan(0);
    }

    // After the heal: one node runs the group, as both sides see it, and every client VPC is answered by it.
    expect(run.to).not.toBeNull();
    const keeper = run.to!;
    expect(await lab.locate('server-a')).toEqual([keeper]);
    expect(await lab.locate('server-b')).toEqual([keeper]);
    expect(Object.keys(run.clients).sort()).toEqual(['vpc-a', 'vpc-b']);
    for (const [vpc, outcome] of Object.entries(run.clients)) {
      expect(outcome.recovered, vpc).toBe(true);
      expect(outcome.answeredBy, vpc).toBe(keeper);
    }
    expect(await askVip(aws.dataPlane!.namespace('client-vpc-a').netns, lab.vip)).toBe(keeper);
    expect(await askVip(aws.dataPlane!.namespace('client-vpc-b').netns, lab.vip)).toBe(keeper);
  });
});
