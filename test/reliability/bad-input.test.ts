/**
 * Bad input never writes: hostile execution input sent straight to the deployed state machine, bad
 * vipctl invocations, and bad or hostile topology files. Each is refused with a clear message, and
 * local AWS counts zero route writes.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run as runCli } from '../../cli/program';
import { type Cluster, ROOT, record, routesOf, startCluster } from './harness';

const VIP = '172.16.0.1/32';
const ENI_A = 'eni-0a1f3c5e7b9d2f4a6';
const RTB_A = 'rtb-0a1c3e5f7b9d2a4c6';
const BAD = `${ROOT}test/fixtures/topologies/bad`;

let cluster: Cluster;
let dir: string;

beforeAll(async () => {
  cluster = await startCluster();
  dir = mkdtempSync(join(tmpdir(), 'vip-reliability-bad-'));
});

afterAll(async () => {
  await cluster?.close();
  rmSync(dir, { recursive: true, force: true });
});

const at = '2026-11-25T12:03:56.123Z';
const arn =
  'arn:aws:states:us-east-1:123456789012:execution:vip-failover-orders-db:server-b-20261125T120356123';
const route = (fields: Record<string, unknown> = {}) => ({
  table: RTB_A,
  kind: 'vpc',
  region: 'us-east-1',
  vip: VIP,
  target: ENI_A,
  state: 'active',
  ...fields,
});

/** name -> [raw execution input, the error it must fail with, a part of the message]. */
const EXECUTION_INPUTS: Record<string, [string, 'InvalidRequest' | 'UnknownNode', string]> = {
  'empty object': ['{}', 'InvalidRequest', 'target'],
  'unknown field': [
    JSON.stringify({ target: 'server-b', requestedAt: at, force: true }),
    'InvalidRequest',
    'force',
  ],
  'target of the wrong type': [JSON.stringify({ target: 42, requestedAt: at }), 'InvalidRequest', 'target'],
  'empty target': [JSON.stringify({ target: '', requestedAt: at }), 'InvalidRequest', 'target'],
  'unknown target': [JSON.stringify({ target: 'server-z', requestedAt: at }), 'UnknownNode', 'server-z'],
  'path-like target': [
    JSON.stringify({ target: '../server-b', requestedAt: at }),
    'InvalidRequest',
    'target',
  ],
  'requestedAt not a date': [
    JSON.stringify({ target: 'server-b', requestedAt: 'yesterday' }),
    'InvalidRequest',
    'requestedAt',
  ],
  'requestedAt out of range': [
    JSON.stringify({ target: 'server-b', requestedAt: '2026-13-45T99:00:00Z' }),
    'InvalidRequest',
    'requestedAt',
  ],
  'requestedAt without a zone': [
    JSON.stringify({ target: 'server-b', requestedAt: '2026-11-25T12:03:56' }),
    'InvalidRequest',
    'requestedAt',
  ],
  'oversized reason': [
    JSON.stringify({ target: 'server-b', requestedAt: at, reason: 'x'.repeat(10_000) }),
    'InvalidRequest',
    'reason',
  ],
  'oversized requestedBy': [
    JSON.stringify({ target: 'server-b', requestedAt: at, requestedBy: 'y'.repeat(1000) }),
    'InvalidRequest',
    'requestedBy',
  ],
  '__proto__ key': [
    `{"target":"server-b","requestedAt":"${at}","__proto__":{"admin":true}}`,
    'InvalidRequest',
    '__proto__',
  ],
  'constructor key': [
    `{"target":"server-b","requestedAt":"${at}","constructor":{"prototype":{"admin":true}}}`,
    'InvalidRequest',
    'constructor',
  ],
  '__proto__ nested in a restore route': [
    `{"target":"server-a","requestedAt":"${at}","restore":{"from":"${arn}","routes":[{"__proto__":{"x":1},"table":"${RTB_A}","kind":"vpc","region":"us-east-1","vip":"${VIP}","target":"${ENI_A}","state":"active"}]}}`,
    'InvalidRequest',
    '__proto__',
  ],
  'an array': ['[]', 'InvalidRequest', 'JSON object'],
  'a string': ['"server-b"', 'InvalidRequest', 'JSON object'],
  'restore naming a foreign table': [
    JSON.stringify({
      target: 'server-a',
      requestedAt: at,
      restore: { from: arn, routes: [route({ table: 'rtb-0fffffffffffffff0' })] },
    }),
    'InvalidRequest',
    'rtb-0fffffffffffffff0',
  ],
  'restore of a non-VIP destination': [
    JSON.stringify({
      target: 'server-a',
      requestedAt: at,
      restore: { from: arn, routes: [route({ vip: '10.0.0.0/16' })] },
    }),
    'InvalidRequest',
    '10.0.0.0/16',
  ],
  'restore to a foreign target': [
    JSON.stringify({
      target: 'server-a',
      requestedAt: at,
      restore: { from: arn, routes: [route({ target: 'igw-0123456789abcdef0' })] },
    }),
    'InvalidRequest',
    'igw-0123456789abcdef0',
  ],
  'restore from something that is not an execution': [
    JSON.stringify({
      target: 'server-a',
      requestedAt: at,
      restore: { from: 'not-an-arn', routes: [route()] },
    }),
    'InvalidRequest',
    'from',
  ],
  'restore with no routes': [
    JSON.stringify({ target: 'server-a', requestedAt: at, restore: { from: arn, routes: [] } }),
    'InvalidRequest',
    'routes',
  ],
};

