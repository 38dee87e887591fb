/**
 * The Pacemaker OCF resource agent (examples/pacemaker/vipctl) as Pacemaker runs it: OCF_RESKEY_*
 * parameters in the environment, an action as the argument, the OCF exit code as the verdict.
 * vipctl is the built CLI behind a small wrapper; AWS is local AWS started in this process.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalAws, startLocalAws } from '../../local/index';
import { parseTopology, type Topology } from '../../tasks/topology';
import { fetchWorld, readTopologyFile, unreachedFrom } from '../oracle/route-walker';
import { commands, files, itRequires } from '../support/requirements';
import { cleanEnv, closedPort, EXAMPLE, ensureBuilt, ROOT, sh, start, vipctlWrapper } from './local-harness';

const AGENT = join(ROOT, 'examples', 'pacemaker', 'vipctl');
const OCF = { SUCCESS: 0, ERR_GENERIC: 1, NOT_RUNNING: 7 } as const;
/** Debian's resource-agents (`.ci/run` installs it): ocf-tester, ocf-shellfuncs and the DTD it validates against. */
const OCF_TESTER = '/usr/sbin/ocf-tester';
const SHELLFUNCS = '/usr/lib/ocf/lib/heartbeat/ocf-shellfuncs';

/** The direct-run journal of these tests. */
const JOURNAL = mkdtempSync(join(tmpdir(), 'vipctl-journal-'));
let topology: Topology;
let aws: LocalAws;
let wrapper: string;

beforeAll(async () => {
  ensureBuilt();
  wrapper = vipctlWrapper();
  topology = parseTopology(readFileSync(EXAMPLE, 'utf8'), EXAMPLE);
  aws = await startLocalAws({ topology, port: 0, active: 'server-a' });
});
afterAll(async () => {
  await aws?.close();
});

/** One cluster node's view: its own HA_RSCTMP, where the agent keeps the resource's started mark. */
function clusterNode(): string {
  return mkdtempSync(join(tmpdir(), 'vipctl-rsctmp-'));
}

function awsEnv(endpoint = aws.url): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: 'us-east-1',
  };
}

/** The agent as Pacemaker runs it, without resource-agents installed: its own fallbacks must do. */
function agent(
  action: string,
  node: string,
  rsctmp: string,
  options: { endpoint?: string; params?: Record<string, string> } = {},
) {
  const params = Object.fromEntries(
    Object.entries(options.params ?? {}).map(([key, value]) => [`OCF_RESKEY_${key}`, value]),
  );
  return sh(
    AGENT,
    [action],
    cleanEnv({
      OCF_ROOT: '/nonexistent',
      HA_RSCTMP: rsctmp,
      OCF_RESOURCE_INSTANCE: 'vip-routes',
      OCF_RESKEY_config: EXAMPLE,
      OCF_RESKEY_node: node,
      OCF_RESKEY_vipctl: wrapper,
      OCF_RESKEY_timeout: '60',
      ...params,
      // A start with AWS unreachable may run directly from the node: keep its record out of /var/lib.
      VIPCTL_JOURNAL: JOURNAL,
      ...awsEnv(options.endpoint),
    }),
  );
}

/** Every VIP reaches `node` from every listed table, by the reference walker over local AWS's raw world. */
async function routesLeadTo(node: string): Promise<boolean> {
  return unreachedFrom(await fetchWorld(aws.url), readTopologyFile(EXAMPLE), node).length === 0;
}

