/**
 * Builds the AWS clients vipctl needs, once per command: EC2 through tasks/ec2/clients.ts, Step Functions
 * per region, STS for the account. Endpoints come from --endpoint-url, else from the SDK's own
 * AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE> handling, which is deliberately not reimplemented.
 */
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { SFNClient } from '@aws-sdk/client-sfn';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { Ec2ClientFor } from '../../tasks/ec2/clients';
import { regionsOf } from '../../tasks/routing';
import type { RecordReader } from '../../tasks/run-store';
import type { Topology } from '../../tasks/topology';
import type { GlobalOptions } from '../core/globals';
import { agentFactory, configuredProxies } from './network';

export interface AwsClients {
  /**
   * EC2 clients per region, built on first use with the same credentials as the other clients.
   * `budgetMs` is each call's retry budget: short for monitors (the default, 5 s), longer for a
   * direct run's writes, which must outlast throttling like the task function's.
   */
  ec2(budgetMs?: number): Promise<Ec2ClientFor>;
  readonly sfn: (region: string) => SFNClient;
  /**
   * Step Functions clients that give up within about two seconds and do not retry: a direct run's
   * stale-run guard asks them before every step, and must not wait out an outage each time.
   */
  readonly quickSfn: (region: string) => SFNClient;
  /**
   * The topology's `account`, else the caller's account from STS (asked once), in `region` when
   * given: the region the caller is about to call, so that a node in a private subnet needs only its
   * own region's STS endpoint.
   */
  account(region?: string): Promise<string>;
  /** Reads the stored records of large runs from each region's run bucket (S3, loaded on first use). */
  records(): Promise<RecordReader>;
  /**
   * A CloudWatch Logs client for `region` that tries once and gives up within about two seconds:
   * direct runs send their record with it, and never wait on it (cli/runs/run-log.ts).
   */
  logs(region: string): Promise<CloudWatchLogsClient>;
  /** The profile in use, to name it in credential errors. */
  readonly profile: string | undefined;
  /** The proxies the environment configures (HTTPS_PROXY, ...), to name them when AWS is unreachable. */
  readonly proxies: readonly string[];
}

const LOCAL = /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?(\/|$)/i;
const ENDPOINT_VARIABLES = [
  'AWS_ENDPOINT_URL',
  'AWS_ENDPOINT_URL_EC2',
  'AWS_ENDPOINT_URL_SFN',
  'AWS_ENDPOINT_URL_STS',
  'AWS_ENDPOINT_URL_S3',
  'AWS_ENDPOINT_URL_CLOUDWATCH_LOGS',
];

/** True when calls go to an emulator on this machine (an explicit or environment endpoint on loopback). */
export function targetsLocalAws(globals: GlobalOptions, env: Record<string, string | undefined>): boolean {
  const endpoints = [globals.endpointUrl, ...ENDPOINT_VARIABLES.map((v) => env[v])].filter(
    Boolean,
  ) as string[];
  return endpoints.length > 0 && endpoints.every((e) => LOCAL.test(e));
}

/**
 * Local AWS accepts any signature, but the SDK still needs credentials to sign with. When nothing is
 * configured, sign with static dummy ones instead of letting the SDK fall back to instance metadata;
 * keys in the environment vipctl was given are used as they are (local AWS knows its principals by
 * them, local/iam/principals.ts).
 */
export function localCredentials(globals: GlobalOptions, env: Record<string, string | undefined>) {
  if (!targetsLocalAws(globals, env) || globals.profile) return undefined;
  return env.AWS_ACCESS_KEY_ID
    ? { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? 'test' }
    : { accessKeyId: 'test', secretAccessKey: 'test' };
}