describe('bad execution input sent to the deployed state machine', () => {
  it(`fails ${Object.keys(EXECUTION_INPUTS).length} hostile inputs with InvalidRequest or UnknownNode and writes nothing`, async (ctx) => {
    const before = routesOf(cluster);
    const writes = cluster.local.models.stats().writes;
    const cases = Object.entries(EXECUTION_INPUTS);

    const started = await Promise.all(
      cases.map(([, [raw]], i) =>
        cluster.start(undefined, { region: 'us-east-1', name: `bad-input-${i}`, raw }),
      ),
    );
    const runs = await Promise.all(started.map((a) => cluster.settle(a)));

    for (const [i, [name, [, error, mention]]] of cases.entries()) {
      const run = runs[i]!;
      expect(run.detail.status, name).toBe('FAILED');
      expect(run.failure?.error, name).toBe(error);
      expect(run.failure?.step, name).toBe('Plan');
      expect(run.failure?.cause, name).toContain(mention);
    }
    expect(cluster.local.models.stats().writes).toBe(writes);
    expect(routesOf(cluster)).toEqual(before);
    record(ctx, `bad execution input x${cases.length}`, 'all FAILED at Plan, 0 writes');
  });
});

/** args -> the message it must print; every one exits 2. */
const CLI_CASES: [string[], string][] = [
  [['failover'], "required option '--to <node>' not specified"],
  [['failover', '--to', 'server-z'], "unknown node 'server-z' in --to"],
  [['failover', '--to', 'bad!name'], "argument 'bad!name' is invalid"],
  [['failover', '--to', 'server-b', '--timeout', '-5'], 'must be a positive number of seconds'],
  [['failover', '--to', 'server-b', '--timeout', 'abc'], 'must be a positive number of seconds'],
  [['check'], "required option '--active <node>' not specified"],
  [['check', '--active', 'server-q', '--repair'], "unknown node 'server-q' in --active"],
  [['show', 'bad/id'], "'bad/id' is not a run id"],
  [['show', 'a', '--last'], 'give either a run or --last to show, not both'],
  [['rollback'], 'rollback needs a run'],
  [['runs', '--limit', '0'], 'must be a whole number from 1 to 1000'],
  [['status', '--format', 'xml'], 'Allowed choices are table, json, mermaid'],
  [['policy'], 'policy needs --node, --lambda or --account <key>'],
  [['policy', '--node', '--lambda'], "option '--node' cannot be used with option '--lambda'"],
  [['frobnicate'], "unknown command 'frobnicate'"],
  [['plan', '--to', 'server-b', '--bogus'], "unknown option '--bogus'"],
  [['--config', '/nonexistent/cluster.yaml', 'status'], 'topology file /nonexistent/cluster.yaml not found'],
];

