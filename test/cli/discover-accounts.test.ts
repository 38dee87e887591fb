/**
 * `vipctl discover` across accounts, in process against one local AWS seeded from
 * examples/multi-account.yaml: from the app (home) account, with the network and clients accounts' access
 * roles, it follows the RAM-shared transit gateways into their owner's account and writes a topology
 * equivalent to the example, owners included; without a role it names the account and what it could not read.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../cli/program';
import { localEnvironment } from '../../local/client-env';
import { ADMIN_ENVIRONMENT } from '../../local/iam/principals';
import { type LocalAws, startLocalAws } from '../../local/index';
import { parseTopology, type Topology } from '../../tasks/topology';
import {
  fetchAccountRoutes,
  fetchWorld,
  misplacedRoutes,
  readOwnersFile,
  readTopologyFile,
  unreachedFrom,
} from '../oracle/route-walker';

const EXAMPLE = fileURLToPath(new URL('../../examples/multi-account.yaml', import.meta.url));
const seeded: Topology = parseTopology(readFileSync(EXAMPLE, 'utf8'), EXAMPLE);
const A = seeded.nodes['server-a']!;
const B = seeded.nodes['server-b']!;
const NETWORK = seeded.accounts!.network!;
const CLIENTS = seeded.accounts!.clients!;
const NODES = [
  '--vip',
  '172.16.0.1/32',
  '--cluster',
  'orders-db',
  '--node',
  `server-a=${A.instance}@us-east-1`,
  '--node',
  `server-b=${B.instance}@ap-southeast-1`,
  '--client-vpc',
  `${seeded.vpcs['vpc-c']!.id}@us-east-1`,
];
const ROLES = [
  '--account',
  `network=${NETWORK.role}`,
  '--account',
  `clients=${CLIENTS.role},externalId=${CLIENTS.externalId}`,
];

let aws: LocalAws;

beforeAll(async () => {
  // Step Functions on: the direct failover's stale-run guard lists the cluster's runs.
  aws = await startLocalAws({ topology: seeded, port: 0, sfn: { retryIntervalScale: 0.01 } });
});
afterAll(async () => {
  await aws.close();
});

async function vipctl(argv: readonly string[], env: Record<string, string | undefined>) {
  let stdout = '';
  let stderr = '';
  const code = await run(['--endpoint-url', aws.url, ...argv], {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    isTTY: false,
    env,
    cwd: tmpdir(),
  });
  return { code, stdout, stderr };
}

const discover = (argv: readonly string[]) =>
  // Discovery is the operator's, with an administrator's reads (a node's role may not describe VPCs).
  vipctl(['discover', ...argv], { VIPCTL_JOURNAL: process.env.VIPCTL_JOURNAL, ...ADMIN_ENVIRONMENT });

/** The routing facts of a topology by AWS ID, each VPC and TGW with the ID of the account that owns it. */
function ownedFacts(t: Topology) {
  const accountId = (key: string | undefined) => (key ? t.accounts?.[key]?.id : t.account);
  const tgwId = (name: string) => t.transitGateways[name]!.id;
  return {
    account: t.account,
    accounts: Object.values(t.accounts ?? {}).sort((a, b) => a.id.localeCompare(b.id)),
    nodes: Object.values(t.nodes)
      .map((n) => ({ vpc: t.vpcs[n.vpc]!.id, eni: n.eni, instance: n.instance }))
      .sort((a, b) => a.instance.localeCompare(b.instance)),
    vpcs: Object.values(t.vpcs)
      .map(({ account, ...v }) => ({
        ...v,
        owner: accountId(account),
        transitGateway: tgwId(v.transitGateway),
        routeTables: [...v.routeTables].sort(),
      }))
      .sort((a, b) => a.id.localeCompare(b.id)),
    transitGateways: Object.values(t.transitGateways)
      .map(({ account, ...g }) => ({
        ...g,
        owner: accountId(account),
        routeTables: [...g.routeTables].sort(),
      }))
      .sort((a, b) => a.id.localeCompare(b.id)),
    peerings: t.peerings.map((p) => ({ attachment: p.attachment, between: p.between.map(tgwId).sort() })),
  };
}

describe('vipctl discover across accounts', () => {
  it('follows the RAM-shared transit gateways into their owner account and writes each owner', async () => {
    const { code, stdout, stderr } = await discover([...NODES, ...ROLES]);

    expect(code, stderr).toBe(0);
    const written = parseTopology(stdout, 'stdout');
    expect(ownedFacts(written)).toEqual(ownedFacts(seeded));
    expect(stdout).toContain(`owned by account ${NETWORK.id}`);

    // The written file fails over (a direct run): every VIP route reaches server-b, each in its owner's tables.
    const dir = mkdtempSync(join(tmpdir(), 'discover-accounts-'));
    const config = join(dir, 'cluster.yaml');
    writeFileSync(config, stdout);
    const failover = await vipctl(
      ['--config', config, '--journal', dir, 'failover', '--to', 'server-b', '--direct'],
      // As an administrator: the access roles trust only the task roles, so a node cannot assume them.
      { ...localEnvironment(aws.url), ...ADMIN_ENVIRONMENT, AWS_REGION: 'us-east-1' },
    );
    expect(failover.code, failover.stdout + failover.stderr).toBe(0);
    expect(unreachedFrom(await fetchWorld(aws.url), readTopologyFile(config), 'server-b')).toEqual([]);
    expect(misplacedRoutes(await fetchAccountRoutes(aws.url), readOwnersFile(config), seeded.vips)).toEqual(
      [],
    );
  });

  it('names the account and the transit gateways it cannot read without a role (exit 2)', async () => {
    const { code, stdout, stderr } = await discover(NODES.slice(0, -2));

    expect(code).toBe(2);
    expect(stdout).toBe('');
    for (const tgw of Object.values(seeded.transitGateways))
      expect(stderr).toContain(`transit gateway ${tgw.id} (${tgw.region}) and its route tables`);
    expect(stderr).toContain(
      `account ${NETWORK.id} owns transit gateway ${seeded.transitGateways['tgw-a']!.id}`,
    );
    expect(stderr).toContain(`--account <key>=arn:aws:iam::${NETWORK.id}:role/<name>`);
  });

  it("says a client VPC it cannot see may need its account's role", async () => {
    const { code, stderr } = await discover([...NODES, '--account', `network=${NETWORK.role}`]);

    expect(code).toBe(2);
    expect(stderr).toContain(`VPC ${seeded.vpcs['vpc-c']!.id} was not found in us-east-1`);
    expect(stderr).toContain("needs that account's access role (--account <key>=<role-arn>)");
  });

  it('refuses a malformed --account as a usage error', async () => {
    const { code, stderr } = await discover([...NODES, '--account', 'network=arn:aws:iam::2222:role/x']);

    expect(code).toBe(2);
    expect(stderr).toContain("'arn:aws:iam::2222:role/x' is not an IAM role ARN");
  });

  it('refuses two roles for one account', async () => {
    const { code, stderr } = await discover([...NODES, ...ROLES, '--account', `net2=${NETWORK.role}`]);

    expect(code).toBe(2);
    expect(stderr).toContain(`accounts network and net2 are both account ${NETWORK.id}`);
  });
});