describe('Pacemaker OCF agent', () => {
  it('prints meta-data that is well-formed XML naming its parameters and actions', async () => {
    const { code, stdout } = await agent('meta-data', 'server-b', clusterNode());

    expect(code).toBe(OCF.SUCCESS);
    const root = parseXml(stdout);
    expect(root.name).toBe('resource-agent');
    expect(root.attributes.name).toBe('vipctl');
    const parameters = root.children.find((c) => c.name === 'parameters')?.children ?? [];
    expect(parameters.map((p) => p.attributes.name)).toEqual([
      'config',
      'node',
      'region',
      'vipctl',
      'timeout',
      'unreachable_is_error',
    ]);
    const actions = root.children.find((c) => c.name === 'actions')?.children ?? [];
    expect(actions.map((a) => a.attributes.name)).toEqual([
      'start',
      'stop',
      'monitor',
      'validate-all',
      'meta-data',
    ]);
  });

  it('validates its parameters (validate-all 0)', async () => {
    expect((await agent('validate-all', 'server-b', clusterNode())).code).toBe(OCF.SUCCESS);
  });

  it('a probe before any start answers OCF_NOT_RUNNING, even where the routes lead to the node', async () => {
    expect(await routesLeadTo('server-a')).toBe(true);

    const probe = await agent('monitor', 'server-a', clusterNode(), { params: { CRM_meta_interval: '0' } });

    expect(probe.code).toBe(OCF.NOT_RUNNING);
  });

  itRequires([
    commands([OCF_TESTER, 'xmllint'], ['resource-agents', 'libxml2-utils']),
    files([SHELLFUNCS], ['resource-agents']),
  ])(
    'passes ocf-tester (resource-agents) against local AWS with no failed test',
    async () => {
      const tested = await start(
        OCF_TESTER,
        [
          '-n',
          'vip-routes',
          '-o',
          `config=${EXAMPLE}`,
          '-o',
          'node=server-b',
          '-o',
          `vipctl=${wrapper}`,
          '-o',
          'timeout=60',
          // Pacemaker passes the operation's timeout; ocf-tester's own 20 s is too short on a loaded machine.
          '-o',
          'CRM_meta_timeout=120000',
          AGENT,
        ],
        cleanEnv({
          PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin`,
          HA_RSCTMP: clusterNode(),
          VIPCTL_JOURNAL: JOURNAL,
          ...awsEnv(),
        }),
      ).finished;

      expect(tested.stdout + tested.stderr).toContain('passed all tests');
      expect(tested.stdout).not.toMatch(/^\* rc=/m);
      expect(tested.code).toBe(0);
      expect(await routesLeadTo('server-b')).toBe(true);
    },
    300_000,
  );

  it('start moves every VIP route to the node and marks it; stop clears the mark and leaves the routes', async () => {
    const node = clusterNode();

    const started = await agent('start', 'server-a', node);

    expect(started.stderr).not.toMatch(/vipctl\[err\]/);
    expect(started.code).toBe(OCF.SUCCESS);
    expect(await routesLeadTo('server-a')).toBe(true);
    expect((await agent('monitor', 'server-a', node)).code).toBe(OCF.SUCCESS);
    expect((await agent('monitor', 'server-a', clusterNode())).code).toBe(OCF.NOT_RUNNING);
    expect((await agent('stop', 'server-a', node)).code).toBe(OCF.SUCCESS);
    expect((await agent('monitor', 'server-a', node)).code).toBe(OCF.NOT_RUNNING);
    expect((await agent('stop', 'server-a', node)).code).toBe(OCF.SUCCESS);
    expect(await routesLeadTo('server-a')).toBe(true);
  });

  it('monitor fails a started resource whose routes another node has taken', async () => {
    const a = clusterNode();
    const b = clusterNode();
    expect((await agent('start', 'server-a', a)).code).toBe(OCF.SUCCESS);
    expect((await agent('start', 'server-b', b)).code).toBe(OCF.SUCCESS);

    const monitored = await agent('monitor', 'server-a', a);

    expect(monitored.code).toBe(OCF.ERR_GENERIC);
    expect(monitored.stderr).toContain('do not all lead to server-a');
  });

  it('AWS unreachable: start fails and marks nothing; monitor warns, or fails with unreachable_is_error', async () => {
    const nothing = `http://127.0.0.1:${await closedPort()}`;
    const node = clusterNode();
    expect((await agent('start', 'server-b', node)).code).toBe(OCF.SUCCESS);

    // Each waits out vipctl's retry budgets against the closed port: side by side, not one after the
    // other (the monitors only read the node's mark; the start uses a node of its own).
    const elsewhere = clusterNode();
    const [lenient, strict, failedStart] = await Promise.all([
      agent('monitor', 'server-b', node, { endpoint: nothing }),
      agent('monitor', 'server-b', node, { endpoint: nothing, params: { unreachable_is_error: 'true' } }),
      agent('start', 'server-a', elsewhere, { endpoint: nothing }),
    ]);

    expect(lenient.code).toBe(OCF.SUCCESS);
    expect(lenient.stderr).toContain('AWS unreachable?');
    expect(strict.code).toBe(OCF.ERR_GENERIC);
    expect(failedStart.code).toBe(OCF.ERR_GENERIC);
    expect(failedStart.stderr).toContain('AWS unreachable (vipctl exit 4)');
    expect((await agent('monitor', 'server-a', elsewhere)).code).toBe(OCF.NOT_RUNNING);
  });

  it('monitor ends vipctl within the operation timeout and reports the state unknown', async () => {
    const node = clusterNode();
    await writeFile(join(node, 'vipctl-vip-routes'), '');
    const slow = join(clusterNode(), 'vipctl');
    await writeFile(slow, '#!/bin/sh\nexec sleep 30\n', { mode: 0o755 });

    const monitored = await agent('monitor', 'server-b', node, {
      params: { vipctl: slow, CRM_meta_timeout: '3000' },
    });

    expect(monitored.code).toBe(OCF.SUCCESS);
    expect(monitored.stderr).toContain('did not answer within 1s');
  });
});

interface XmlElement {
  readonly name: string;
  readonly attributes: Record<string, string>;
  readonly children: XmlElement[];
}

/**
 * A strict little parser for the agent's XML: one root, every tag closed in order, attributes quoted.
 * Throws on anything that is not well-formed.
 */
function parseXml(text: string): XmlElement {
  const body = text
    .replace(/^\s*<\?xml[^?]*\?>/, '')
    .replace(/^\s*<!DOCTYPE[^>[]*>/, '')
    .trim();
  const stack: XmlElement[] = [{ name: '#document', attributes: {}, children: [] }];
  const tag = /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[\w:.-]+="[^"<]*")*)\s*(\/?)>|([^<]+)|(<)/g;
  for (const match of body.matchAll(tag)) {
    const [, closing, name, attrs = '', selfClosing, textContent, stray] = match;
    if (stray) throw new Error(`malformed markup at ${match.index}`);
    if (textContent !== undefined) {
      if (/[<&](?!amp;|lt;|gt;|quot;|apos;)/.test(textContent))
        throw new Error('unescaped character in text');
      continue;
    }
    const parent = stack.at(-1)!;
    if (closing) {
      if (parent.name !== name) throw new Error(`</${name}> closes <${parent.name}>`);
      stack.pop();
      continue;
    }
    const attributes: Record<string, string> = {};
    for (const [, key, value] of attrs.matchAll(/([\w:.-]+)="([^"]*)"/g)) attributes[key!] = value!;
    const element: XmlElement = { name: name!, attributes, children: [] };
    parent.children.push(element);
    if (!selfClosing) stack.push(element);
  }
  const [document] = stack;
  if (stack.length !== 1 || document!.children.length !== 1)
    throw new Error('not exactly one closed root element');
  return document!.children[0]!;
}
