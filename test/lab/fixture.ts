/**
 * One lab per test file: local AWS with its data plane on the seed topology (server-a active), and a
 * real corosync + Pacemaker cluster in the nodes' namespaces, started before the file's tests and
 * removed after them, also when they fail. Outside CI, a file whose requirements are missing skips its
 * tests with the reason (test/support/requirements.ts).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { Lab, type LabAgent } from '../../lab/cluster';
import { type LocalAws, startLocalAws } from '../../local/server';
import { loadTopology, type Topology } from '../../tasks/topology';
import { BIN, EXAMPLE, ensureBuilt, ROOT } from '../e2e/local-harness';
import { commands, itRequires, missingReasons, netns, type Requirement, root } from '../support/requirements';

/** What every lab needs: root, namespaces, and the cluster stack's commands. */
export const LAB_REQUIREMENTS: readonly Requirement[] = [
  root(),
  netns(),
  commands(
    ['corosync', 'pacemakerd', 'crm_mon', 'cibadmin', 'crm_resource', 'python3', 'unshare'],
    ['corosync', 'pacemaker', 'python3'],
  ),
];

export interface LabFixture {
  /** `it` that skips (or fails under CI=true) where a requirement is missing. */
  readonly it: ReturnType<typeof itRequires>;
  readonly aws: LocalAws;
  readonly lab: Lab;
  readonly topology: Topology;
}

/** Registers the file's lab; its fields are there once `beforeAll` has run. */
export function useLab(
  options: { agent?: LabAgent; requirements?: readonly Requirement[] } = {},
): LabFixture {
  const requirements = [...LAB_REQUIREMENTS, ...(options.requirements ?? [])];
  let aws: LocalAws | undefined;
  let lab: Lab | undefined;
  let topology: Topology | undefined;
  beforeAll(async () => {
    if (missingReasons(requirements).length > 0) return;
    ensureBuilt();
    topology = await loadTopology(EXAMPLE);
    aws = await startLocalAws({ topology, port: 0, active: 'server-a', dataPlane: {} });
    lab = await Lab.start({
      topology,
      config: EXAMPLE,
      aws,
      dir: mkdtempSync(join(tmpdir(), 'vipctl-lab-')),
      vipctl: BIN,
      ocfAgent: join(ROOT, 'examples', 'pacemaker', 'vipctl'),
      ...(options.agent ? { agent: options.agent } : {}),
    });
  });
  afterAll(async () => {
    await lab?.close();
    await aws?.close();
  });
  return {
    it: itRequires(requirements),
    get aws() {
      return aws!;
    },
    get lab() {
      return lab!;
    },
    get topology() {
      return topology!;
    },
  };
}
