/**
 * Security assertions: the IAM of the synthesized stacks is scoped to the topology, the node policy
 * is exactly what vipctl calls, and a canary secret never leaks into output, history or logs.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTopology } from '../../tasks/topology';
import { nodePolicy, tgwAttachmentArns, tgwRouteTableArns, vpcRouteTableArns } from '../../workflow/policy';
import { addFailoverStacks } from '../../workflow/stack';
import { seededForTest } from '../support/seeded';
import { statementsOf } from '../workflow/cfn';
import { baseEnv, type Cluster, json, ROOT, record, runVipctl, startCluster } from './harness';

const READ_ONLY = /^(ec2:(Describe|Search|Get)|logs:Describe|xray:Get|states:(Describe|List|Get))/;

describe('IAM of the synthesized stacks', () => {
  it('scopes every write to topology ARNs, grants no ec2:Delete* and no iam:PassRole', async (ctx) => {
    const topology = await loadTopology(`${ROOT}examples/three-region.yaml`);
    const app = new App({
      outdir: mkdtempSync(join(tmpdir(), 'vip-reliability-iam-')),
      context: { 'aws:cdk:bundling-stacks': [] },
      builtinCloudFormationValidation: false,
    });
    const stacks = addFailoverStacks(app, topology);
    app.synth();
    const account = topology.account ?? '';
    const tables = new Set([
      ...vpcRouteTableArns(topology, account),
      ...tgwRouteTableArns(topology, account),
      ...tgwAttachmentArns(topology, account),
    ]);

    for (const stack of stacks) {
      const template = Template.fromStack(stack).toJSON() as { Resources: Record<string, unknown> };
      const statements = statementsOf(template);
      expect(statements.length).toBeGreaterThan(0);
      for (const s of statements) {
        const where = `${stack.region} ${s.policy} ${s.sid ?? ''}`;
        for (const action of s.actions) {
          expect(action, where).not.toMatch(/^ec2:Delete|^ec2:\*$|^\*$|^iam:/);
          if (action.startsWith('ec2:') && !READ_ONLY.test(action)) {
            // An EC2 write: only the route tables and attachments the topology lists, each by its own ARN.
            expect(
              s.resources.filter((r) => !tables.has(r)),
              `${where} ${action}`,
            ).toEqual([]);
          }
          if (s.resources.includes('*') && action.startsWith('ec2:'))
            expect(action, where).toMatch(READ_ONLY);
          if (action.startsWith('states:') && !READ_ONLY.test(action)) {
            expect(
              s.resources.every(
                (r) => r.includes(':stateMachine:vip-failover-') || r.includes(':execution:vip-failover-'),
              ),
              where,
            ).toBe(true);
          }
        }
      }
      // No role of the stack can be passed on: Step Functions assumes its own role, nobody passes it.
      expect(JSON.stringify(template)).not.toContain('iam:PassRole');
    }
    record(ctx, 'IAM of synthesized stacks', 'writes scoped, no Delete, no PassRole');
  });
});

describe('against local AWS', () => {
  let cluster: Cluster;
  const logLines: string[] = [];
  let proxy: http.Server;
  let proxyUrl: string;
  /** What vipctl itself sent (the task handlers talk to local AWS directly, not through the proxy). */
  const cliCalls: { action: string; body: string }[] = [];

  beforeAll(async () => {
    // Eleven VIPs, 66 routes: more than INLINE_ROUTES, so runs keep their records in the run bucket
    // and show, rollback and failover read them (s3:GetObject) as for a large cluster.
    const dir = mkdtempSync(join(tmpdir(), 'vipctl-security-'));
    const config = join(dir, 'cluster.yaml');
    const vips = Array.from({ length: 11 }, (_, i) => `172.16.0.${i + 1}/32`).join(', ');
    writeFileSync(
      config,
      readFileSync(join(ROOT, 'examples/two-region.yaml'), 'utf8').replace(
        'vips: [172.16.0.1/32]',
        `vips: [${vips}]`,
      ),
    );
    cluster = await startCluster({ config, log: (line) => logLines.push(line) });
    proxy = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks);
        const target = request.headers['x-amz-target'];
        if (typeof target === 'string')
          cliCalls.push({ action: `states:${target.split('.')[1]}`, body: body.toString() });
        else if (request.method === 'GET' && /\/s3\/aws4_request/.test(String(request.headers.authorization)))
          // Path-style: /<bucket>/<key>.
          cliCalls.push({ action: 's3:GetObject', body: (request.url ?? '').split('?')[0] ?? '' });
        else if (request.method === 'POST') {
          const action = new URLSearchParams(body.toString()).get('Action') ?? '';
          const sts = /\/sts\/aws4_request/.test(String(request.headers.authorization));
          cliCalls.push({ action: `${sts ? 'sts' : 'ec2'}:${action}`, body: body.toString() });
        }
        const upstream = http.request(
          `${cluster.local.url}${request.url ?? '/'}`,
          { method: request.method, headers: request.headers },
          (reply) => {
            response.writeHead(reply.statusCode ?? 502, reply.headers);
            reply.pipe(response);
          },
        );
        upstream.on('error', () => response.destroy());
        upstream.end(body);
      });
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    proxy?.closeAllConnections();
    await new Promise((resolve) => proxy?.close(resolve));
    await cluster?.close();
  });

  const through = (args: string[], env: Record<string, string> = {}) =>
    runVipctl(['--config', cluster.config, ...args], { ...baseEnv(proxyUrl), ...env });

  it('the node policy grants exactly the actions vipctl calls in a failover/status/check/runs/show/rollback session', async (ctx) => {
    cliCalls.length = 0;
    const session = [
      ['plan', '--to', 'server-b'],
      ['failover', '--to', 'server-b'],
      ['status'],
      ['check', '--active', 'server-b'],
      ['runs'],
      ['show', '--last'],
      ['rollback', '--last', '--yes'],
    ];
    for (const args of session) {
      const result = await through(args);
      expect(result.code, `${args.join(' ')}\n${result.stderr}`).toBe(0);
    }
    // A run that outlives --timeout is stopped (each state transition now costs 2 s).
    cluster.local.models.update({ transitionMs: 2000 });
    try {
      const slow = await through(['failover', '--to', 'server-a', '--timeout', '1']);
      expect(slow.code, slow.stderr).toBe(1);
      expect(slow.stdout).toContain('vipctl stopped it');
    } finally {
      cluster.local.models.update({ transitionMs: 0 });
    }
    const policy = json<{ Statement: { Action: string[]; Resource: string[] }[] }>(
      await through(['policy', '--node']),
    );

    const called = new Set(cliCalls.map((c) => c.action).filter((a) => a !== 'sts:GetCallerIdentity'));
    const granted = new Set(policy.Statement.flatMap((s) => s.Action));
    expect(
      [...called].filter((a) => !granted.has(a)),
      'called but not granted',
    ).toEqual([]);
    expect(
      [...granted].filter((a) => !called.has(a)),
      'granted but never called',
    ).toEqual([]);
    // And on the resources the policy names: every ARN vipctl sent to Step Functions is covered.
    const resources = policy.Statement.flatMap((s) => s.Resource);
    const covered = (arn: string) =>
      resources.some((r) => (r.endsWith('*') ? arn.startsWith(r.slice(0, -1)) : arn === r));
    for (const call of cliCalls.filter((c) => c.action.startsWith('states:'))) {
      const body = JSON.parse(call.body) as Record<string, unknown>;
      const arn = (body.executionArn ?? body.stateMachineArn) as string;
      expect(covered(arn), `${call.action} ${arn}`).toBe(true);
    }
    const objects = cliCalls.filter((c) => c.action === 's3:GetObject');
    expect(objects.length, 'records of the 66-route runs read').toBeGreaterThan(0);
    for (const call of objects) {
      const arn = `arn:aws:s3:::${call.body.slice(1)}`;
      expect(covered(arn), `s3:GetObject ${arn}`).toBe(true);
    }
    expect(nodePolicy(cluster.topology, cluster.local.account)).toEqual(policy);
    record(ctx, 'node policy = actions vipctl calls', `${called.size} actions, exact match`);
  });

  it('fails where a node policy without s3:GetObject or states:StopExecution must, and writes nothing for it', async () => {
    const full = nodePolicy(cluster.topology, cluster.local.account);
    const without = (action: string) => ({
      ...full,
      Statement: full.Statement.map((st) => ({
        ...st,
        Action: st.Action.filter((a) => a !== action),
      })).filter((st) => st.Action.length > 0),
    });
    const install = async (node: unknown) =>
      (await fetch(`${cluster.local.url}/_local/iam`, { method: 'POST', body: JSON.stringify({ node }) }))
        .status;
    const failover = await cluster.vipctl(['failover', '--to', 'server-b', '--json']);
    expect(failover.code, failover.stderr).toBe(0);
    const { run } = json<{ run: { arn: string } }>(failover);
    try {
      // Without s3:GetObject the records of a 66-route run cannot be read: show and rollback fail.
      expect(await install(without('s3:GetObject'))).toBe(200);
      const before = cluster.local.world.allRoutes();
      const shown = await cluster.vipctl(['show', run.arn]);
      expect(shown.code).not.toBe(0);
      expect(shown.stdout + shown.stderr).toMatch(/s3:GetObject/);
      const rollback = await cluster.vipctl(['rollback', run.arn, '--yes']);
      expect(rollback.code).not.toBe(0);
      expect(rollback.stdout + rollback.stderr).toMatch(/s3:GetObject/);
      expect(cluster.local.world.allRoutes()).toEqual(before);

      // Without states:StopExecution a run that outlives --timeout cannot be stopped: it runs to its end.
      expect(await install(without('states:StopExecution'))).toBe(200);
      cluster.local.models.update({ transitionMs: 2000 });
      let slowArn: string;
      try {
        const slow = await cluster.vipctl(['failover', '--to', 'server-a', '--timeout', '1', '--json']);
        expect(slow.code).not.toBe(0);
        expect(slow.stdout + slow.stderr).toMatch(/states:StopExecution/);
        slowArn = (await cluster.executions.list(10)).runs.find((e) => e.status === 'RUNNING')?.arn ?? '';
      } finally {
        cluster.local.models.update({ transitionMs: 0 });
      }
      expect(slowArn).not.toBe('');
      expect((await cluster.settle(slowArn)).detail.status).toBe('SUCCEEDED');
    } finally {
      expect(await install(full)).toBe(200);
      await fetch(`${cluster.local.url}/_local/iam`, {
        method: 'POST',
        body: JSON.stringify({ deployed: true }),
      });
    }
  });

  it('never shows a canary secret in CLI output (incl. --debug), execution history or local AWS logs', async (ctx) => {
    const canary = `canary${Math.floor(seededForTest().random() * 2 ** 40).toString(36)}XYZ`;
    const env = {
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLECANARY',
      AWS_SECRET_ACCESS_KEY: `${canary}-secret`,
      AWS_SESSION_TOKEN: `${canary}-token`,
      VIPCTL_TEST_CANARY: `${canary}-env`,
    };
    const outputs: string[] = [];
    const commands = [
      ['failover', '--to', 'server-b', '--debug'],
      ['failover', '--to', 'server-a', '--debug', '--json'],
      ['status', '--debug'],
      ['show', '--last', '--debug'],
      ['show', 'no-such-run', '--debug'],
      ['rollback', '--last', '--yes', '--debug'],
    ];
    for (const args of commands) {
      const result = await through(args, env);
      outputs.push(result.stdout, result.stderr);
    }
    // The error paths too: every region down, with stack traces on.
    cluster.local.models.setOutage('us-east-1', true);
    cluster.local.models.setOutage('ap-southeast-1', true);
    try {
      // Both wait out their retry budgets against the refused regions: side by side, not one after the other.
      const [status, failover] = await Promise.all([
        through(['status', '--debug'], env),
        through(['failover', '--to', 'server-b', '--debug'], env),
      ]);
      expect(failover.code).toBe(4);
      outputs.push(status.stdout, status.stderr, failover.stdout, failover.stderr);
    } finally {
      cluster.local.models.setOutage('us-east-1', false);
      cluster.local.models.setOutage('ap-southeast-1', false);
    }
    const { runs } = await cluster.executions.list(100);
    expect(runs.length).toBeGreaterThan(0);
    const histories = await Promise.all(runs.map((r) => cluster.executions.history(r.arn)));
    const described = await Promise.all(runs.map((r) => cluster.executions.describe(r.arn)));

    const everything = [
      ...outputs,
      JSON.stringify(histories),
      JSON.stringify(described),
      logLines.join('\n'),
      JSON.stringify(cluster.local.world.snapshot()),
    ].join('\n');
    expect(outputs.join('').length).toBeGreaterThan(1000);
    expect(everything).not.toContain(canary);
    record(ctx, 'canary secret', 'absent from output, history, logs');
  });
});