export function createAwsClients(
  globals: GlobalOptions,
  env: Record<string, string | undefined>,
  topology: Topology,
): AwsClients {
  const credentials = localCredentials(globals, env);
  const agents = agentFactory(env);
  const common = {
    ...(globals.endpointUrl ? { endpoint: globals.endpointUrl } : {}),
    ...(credentials ? { credentials } : {}),
    ...(globals.profile && !credentials ? { profile: globals.profile } : {}),
    maxAttempts: 3,
    // A provider: the agents (and proxy-agent, when a proxy is set) are built on the first call.
    requestHandler: new NodeHttpHandler(async () => ({
      ...(await agents(50)),
      connectionTimeout: 3000,
      requestTimeout: 15_000,
      throwOnRequestTimeout: true,
    })),
  };
  const sfnClients = new Map<string, SFNClient>();
  const sfn = (region: string): SFNClient => {
    let client = sfnClients.get(region);
    if (!client) {
      client = new SFNClient({ ...common, region });
      sfnClients.set(region, client);
    }
    return client;
  };
  /** One short attempt's handler, for calls that must never hold a command up: 1 s to connect, 2 s per request. */
  const quickHandler = () =>
    new NodeHttpHandler(async () => ({
      ...(await agents(50)),
      connectionTimeout: 1000,
      requestTimeout: 2000,
      throwOnRequestTimeout: true,
    }));
  const quickClients = new Map<string, SFNClient>();
  const quickSfn = (region: string): SFNClient => {
    let client = quickClients.get(region);
    if (!client) {
      client = new SFNClient({
        ...common,
        region,
        maxAttempts: 1,
        requestHandler: quickHandler(),
      });
      quickClients.set(region, client);
    }
    return client;
  };
  let account: Promise<string> | undefined;
  const ec2 = new Map<number, Promise<Ec2ClientFor>>();
  let records: Promise<RecordReader> | undefined;
  return {
    ec2(budgetMs = 5000) {
      const built = ec2.get(budgetMs);
      if (built) return built;
      const building = (async () => {
        // tasks/ec2/clients.ts takes static credentials only: resolve --profile through the SDK's own chain
        // (SSO, assume-role, ...) once, so that EC2 calls run as the same identity as the others.
        const resolved =
          credentials ??
          (globals.profile
            ? await sfn(regionsOf(topology)[0] ?? 'us-east-1').config.credentials()
            : undefined);
        // Imported here: @aws-sdk/client-ec2 is the largest module vipctl loads, and failover,
        // rollback, runs and show never call EC2.
        const { ec2ClientFor } = await import('../../tasks/ec2/clients');
        return ec2ClientFor({
          ...(globals.endpointUrl ? { endpoint: globals.endpointUrl } : {}),
          // Tables of other accounts: their access roles, through STS at the same endpoint override.
          assumeRole: {
            ...(globals.endpointUrl ? { endpoint: globals.endpointUrl } : {}),
            ...(globals.region ? { region: globals.region } : {}),
          },
          ...(resolved ? { credentials: resolved } : {}),
          budgetMs,
          agents,
        });
      })();
      ec2.set(budgetMs, building);
      return building;
    },
    sfn,
    quickSfn,
    records() {
      records ??= (async () => {
        // Imported here: only show and rollback of a large run read its record.
        const { s3RecordReader } = await import('../../tasks/run-store');
        return s3RecordReader({
          ...common,
          // An emulator on this machine serves buckets path-style, on its own address.
          forcePathStyle: targetsLocalAws(globals, env),
        });
      })();
      return records;
    },
    async logs(region) {
      // Imported here: only a direct run sends anything to CloudWatch Logs.
      const { CloudWatchLogsClient } = await import('@aws-sdk/client-cloudwatch-logs');
      return new CloudWatchLogsClient({
        ...common,
        region,
        maxAttempts: 1,
        requestHandler: quickHandler(),
      });
    },
    profile: globals.profile,
    proxies: configuredProxies(env),
    account(hint) {
      if (topology.account) return Promise.resolve(topology.account);
      account ??= (async () => {
        const region = globals.region ?? hint ?? env.AWS_REGION ?? regionsOf(topology)[0] ?? 'us-east-1';
        // Imported here: most topologies name their account, and then STS is never needed.
        const { GetCallerIdentityCommand, STSClient } = await import('@aws-sdk/client-sts');
        const sts = new STSClient({ ...common, region });
        const identity = await sts.send(new GetCallerIdentityCommand({}));
        if (!identity.Account) throw new Error('STS GetCallerIdentity returned no account');
        return identity.Account;
      })();
      // A failed answer is not kept: the next call may ask another region's STS (a start falling back).
      const pending = account;
      pending.catch(() => {
        if (account === pending) account = undefined;
      });
      return account;
    },
  };
}