describe('bad vipctl invocations', () => {
  it(`exits 2 with a clear message for ${CLI_CASES.length} bad command lines and writes nothing`, async (ctx) => {
    const writes = cluster.local.models.stats().writes;

    const results = await Promise.all(CLI_CASES.map(([args]) => cluster.vipctl(args)));

    for (const [i, [args, message]] of CLI_CASES.entries()) {
      const result = results[i]!;
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toContain(message);
      expect(result.stderr, args.join(' ')).not.toMatch(/\n\s+at .+:\d+:\d+/);
    }
    expect(cluster.local.models.stats().writes).toBe(writes);
    record(ctx, `bad CLI invocations x${CLI_CASES.length}`, 'all exit 2, 0 writes');
  });
});

describe('bad topology files', () => {
  const corpus = readdirSync(BAD).filter((f) => f.endsWith('.yaml'));

  it(`refuses the whole bad corpus (${corpus.length} files) through vipctl plan with exit 2 and the file's problems`, async (ctx) => {
    cluster.local.models.resetStats();
    // In process: the same program as the binary, without paying a Node start-up per file.
    for (const file of corpus) {
      let stderr = '';
      const code = await runCli(
        ['--config', join(BAD, file), '--endpoint-url', cluster.local.url, 'plan', '--to', 'server-b'],
        {
          stdout: { write: () => true },
          stderr: { write: (s: string) => (stderr += s) },
          isTTY: false,
          env: { VIPCTL_JOURNAL: process.env.VIPCTL_JOURNAL },
          cwd: ROOT,
        },
      );
      expect(code, file).toBe(2);
      expect(stderr, file).toContain(file);
    }
    expect(cluster.local.models.stats().calls).toEqual({});
    expect(cluster.local.models.stats().writes).toBe(0);
    record(ctx, `bad topology corpus x${corpus.length}`, 'all exit 2, no AWS call');
  });

  it('refuses hostile YAML (alias bomb, deep nesting, 5 MB) within bounded time and memory', async (ctx) => {
    const huge = join(dir, 'huge.yaml');
    writeFileSync(huge, `cluster: orders-db\n# ${'x'.repeat(5 * 1024 * 1024)}\n`);
    const files = [`${BAD}/hostile-alias-bomb.yaml`, `${BAD}/hostile-deep-nesting.yaml`, huge];

    const results = [];
    for (const file of files)
      results.push(
        await cluster.vipctl(['plan', '--to', 'server-b'], {
          config: file,
          measure: true,
          timeoutMs: 30_000,
        }),
      );

    for (const [i, result] of results.entries()) {
      expect(result.killed, files[i]).toBe(false);
      expect(result.code, files[i]).toBe(2);
      expect(result.maxRssKb, files[i]).toBeGreaterThan(0);
      // Generous: a Node process with the CLI loaded is well under this; an expanded alias bomb is not.
      expect(result.maxRssKb ?? Number.POSITIVE_INFINITY, files[i]).toBeLessThan(400 * 1024);
    }
    expect(results[0]?.stderr).toMatch(/alias/i);
    expect(results[2]?.stderr).toContain('at most 1 MiB');
    const peak = Math.max(...results.map((r) => r.maxRssKb ?? 0));
    record(ctx, 'hostile YAML x3', `exit 2, peak ${Math.round(peak / 1024)} MiB`);
  });
});
