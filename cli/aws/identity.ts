/**
 * `self`: which topology node this machine is, asked of the EC2 instance metadata service (IMDSv2)
 * through the SDK's own client, `@aws-sdk/ec2-metadata-service` (MetadataService): a session token
 * (PUT /latest/api/token with its TTL header), then each path with that token, retried with backoff.
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instance-metadata-v2-how-it-works.html
 *
 * The endpoint: AWS_EC2_METADATA_SERVICE_ENDPOINT when set (tests and the demo point it at local AWS
 * on 127.0.0.1), else `http://[fd00:ec2::254]` with AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6 (an
 * IPv6-only node), else the SDK's own resolution (the config file's `ec2_metadata_service_endpoint`,
 * then `http://169.254.169.254`). Settings: https://docs.aws.amazon.com/sdkref/latest/guide/feature-imds-credentials.html
 * The endpoint mode is resolved here because MetadataService (3.1164) reads only the endpoint setting,
 * never the mode, and reads process.env rather than the environment vipctl was given.
 *
 * The SDK module is imported when `self` is resolved, never at start-up: `vipctl --help` loads no SDK.
 */
import type { Topology } from '../../tasks/topology';
import { usageError } from '../core/cli-error';
import { requireNode } from '../core/config';

export interface InstanceIdentity {
  readonly instanceId: string;
  readonly region: string;
}

/** The IPv6 address of the metadata service (Nitro instances in an IPv6-enabled subnet). */
export const IMDS_IPV6_ENDPOINT = 'http://[fd00:ec2::254]';

/**
 * Each metadata request's time limit: AWS_METADATA_SERVICE_TIMEOUT seconds, the AWS SDKs' and CLI's
 * setting (a number >= 1, default 1 s; https://docs.aws.amazon.com/sdkref/latest/guide/feature-ec2-instance-metadata.html).
 * MetadataService (3.1164) does not read it. A value that is not such a number is ignored: the default is safe.
 */
export function metadataTimeoutMs(env: Record<string, string | undefined>): number {
  const seconds = Number(env.AWS_METADATA_SERVICE_TIMEOUT);
  return Number.isFinite(seconds) && seconds >= 1 ? seconds * 1000 : 1000;
}

export interface IdentityOptions {
  /** Milliseconds each connection and request may take. @default AWS_METADATA_SERVICE_TIMEOUT, else 1000 */
  readonly timeoutMs?: number;
  /**
   * Waits between retries; the delay follows the SDK's default schedule (1.2^n seconds).
   * @default setTimeout
   */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** The endpoint `self` asks, or undefined to leave it to the SDK (config file, then 169.254.169.254). */
export function metadataEndpoint(env: Record<string, string | undefined>): string | undefined {
  const configured = env.AWS_EC2_METADATA_SERVICE_ENDPOINT;
  if (configured) return configured;
  const mode = env.AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE;
  if (mode === undefined || mode === '' || mode.toLowerCase() === 'ipv4') return undefined;
  if (mode.toLowerCase() === 'ipv6') return IMDS_IPV6_ENDPOINT;
  throw usageError(
    `AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE is ${JSON.stringify(mode)}`,
    'set it to IPv4 or IPv6, or set AWS_EC2_METADATA_SERVICE_ENDPOINT to the metadata service URL',
  );
}

/** Reads the instance ID and region through IMDSv2. */
export async function instanceIdentity(
  env: Record<string, string | undefined>,
  options: IdentityOptions = {},
): Promise<InstanceIdentity> {
  const endpoint = metadataEndpoint(env);
  if (!endpoint && env.AWS_EC2_METADATA_DISABLED?.toLowerCase() === 'true') {
    throw usageError(
      '`self` needs the EC2 instance metadata service, and AWS_EC2_METADATA_DISABLED=true turns it off',
      'name the node instead (e.g. --to server-a), or set AWS_EC2_METADATA_SERVICE_ENDPOINT',
    );
  }
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const { MetadataService } = await import('@aws-sdk/ec2-metadata-service');
  const imds = new MetadataService({
    // MetadataService requests `<endpoint path><path>`: with the endpoint ending in `/` and paths
    // without a leading one, both `http://[fd00:ec2::254]` and `<local AWS>/_imds/<node>` get single slashes.
    ...(endpoint ? { endpoint: endpoint.endsWith('/') ? endpoint : `${endpoint}/` } : {}),
    ...(env.AWS_PROFILE ? { profile: env.AWS_PROFILE } : {}),
    httpOptions: { timeout: options.timeoutMs ?? metadataTimeoutMs(env) },
    // IMDSv2 only: a node that cannot get a token does not fall back to tokenless IMDSv1 requests.
    ec2MetadataV1Disabled: true,
    // The SDK's default retry count (3) and schedule, slept through the CLI's clock.
    backoff: (failures) => sleep(1000 * 1.2 ** failures),
  });
  const get = async (path: string) => (await imds.request(`latest/meta-data/${path}`, {})).trim();
  try {
    const [instanceId, region] = await Promise.all([get('instance-id'), get('placement/region')]);
    return { instanceId, region };
  } catch (cause) {
    throw usageError(
      `\`self\` needs the EC2 instance metadata service, which did not answer at ${endpoint ?? 'its default address'}: this does not look like an EC2 instance`,
      'run on a cluster node, or name the node instead (e.g. --to server-a)',
      { cause },
    );
  }
}

/** The topology node this instance is. */
export function nodeOfInstance(topology: Topology, identity: InstanceIdentity): string {
  const found = Object.entries(topology.nodes).find(([, node]) => node.instance === identity.instanceId);
  if (!found) {
    throw usageError(
      `this instance (${identity.instanceId} in ${identity.region}) is not a node of cluster ${topology.cluster}`,
      `the topology's nodes are: ${Object.entries(topology.nodes)
        .map(([name, node]) => `${name} (${node.instance})`)
        .join(', ')}`,
    );
  }
  return found[0];
}

/** A node name from a flag: `self` is resolved through instance metadata, others must be in the topology. */
export async function resolveNode(
  topology: Topology,
  value: string,
  flag: string,
  env: Record<string, string | undefined>,
  options: IdentityOptions = {},
): Promise<string> {
  if (value === 'self' && !topology.nodes.self)
    return nodeOfInstance(topology, await instanceIdentity(env, options));
  return requireNode(topology, value, flag);
}
