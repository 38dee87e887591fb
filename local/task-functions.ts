/**
 * Local AWS's Lambda side: the task function (`vip-failover-<cluster>-tasks`, workflow/stack.ts) as
 * deployed in each region, run in this process. Its clients are the deployed function's (timeouts,
 * retries), pointed at local AWS, signed with the task role's key so that IAM evaluates them against the
 * task role's policy, and tagged with the region they run in for the cross-region latency model. Its
 * run store is its cluster's run bucket in that region.
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import { S3Client } from '@aws-sdk/client-s3';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { BuildHandler } from '@smithy/types';
import { type SfnClientOptions, sfnClientFor, type TaskDeps } from '../tasks/deps';
import { type Ec2ClientFor, type Ec2ClientOptions, ec2ClientFor } from '../tasks/ec2/clients';
import { createTaskHandler } from '../tasks/handlers/main';
import { S3_CLIENT_DEFAULTS, s3RunStore } from '../tasks/run-store';
import { TASK_ROLE_ACCESS_KEY } from './iam/principals';
import type { LocalS3 } from './s3/service';

const DUMMY_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' } as const;
/** The task function's credentials: IAM evaluates the calls signed with them against the task role's policy. */
const TASK_ROLE_CREDENTIALS = { accessKeyId: TASK_ROLE_ACCESS_KEY, secretAccessKey: 'test' } as const;

/** The run bucket of a cluster's stack in one region, as local AWS names it (CloudFormation generates the real name). */
export const localRunBucket = (cluster: string, region: string): string => `vipfailover-${cluster}-${region}`;
/** Header the task handlers' clients add: the region they run in, for the cross-region latency model. */
export const ORIGIN_HEADER = 'x-local-origin-region';

/** The task function's name in its ARN: `vip-failover-<cluster>-tasks` (workflow/stack.ts tasksFunctionName). */
const TASKS_FUNCTION = /:function:vip-failover-([a-z0-9-]+)-tasks$/;

/** Adds the origin-region header to every request a client sends (once per client). */
function tagged<C extends EC2Client | SFNClient>(client: C, origin: string, done: WeakSet<object>): C {
  if (done.has(client)) return client;
  done.add(client);
  const middleware =
    <I extends object, O extends object>(next: BuildHandler<I, O>): BuildHandler<I, O> =>
    async (args) => {
      const request = args.request;
      if (typeof request === 'object' && request !== null && 'headers' in request) {
        (request.headers as Record<string, string>)[ORIGIN_HEADER] = origin;
      }
      return next(args);
    };
  (client.middlewareStack as EC2Client['middlewareStack']).add(middleware, {
    step: 'build',
    name: 'localOriginRegion',
  });
  return client;
}

/** What Lambda reports when the function's runtime process dies mid-invocation. */
export function taskCrashError(): Error {
  const error = new Error('Runtime exited with error: signal: killed (local AWS task crash model)');
  error.name = 'Runtime.ExitError';
  return error;
}

export interface TaskFunctionsOptions {
  /** The cluster whose function an ARN that names none belongs to. */
  readonly cluster: string;
  /** Local AWS's own URL, known once it listens. */
  readonly endpoint: () => string;
  /** An EC2 endpoint other than local AWS's (an external emulator): dummy credentials, no IAM. */
  readonly ec2Endpoint?: string;
  readonly s3: LocalS3;
  readonly taskEc2?: Omit<Ec2ClientOptions, 'endpoint' | 'credentials'>;
  readonly taskSfn?: Omit<SfnClientOptions, 'endpoint' | 'credentials'>;
  readonly taskGuard?: TaskDeps['guard'];
}

/**
 * The task function `functionArn` as deployed in `region`, one handler per region and cluster, made on
 * its first invocation.
 */
export function createTaskFunctions(
  options: TaskFunctionsOptions,
): (region: string, functionArn: string) => (event: unknown) => Promise<unknown> {
  const handlers = new Map<string, (event: unknown) => Promise<unknown>>();
  const taggedClients = new WeakSet<object>();
  const external = options.ec2Endpoint !== undefined;
  return (region, functionArn) => {
    const cluster = TASKS_FUNCTION.exec(functionArn)?.[1] ?? options.cluster;
    const key = `${region}|${cluster}`;
    let handler = handlers.get(key);
    if (!handler) {
      const url = options.endpoint();
      const baseEc2 = ec2ClientFor({
        ...options.taskEc2,
        endpoint: options.ec2Endpoint ?? url,
        credentials: external ? DUMMY_CREDENTIALS : TASK_ROLE_CREDENTIALS,
        // The function's STS endpoint is its own region's (tasks/ec2/assume-role.ts).
        assumeRole: { endpoint: url, region },
      });
      const ec2For: Ec2ClientFor = (target, access) => tagged(baseEc2(target, access), region, taggedClients);
      // The deployed function's Step Functions clients (timeouts, retries), pointed here.
      const baseSfn = sfnClientFor({ ...options.taskSfn, endpoint: url, credentials: TASK_ROLE_CREDENTIALS });
      const sfnFor = (target: string) => tagged(baseSfn(target), region, taggedClients);
      const bucket = localRunBucket(cluster, region);
      options.s3.ensureBucket(bucket);
      const s3Client = new S3Client({
        ...S3_CLIENT_DEFAULTS,
        region,
        endpoint: url,
        forcePathStyle: true,
        credentials: TASK_ROLE_CREDENTIALS,
      });
      handler = createTaskHandler({
        ec2: ec2For,
        sfn: sfnFor,
        store: s3RunStore(bucket, s3Client),
        now: () => new Date(),
        ...(options.taskGuard ? { guard: options.taskGuard } : {}),
      });
      handlers.set(key, handler);
    }
    return handler;
  };
}
