/**
 * A real Pacemaker cluster decides the failover: corosync and Pacemaker in the cluster nodes'
 * namespaces of local AWS's data plane, talking across the topology's VPCs and TGWs; the group is
 * IPaddr2 and this project's OCF agent. Kill the node that runs the group, and clients in every VPC must
 * be answered by the survivor, with no packet looping.
 */
import { describe, expect } from 'vitest';
import { killActive, moveAndBack } from '../../lab/scenarios';
import { askVip } from './ask-vip';
import { useLab } from './fixture';

const env = useLab();
const { it } = env;

describe('a Pacemaker cluster in the lab', () => {
  it('runs the group on one node, and an independent sender reaches the VIP there', async () => {
    const { aws, lab } = env;
    const active = await lab.activeNode();

    expect(Object.keys(lab.nodes)).toContain(active);
    expect(await askVip(aws.dataPlane!.namespace('client-vpc-a').netns, lab.vip)).toBe(active);
    expect(await askVip(aws.dataPlane!.namespace('client-vpc-b').netns, lab.vip)).toBe(active);
  });

  it('a planned move to the other node and back: every client VPC follows, no packet loops', async () => {
    const { aws, lab } = env;
    const runs = await moveAndBack(lab, aws);
    process.stdout.write(`move: ${JSON.stringify(runs)}\n`);

    expect(runs.map((r) => [r.from, r.to])).toEqual([
      ['server-a', 'server-b'],
      ['server-b', 'server-a'],
    ]);
    for (const run of runs)
      for (const [vpc, outcome] of Object.entries(run.clients)) {
        expect(outcome.recovered, vpc).toBe(true);
        expect(outcome.answeredBy, vpc).toBe(run.to);
        expect(outcome.looped, vpc).toBe(0);
      }
    expect(await lab.startedOn()).toBe('server-a');
  });

  it('kill the active node: the survivor runs the group, every client VPC is answered by it, no packet loops', async () => {
    const { aws, lab } = env;
    const run = await killActive(lab, aws);
    process.stdout.write(`kill-active: ${JSON.stringify(run)}\n`);

    expect(await lab.activeNode()).toBe(run.to);
    for (const [vpc, outcome] of Object.entries(run.clients)) {
      expect(outcome.recovered, vpc).toBe(true);
      expect(outcome.answeredBy, vpc).toBe(run.to);
      expect(outcome.looped, vpc).toBe(0);
    }
    expect(await askVip(aws.dataPlane!.namespace('client-vpc-a').netns, lab.vip)).toBe(run.to);
    expect(await askVip(aws.dataPlane!.namespace('client-vpc-b').netns, lab.vip)).toBe(run.to);
  });
});
