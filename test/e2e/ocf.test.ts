/**
 * The Pacemaker OCF resource agent (examples/pacemaker/vipctl) as Pacemaker runs it: OCF_RESKEY_*
 * parameters in the environment, an action as the argument, the OCF exit code as the verdict.
 * vipctl is the built CLI behind a small wrapper; AWS is local AWS started in this process.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalAws, startLocalAws } from '../../local/index';
import { desiredRoutes } from '../../tasks/routing';
import { parseTopology, type Topology } from '../../tasks/topology';
import { cleanEnv, closedPort, EXAMPLE, ensureBuilt, ROOT, sh, vipctlWrapper } from './local-harness';

const AGENT = join(ROOT, 'examples', 'pacemaker', 'vipctl');
const OCF = { SUCCESS: 0, ERR_GENERIC: 1, NOT_RUNNING: 7 } as const;

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

function agent(action: string, node: string, endpoint = aws.url) {
  return sh(
    AGENT,
    [action],
    cleanEnv({
      OCF_ROOT: '/nonexistent', // no resource-agents here: the agent's own fallbacks must do
      OCF_RESOURCE_INSTANCE: 'vip-routes',
      OCF_RESKEY_config: EXAMPLE,
      OCF_RESKEY_node: node,
      OCF_RESKEY_vipctl: wrapper,
      OCF_RESKEY_timeout: '60',
      AWS_ENDPOINT_URL: endpoint,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_REGION: 'us-east-1',
    }),
  );
}

/** Every VIP route in local AWS is where the routing rule puts it with `node` active. */
function routesLeadTo(node: string): boolean {
  return desiredRoutes(topology, node).every(
    (want) => aws.world.findRoute(want.region, want.table, want.vip)?.target === want.target,
  );
}

describe('Pacemaker OCF agent', () => {
  it('prints meta-data that is well-formed XML naming its parameters and actions', async () => {
    const { code, stdout } = await agent('meta-data', 'server-b');

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
    expect((await agent('validate-all', 'server-b')).code).toBe(OCF.SUCCESS);
  });

  it('start moves every VIP route to the node, monitor tells the active node from the other, stop succeeds', async () => {
    expect(routesLeadTo('server-b')).toBe(false);

    const started = await agent('start', 'server-b');

    expect(started.stderr).not.toMatch(/vipctl\[err\]/);
    expect(started.code).toBe(OCF.SUCCESS);
    expect(routesLeadTo('server-b')).toBe(true);
    expect((await agent('monitor', 'server-b')).code).toBe(OCF.SUCCESS);
    expect((await agent('monitor', 'server-a')).code).toBe(OCF.NOT_RUNNING);
    expect((await agent('stop', 'server-b')).code).toBe(OCF.SUCCESS);
    // stop changes nothing: the routes move with the next start elsewhere.
    expect(routesLeadTo('server-b')).toBe(true);
  });

  it('monitor answers OCF_ERR_GENERIC when AWS cannot be reached', async () => {
    const nothing = await closedPort();

    const monitored = await agent('monitor', 'server-b', `http://127.0.0.1:${nothing}`);

    expect(monitored.code).toBe(OCF.ERR_GENERIC);
    expect(monitored.stderr).toContain('AWS unreachable?');
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
