/**
 * vipctl behind a site's forward proxy: every AWS call goes through HTTP(S)_PROXY unless NO_PROXY covers
 * the endpoint, the instance metadata service never does, and a PrivateLink site's per-service endpoints
 * (AWS_ENDPOINT_URL_EC2/SFN/STS) each get their own service's calls. The endpoints are names under `.test`
 * that only the test proxy (and, where a test says so, a preloaded resolver) maps to local AWS.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type LocalAws, startLocalAws } from '../../local/index';
import { parseTopology } from '../../tasks/topology';
import { type ForwardProxy, startForwardProxy } from './forward-proxy';
import { cleanEnv, closedPort, EXAMPLE, ensureBuilt, ROOT, vipctl } from './local-harness';

const TEST_HOSTS = join(ROOT, 'test', 'e2e', 'fixtures', 'test-hosts.mjs');

let aws: LocalAws;
let proxy: ForwardProxy;
let endpoint: string;

beforeAll(async () => {
  ensureBuilt();
  const topology = parseTopology(readFileSync(EXAMPLE, 'utf8'), EXAMPLE);
  aws = await startLocalAws({ topology, port: 0, active: 'server-a' });
  endpoint = `http://aws.test:${aws.port}`;
  proxy = await startForwardProxy({
    'aws.test': aws.port,
    'ec2.aws.test': aws.port,
    'states.aws.test': aws.port,
    'sts.aws.test': aws.port,
  });
});
afterAll(async () => {
  await proxy?.close();
  await aws?.close();
});
beforeEach(() => {
  proxy.requests.length = 0;
});

/**
 * vipctl with the `.test` resolver preloaded. `resolvable` lists the names that resolve to 127.0.0.1;
 * any other `.test` name is unknown, so a call that bypasses the proxy fails instead of reaching local AWS.
 */
function run(args: string[], env: Record<string, string>, resolvable: string[] = []) {
  return vipctl(
    ['--config', EXAMPLE, ...args],
    cleanEnv({
      NODE_OPTIONS: `--import=${TEST_HOSTS}`,
      VIPCTL_TEST_HOSTS: resolvable.map((host) => `${host}=127.0.0.1`).join(','),
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_REGION: 'us-east-1',
      ...env,
    }),
  );
}

function totalCalls(): number {
  return Object.values(aws.models.stats().calls)
    .flatMap((perAction) => Object.values(perAction))
    .reduce((sum, n) => sum + n, 0);
}

describe('vipctl behind a forward proxy', () => {
  it('HTTP_PROXY: check sends every AWS call through the proxy', async () => {
    const before = totalCalls();

    const result = await run(['check', '--active', 'server-a'], {
      AWS_ENDPOINT_URL: endpoint,
      HTTP_PROXY: proxy.url,
    });

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(proxy.requests.length).toBeGreaterThan(0);
    expect(proxy.requests.length).toBe(totalCalls() - before);
    expect(new Set(proxy.requests.map((r) => r.host))).toEqual(new Set([`aws.test:${aws.port}`]));
    expect(proxy.requests.map((r) => r.operation)).toContain('ec2:DescribeRouteTables');
  });

  it('http_proxy: failover starts and follows its run through the proxy', async () => {
    const result = await run(['failover', '--to', 'server-b', '--timeout', '240'], {
      AWS_ENDPOINT_URL: endpoint,
      http_proxy: proxy.url,
    });

    expect(result.code).toBe(0);
    const operations = proxy.requests.map((r) => r.operation);
    expect(operations).toContain('AWSStepFunctions.StartExecution');
    expect(operations).toContain('AWSStepFunctions.DescribeExecution');
  });

  it.each([
    ['the host', 'aws.test'],
    ['a domain suffix', '.test'],
    ['*', '*'],
  ])('NO_PROXY naming %s: no call goes through the proxy', async (_what, noProxy) => {
    const result = await run(
      ['check', '--active', 'server-b'],
      { AWS_ENDPOINT_URL: endpoint, HTTP_PROXY: proxy.url, NO_PROXY: noProxy },
      ['aws.test'],
    );

    expect(result.code).toBe(0);
    expect(proxy.requests).toEqual([]);
  });

  it('the instance metadata service never goes through the proxy', async () => {
    const result = await run(
      ['check', '--active', 'self', '--no-host-check'],
      {
        AWS_ENDPOINT_URL: endpoint,
        HTTP_PROXY: proxy.url,
        AWS_EC2_METADATA_SERVICE_ENDPOINT: `${endpoint}/_imds/server-b`,
      },
      ['aws.test'],
    );

    expect(result.code).toBe(0);
    expect(proxy.requests.length).toBeGreaterThan(0);
    expect(proxy.requests.filter((r) => r.path.includes('/_imds/') || r.path.includes('/latest/'))).toEqual(
      [],
    );
  });

  it('a proxy that refuses the connection: check exits 4 and names the proxy', async () => {
    const refusing = `http://127.0.0.1:${await closedPort()}`;

    const result = await run(['check', '--active', 'server-b'], {
      AWS_ENDPOINT_URL: endpoint,
      HTTPS_PROXY: refusing,
      HTTP_PROXY: refusing,
    });

    expect(result.code).toBe(4);
    expect(result.stderr).toContain(`AWS calls go through the proxy ${refusing} (HTTPS_PROXY, HTTP_PROXY)`);
  });

  it('AWS_CA_BUNDLE that cannot be read is a configuration error (exit 2) before any call', async () => {
    const result = await run(['check', '--active', 'server-b'], {
      AWS_ENDPOINT_URL: endpoint,
      AWS_CA_BUNDLE: '/nonexistent/ca.pem',
    });

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('AWS_CA_BUNDLE=/nonexistent/ca.pem cannot be read');
    expect(proxy.requests).toEqual([]);
  });
});

describe('per-service endpoints (VPC interface endpoints)', () => {
  it('sends EC2, Step Functions and STS calls each to its own AWS_ENDPOINT_URL_<SERVICE>', async () => {
    // Without an account in the topology, vipctl asks STS for it.
    const dir = mkdtempSync(join(tmpdir(), 'vipctl-endpoints-'));
    const config = join(dir, 'cluster.yaml');
    writeFileSync(config, readFileSync(EXAMPLE, 'utf8').replace(/^account:.*$/m, ''));
    const env = {
      AWS_ENDPOINT_URL_EC2: `http://ec2.aws.test:${aws.port}`,
      AWS_ENDPOINT_URL_SFN: `http://states.aws.test:${aws.port}`,
      AWS_ENDPOINT_URL_STS: `http://sts.aws.test:${aws.port}`,
      HTTP_PROXY: proxy.url,
    };

    const checked = await run(['--config', config, 'check', '--active', 'server-b'], env);
    const listed = await run(['--config', config, 'runs'], env);

    expect(checked.code).toBe(0);
    expect(listed.code).toBe(0);
    const hostsOf = (match: (operation: string) => boolean) =>
      new Set(proxy.requests.filter((r) => match(r.operation)).map((r) => r.host.split(':')[0]));
    expect(hostsOf((o) => o.startsWith('ec2:'))).toEqual(new Set(['ec2.aws.test']));
    expect(hostsOf((o) => o.startsWith('AWSStepFunctions.'))).toEqual(new Set(['states.aws.test']));
    expect(hostsOf((o) => o.startsWith('sts:'))).toEqual(new Set(['sts.aws.test']));
  });
});
