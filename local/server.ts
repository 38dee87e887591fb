/**
 * Local AWS: ONE node:http server on 127.0.0.1 that speaks the EC2 Query protocol, the Step Functions
 * JSON protocol, STS GetCallerIdentity, the CloudWatch Logs calls of direct runs, instance metadata (IMDSv2) and a JSON control endpoint, with the
 * behaviour models of local/models.ts applied to every API request. See DESIGN section 7.
 *
 * Dispatch: `X-Amz-Target: AWSStepFunctions.*` -> Step Functions; form POST with `Action=` -> EC2 (or
 * STS for GetCallerIdentity); `/_local/*` -> control; `/latest/*`, `/_imds/<node>/latest/*` -> IMDS.
 * The region of a request is the one in its SigV4 credential scope.
 */
import './polyfills';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SfnClientOptions, TaskDeps } from '../tasks/deps';
import type { Ec2ClientOptions } from '../tasks/ec2/clients';
import { partitionOf } from '../tasks/partition';
import type { Topology } from '../tasks/topology';
import { handleControl } from './control';
import { DataPlane, type DataPlaneOptions } from './data-plane/data-plane';
import { Ec2Error, errorXml } from './ec2/errors';
import { accessKeyOf } from './ec2/iam';
import { createEc2Service } from './ec2/service';
import { accessDeniedMessage, deployedIam, jsonDenier } from './iam/deployed';
import type { LocalIam } from './iam/local-iam';
import { type Principal, principalOf } from './iam/principals';
import { resourcesOf } from './iam/reference';
import { LocalImds } from './imds';
import { createLocalLogs, type LocalLogs, localTasksLogGroup } from './logs/service';
import { isMutatingAction, LocalModels, type Profile } from './models';
import { firstHeader, jsonStrings, NOT_JSON, parseJsonBody, readBody, scopeOf, serviceOf } from './requests';
import { createLocalS3, type LocalS3 } from './s3/service';
import { seedWorld } from './seed';
import { sfnThrottlingError } from './sfn/api-error';
import { createSfnService, type SfnService, type SfnServiceOptions } from './sfn/service';
import { readStateFile, writeStateFile } from './state-file';
import { callerIdentityXml, LocalSts } from './sts';
import { createTaskFunctions, localRunBucket, ORIGIN_HEADER, taskCrashError } from './task-functions';
import { LocalWorld } from './world';

export { localRunBucket, ORIGIN_HEADER };

export interface LocalAwsOptions {
  readonly topology: Topology;
  /**
   * More clusters of the same account, as their own stacks would deploy them: each gets its resources
   * seeded (with `active` active when it names one of its nodes, else its first node), its state
   * machines, its task function and its run bucket. Their IDs must differ from every other cluster's.
   * The one task-role identity of local AWS is allowed the union of the clusters' task-role policies.
   * @default none
   */
  readonly clusters?: readonly Topology[];
  /** Node whose VIP routes are seeded; null seeds no VIP routes. @default the first node */
  readonly active?: string | null;
  /** 0 picks a free port. @default 4566 */
  readonly port?: number;
  /** @default 'off' */
  readonly profile?: Profile;
  /** Persist the world and the executions to this JSON file; loaded at start when present. @default none */
  readonly statePath?: string;
  /**
   * External EC2 mode: nothing is seeded, EC2 is not served here, and the task handlers send their EC2
   * calls to this endpoint (LocalStack, moto). @default EC2 served by local AWS itself
   */
  readonly ec2Endpoint?: string;
  /** @default topology.account ?? '000000000000' */
  readonly account?: string;
  /** One line per API request and per notable event. @default silent */
  readonly log?: (line: string) => void;
  /**
   * Step Functions side; `false` serves EC2 alone and skips synthesizing the state machines (fast
   * start for EC2 tests). `invokeTask` replaces the deployed task function (tests of the Lambda model).
   * @default enabled, with the real task handlers
   */
  readonly sfn?: false | Partial<Pick<SfnServiceOptions, 'retryIntervalScale' | 'synthesize' | 'invokeTask'>>;
  /** Clock of the models (token buckets, route-state transitions), in ms. @default Date.now */
  readonly now?: () => number;
  /** Random source of the fault model's probabilities (tests seed it). @default Math.random */
  readonly random?: () => number;
  /** Options of the task handlers' EC2 clients (budgets, timeouts). @default the adapter's defaults */
  readonly taskEc2?: Omit<Ec2ClientOptions, 'endpoint' | 'credentials'>;
  /** Options of the task handlers' Step Functions clients (the stale-run guard's). @default tasks/deps.ts */
  readonly taskSfn?: Omit<SfnClientOptions, 'endpoint' | 'credentials'>;
  /** How the task handlers' stale-run guard waits. @default tasks/stale-run-guard.ts */
  readonly taskGuard?: TaskDeps['guard'];
  /**
   * Carry the route tables into the kernel (local/data-plane): network namespaces for the topology,
   * every accepted route write applied before the API answers. Needs root. @default off
   */
  readonly dataPlane?: DataPlaneOptions;
}

