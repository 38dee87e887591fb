/**
 * Kill the standby of a real Pacemaker cluster in the lab: the group stays on the active node, and
 * every client VPC is answered by it throughout, with no packet lost or looped. A lab of its own: the
 * killed node does not come back.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { Lab } from '../../lab/cluster';
import { killStandby } from '../../lab/scenarios';
import { type LocalAws, startLocalAws } from '../../local/server';
import { loadTopology } from '../../tasks/topology';
import { BIN, EXAMPLE, ensureBuilt, ROOT } from '../e2e/local-harness';
import { commands, itRequires, missingReasons, netns, root } from '../support/requirements';

const REQUIREMENTS = [
  root(),
  netns(),
  commands(
    ['corosync', 'pacemakerd', 'crm_mon', 'cibadmin', 'python3', 'unshare'],
    ['corosync', 'pacemaker', 'python3'],
  ),
];
const it = itRequires(REQUIREMENTS);
const runnable = missingReasons(REQUIREMENTS).length === 0;

let aws: LocalAws;
let lab: Lab;

beforeAll(async () => {
  if (!runnable) return;
  ensureBuilt();
  const topology = await loadTopology(EXAMPLE);
  aws = await startLocalAws({ topology, port: 0, active: 'server-a', dataPlane: {} });
  lab = await Lab.start({
    topology,
    config: EXAMPLE,
    aws,
    dir: mkdtempSync(join(tmpdir(), 'vipctl-lab-')),
    vipctl: BIN,
    ocfAgent: join(ROOT, 'examples', 'pacemaker', 'vipctl'),
  });
});
afterAll(async () => {
  await lab?.close();
  await aws?.close();
});

describe('kill-standby in the lab', () => {
  it('kill the standby: the group stays, every client VPC is answered by the active node, nothing lost', async () => {
    const active = await lab.startedOn();
    expect(active).not.toBeNull();
    const run = await killStandby(lab, aws);
    process.stdout.write(`kill-standby: ${JSON.stringify(run)}\n`);

    expect(run.to).toBe(active);
    expect(await lab.startedOn()).toBe(active);
    for (const [vpc, outcome] of Object.entries(run.clients)) {
      expect(Object.keys(outcome.packets.byNode), vpc).toEqual([active]);
      expect(outcome.packets.lost, vpc).toBe(0);
      expect(outcome.looped, vpc).toBe(0);
      expect(outcome.recovered, vpc).toBe(true);
    }
  });
});