export interface LocalAws {
  /** `http://127.0.0.1:<port>`: the endpoint of every service. */
  readonly url: string;
  readonly port: number;
  readonly account: string;
  readonly world: LocalWorld;
  /** Programmatic control, the same as `/_local/*`. */
  readonly models: LocalModels;
  readonly imds: LocalImds;
  /** IAM of the task role, the node role and the access roles (the synthesized policies unless replaced), the same as `/_local/iam`. */
  readonly iam: LocalIam;
  /** AssumeRole into the topology's other accounts, the same as `/_local/access`. */
  readonly sts: LocalSts;
  /** Undefined when started with `sfn: false`. */
  readonly sfn: SfnService | undefined;
  /** The S3 that holds the run buckets (one per region, see {@link localRunBucket}). */
  readonly s3: LocalS3;
  /** CloudWatch Logs: each region's task log group ({@link localTasksLogGroup}), where direct runs record. */
  readonly logs: LocalLogs;
  /** The kernel data plane, when started with `dataPlane`. */
  readonly dataPlane: DataPlane | undefined;
  /** Writes the state file (when set). */
  save(): Promise<void>;
  close(): Promise<void>;
}

const DEFAULT_REGION = 'us-east-1';

export async function startLocalAws(options: LocalAwsOptions): Promise<LocalAws> {
  const { topology } = options;
  const account = options.account ?? topology.account ?? '000000000000';
  const log = options.log ?? (() => {});
  const firstNode = Object.keys(topology.nodes)[0] ?? null;
  const active = options.active === undefined ? firstNode : options.active;
  const external = options.ec2Endpoint !== undefined;
  const clusters = [topology, ...(options.clusters ?? [])];
  const seed = () => {
    if (external) return new LocalWorld(account);
    const seeded = seedWorld(topology, account, active);
    for (const other of options.clusters ?? []) {
      const own = active !== null && other.nodes[active] ? active : (Object.keys(other.nodes)[0] ?? null);
      seedWorld(other, account, own, seeded);
    }
    return seeded;
  };

  const saved = options.statePath ? await readStateFile(options.statePath) : undefined;
  const world = saved ? new LocalWorld(account, saved.world) : seed();
  const models = new LocalModels({
    profile: options.profile ?? 'off',
    ...(options.now ? { now: options.now } : {}),
    ...(options.random ? { random: options.random } : {}),
  });
  const imds = new LocalImds(topology, saved?.imdsSelf ?? active ?? firstNode, Date.now, world);
  const others = Object.entries(topology.accounts ?? {});
  const iam = deployedIam(topology, clusters, account);
  const partition = partitionOf(Object.values(topology.vpcs)[0]?.region ?? DEFAULT_REGION);
  const callerOf = (accessKey: string | undefined, region: string): Principal =>
    principalOf(accessKey, { home: account, partition, cluster: topology.cluster, region });
  const ec2 = createEc2Service({ world, models, iam: { policies: iam, principalOf: callerOf, partition } });
  const sts = new LocalSts(
    others.map(([key, a]) => ({ key, account: a.id, arn: a.role })),
    iam,
  );
  const deniedJson = jsonDenier({ iam, callerOf, partition, account });
  const s3 = createLocalS3();
  const logs = createLocalLogs();
  for (const region of new Set([
    ...Object.values(topology.vpcs).map((v) => v.region),
    ...Object.values(topology.transitGateways).map((t) => t.region),
  ]))
    logs.ensureGroup(region, localTasksLogGroup(topology.cluster));
  if (saved?.s3 !== undefined) s3.restore(saved.s3 as Parameters<LocalS3['restore']>[0]);

  let url = '';
  let dataPlane: DataPlane | undefined;
  const handlerFor = createTaskFunctions({
    cluster: topology.cluster,
    endpoint: () => url,
    s3,
    ...(options.ec2Endpoint !== undefined ? { ec2Endpoint: options.ec2Endpoint } : {}),
    ...(options.taskEc2 ? { taskEc2: options.taskEc2 } : {}),
    ...(options.taskSfn ? { taskSfn: options.taskSfn } : {}),
    ...(options.taskGuard ? { taskGuard: options.taskGuard } : {}),
  });

  const sfn =
    options.sfn === false
      ? undefined
      : createSfnService({
          account,
          models,
          log,
          invokeTask: async (payload, context) => {
            const outcome = await handlerFor(
              context.region,
              context.functionArn,
            )(payload).then(
              (value) => ({ ok: true as const, value }),
              (error: unknown) => ({ ok: false as const, error }),
            );
            if (models.takeTaskCrash()) throw taskCrashError();
            if (!outcome.ok) throw outcome.error;
            return outcome.value;
          },
          ...options.sfn,
        });

  // --- persistence ---------------------------------------------------------------------------------
  let lastSaved = '';
  let saving: Promise<void> = Promise.resolve();
  const save = (): Promise<void> => {
    const path = options.statePath;
    if (!path) return Promise.resolve();
    saving = saving.then(async () => {
      const state = {
        version: 1 as const,
        world: world.snapshot(),
        sfn: sfn?.snapshot(),
        s3: s3.snapshot(),
        imdsSelf: imds.selfNode,
      };
      const text = JSON.stringify(state);
      if (text === lastSaved) return;
      await writeStateFile(path, state);
      lastSaved = text;
    });
    return saving;
  };
  const saveSoon = () => {
    save().catch((error: unknown) => log(`state file: ${String(error)}`));
  };

  // --- request handling ----------------------------------------------------------------------------
  const seenSockets = new WeakSet<Socket>();
  const send = (
    response: http.ServerResponse,
    status: number,
    body: string,
    contentType: string,
    requestId?: string,
  ) => {
    response.writeHead(status, {
      'content-type': contentType,
      'content-length': Buffer.byteLength(body),
      ...(requestId ? { 'x-amzn-requestid': requestId } : {}),
    });
    response.end(body);
  };

  async function api(request: http.IncomingMessage, response: http.ServerResponse) {
    const scope = scopeOf(firstHeader(request.headers.authorization));
    const region = scope.region ?? DEFAULT_REGION;
    const outage = models.outageFor(
      region,
      serviceOf(scope.service, firstHeader(request.headers['x-amz-target'])),
    );
    if (outage === 'refuse') {
      // Like a refused connection: no response at all, the SDK sees a network error.
      models.count('refused');
      request.socket.destroy();
      return;
    }
    if (outage === 'hang') {
      // No answer ever: only the client's own timeout (or close()) ends the request.
      models.count('hung');
      request.resume();
      return;
    }
    const origin = firstHeader(request.headers[ORIGIN_HEADER]);
    const fresh = !seenSockets.has(request.socket);
    seenSockets.add(request.socket);
    if (fresh) models.count('handshakes');
    const delay = models.latencyMs(region, origin) + (fresh ? models.tlsCostMs(region, origin) : 0);
    const body = await readBody(request);
    if (delay > 0) await sleep(delay / 2);

    const target = firstHeader(request.headers['x-amz-target']);
    const requestId = randomUUID();
    let status: number;
    let text: string;
    let contentType = 'text/xml;charset=UTF-8';
    let label: string;
    if (target?.startsWith('AWSStepFunctions.')) {
      label = target.slice('AWSStepFunctions.'.length);
      models.countCall(region, label, origin !== undefined);
      contentType = 'application/x-amz-json-1.0';
      const fault = models.takeFault(region, label, jsonStrings(body));
      if (fault) {
        models.count('faultsInjected');
        status = fault.status ?? 400;
        text = JSON.stringify({ __type: fault.code, message: fault.message ?? `Injected ${fault.code}` });
      } else if (!models.takeSfnToken(region, label, account)) {
        models.count('sfnThrottled');
        const throttled = sfnThrottlingError();
        status = throttled.status;
        text = JSON.stringify({ __type: throttled.code, message: throttled.message });
      } else if (!sfn) {
        status = 400;
        text = JSON.stringify({
          __type: 'UnknownOperationException',
          message: 'Step Functions is off in this local AWS',
        });
      } else {
        const parsed = parseJsonBody(body);
        const accessKey = accessKeyOf(firstHeader(request.headers.authorization));
        const result =
          parsed === undefined
            ? NOT_JSON
            : ((await deniedJson('states', label, accessKey, region, parsed)) ??
              (await sfn.handle(label, parsed, { region })));
        status = result.status;
        text = JSON.stringify(result.body);
        saveSoon();
      }
    } else if (target?.startsWith('Logs_20140328.')) {
      label = `logs:${target.slice('Logs_20140328.'.length)}`;
      models.countCall(region, label);
      contentType = 'application/x-amz-json-1.1';
      const parsed = parseJsonBody(body);
      const operation = label.slice('logs:'.length);
      const accessKey = accessKeyOf(firstHeader(request.headers.authorization));
      const result =
        parsed === undefined
          ? NOT_JSON
          : ((await deniedJson('logs', operation, accessKey, region, parsed)) ??
            logs.handle(operation, parsed, { region, account }));
      status = result.status;
      text = JSON.stringify(result.body);
    } else {
      const action = new URLSearchParams(body).get('Action') ?? '';
      label = action;
      if (action === 'GetCallerIdentity' || scope.service === 'sts') {
        models.countCall(region, `sts:${action}`);
        const caller = callerOf(accessKeyOf(firstHeader(request.headers.authorization)), region);
        const known = action === 'GetCallerIdentity';
        const params = new URLSearchParams(body);
        const answer =
          action === 'AssumeRole'
            ? await sts.assumeRole(params, caller, requestId)
            : action === 'DecodeAuthorizationMessage'
              ? await sts.decodeAuthorizationMessage(params, caller, requestId)
              : undefined;
        status = answer?.status ?? (known ? 200 : 400);
        text = answer
          ? answer.body
          : known
            ? callerIdentityXml(caller)
            : `<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>Could not find operation ${action} for version 2011-06-15</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
      } else if (external) {
        status = 400;
        text = errorXml(
          new Ec2Error(
            'InvalidAction',
            `EC2 is served by ${options.ec2Endpoint} for this local AWS, not here.`,
          ),
          requestId,
        );
      } else if (models.taskCrashed && origin && isMutatingAction(action)) {
        // The task process has died (crash model): its writes never arrive.
        models.count('refused');
        request.socket.destroy();
        return;
      } else {
        const accessKey = accessKeyOf(firstHeader(request.headers.authorization));
        const result = await ec2.handle({ body, region, requestId, accessKey });
        status = result.status;
        text = result.body;
        if (status === 200 && /^(Create|Replace|Delete)/.test(action)) {
          saveSoon();
          // The write is in the kernel before the API answers (DataPlaneOptions.propagationMs aside).
          await dataPlane?.sync();
        }
      }
    }
    if (delay > 0) await sleep(delay / 2);
    log(`${region} ${label} ${status}${origin && origin !== region ? ` from ${origin}` : ''}`);
    send(response, status, text, contentType, requestId);
  }

  async function route(request: http.IncomingMessage, response: http.ServerResponse) {
    const path = (request.url ?? '/').split('?')[0]!;
    const method = request.method ?? 'GET';
    if (path === '/_local/data-plane' && method === 'GET') {
      await readBody(request);
      const body = dataPlane
        ? dataPlane.view()
        : { error: 'this local AWS runs without a data plane: start it with --data-plane (as root)' };
      send(response, dataPlane ? 200 : 404, JSON.stringify(body), 'application/json');
      return;
    }
    if (path.startsWith('/_local/') || path === '/_local') {
      const result = await handleControl(method, path, await readBody(request), {
        world,
        models,
        imds,
        iam,
        sts,
        reset,
      });
      if (method !== 'GET') {
        saveSoon();
        await dataPlane?.sync();
      }
      send(response, result.status, JSON.stringify(result.body), 'application/json');
      return;
    }
    if (path.startsWith('/latest/') || path.startsWith('/_imds/')) {
      await readBody(request);
      const result = imds.handle({ method, path, headers: request.headers });
      response.writeHead(result.status, { 'content-type': 'text/plain', ...result.headers });
      response.end(result.body);
      return;
    }
    if (scopeOf(firstHeader(request.headers.authorization)).service === 's3') {
      await objectApi(request, response, method, path);
      return;
    }
    await api(request, response);
  }

  /** S3, path-style: the run buckets. */
  async function objectApi(
    request: http.IncomingMessage,
    response: http.ServerResponse,
    method: string,
    path: string,
  ) {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const region = scopeOf(firstHeader(request.headers.authorization)).region ?? DEFAULT_REGION;
    if (models.isDown(region)) {
      models.count('refused');
      request.socket.destroy();
      return;
    }
    models.countCall(region, `s3:${method}`);
    const denied = await deniedObject(
      method,
      path,
      accessKeyOf(firstHeader(request.headers.authorization)),
      region,
    );
    const result =
      denied ??
      s3.handle({
        method,
        path,
        headers: request.headers,
        body: Buffer.concat(chunks),
        requestId: randomUUID(),
      });
    if (method === 'PUT' && result.status === 200) saveSoon();
    log(`${region} s3 ${method} ${path} ${result.status}`);
    response.writeHead(result.status, {
      'content-length': String(result.body.length),
      ...result.headers,
    });
    response.end(result.body);
  }

  /** S3's AccessDenied (HTTP 403) when IAM refuses the request, else undefined. */
  async function deniedObject(method: string, path: string, accessKey: string | undefined, region: string) {
    const [bucket = '', ...rest] = path.replace(/^\//, '').split('/');
    const key = decodeURIComponent(rest.join('/'));
    const action =
      key === ''
        ? 'ListBucket'
        : method === 'PUT'
          ? 'PutObject'
          : method === 'DELETE'
            ? 'DeleteObject'
            : 'GetObject';
    const s3Partition = partitionOf(region);
    const resources = await resourcesOf('s3', action, (type) =>
      type.name === 'object'
        ? `arn:${s3Partition}:s3:::${bucket}/${key}`
        : type.name === 'bucket'
          ? `arn:${s3Partition}:s3:::${bucket}`
          : undefined,
    );
    const refusal = await iam.evaluate({
      principal: callerOf(accessKey, region),
      action: `s3:${action}`,
      resources,
    });
    if (!refusal) return undefined;
    const message = accessDeniedMessage(refusal.principal.arn, `s3:${action}`, refusal.resource);
    return {
      status: 403,
      headers: { 'content-type': 'application/xml' },
      body: Buffer.from(
        method === 'HEAD'
          ? ''
          : `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>${message}</Message><RequestId>${randomUUID()}</RequestId></Error>`,
      ),
    };
  }

  const reset = () => {
    world.restore(seed().snapshot());
    models.reset();
    iam.reset();
    logs.reset();
  };

  const server = http.createServer((request, response) => {
    route(request, response).catch((error: unknown) => {
      log(`local AWS: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      if (!response.headersSent)
        send(response, 500, JSON.stringify({ error: String(error) }), 'application/json');
      else response.destroy();
    });
  });
  server.on('connection', () => models.count('newConnections'));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 4566, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 4566);
  url = `http://127.0.0.1:${port}`;

  try {
    if (sfn) {
      for (const cluster of clusters) await sfn.createClusterStateMachines(cluster);
      if (saved?.sfn !== undefined) sfn.restore(saved.sfn);
    }
    if (options.dataPlane) dataPlane = await DataPlane.start(topology, world, { log, ...options.dataPlane });
  } catch (error) {
    await sfn?.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    throw error;
  }
  log(`local AWS on ${url} (account ${account}${external ? `, EC2 at ${options.ec2Endpoint}` : ''})`);
  const timer = options.statePath ? setInterval(saveSoon, 1000) : undefined;
  timer?.unref();

  return {
    url,
    port,
    account,
    world,
    models,
    imds,
    iam,
    sts,
    sfn,
    s3,
    logs,
    dataPlane,
    save,
    async close() {
      if (timer) clearInterval(timer);
      await sfn?.close();
      await dataPlane?.close();
      await save();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
