/**
 * `self`: which topology node this machine is, asked of the EC2 instance metadata service (IMDSv2).
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instancedata-data-retrieval.html
 * The endpoint honours AWS_EC2_METADATA_SERVICE_ENDPOINT, so tests and the demo use local AWS.
 */
import type { Topology } from '../tasks/topology';
import { usageError } from './cli-error';
import { requireNode } from './config';

export interface InstanceIdentity {
  readonly instanceId: string;
  readonly region: string;
}

const DEFAULT_ENDPOINT = 'http://169.254.169.254';

/** Reads the instance ID and region through IMDSv2; each request may take at most `timeoutMs`. */
export async function instanceIdentity(
  env: Record<string, string | undefined>,
  timeoutMs = 1000,
): Promise<InstanceIdentity> {
  const configured = env.AWS_EC2_METADATA_SERVICE_ENDPOINT;
  if (!configured && env.AWS_EC2_METADATA_DISABLED?.toLowerCase() === 'true') {
    throw usageError(
      '`self` needs the EC2 instance metadata service, and AWS_EC2_METADATA_DISABLED=true turns it off',
      'name the node instead (e.g. --to server-a), or set AWS_EC2_METADATA_SERVICE_ENDPOINT',
    );
  }
  const endpoint = (configured ?? DEFAULT_ENDPOINT).replace(/\/+$/, '');
  try {
    const tokenResponse = await fetch(`${endpoint}/latest/api/token`, {
      method: 'PUT',
      headers: { 'X-aws-ec2-metadata-token-ttl-seconds': '60' },
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!tokenResponse.ok) throw new Error(`token request answered HTTP ${tokenResponse.status}`);
    const token = await tokenResponse.text();
    const get = async (path: string) => {
      const response = await fetch(`${endpoint}/latest/meta-data/${path}`, {
        headers: { 'X-aws-ec2-metadata-token': token },
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!response.ok) throw new Error(`${path} answered HTTP ${response.status}`);
      return (await response.text()).trim();
    };
    const [instanceId, region] = await Promise.all([get('instance-id'), get('placement/region')]);
    return { instanceId, region };
  } catch (cause) {
    throw usageError(
      `\`self\` needs the EC2 instance metadata service, which did not answer at ${endpoint}: this does not look like an EC2 instance`,
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
): Promise<string> {
  if (value === 'self' && !topology.nodes.self) return nodeOfInstance(topology, await instanceIdentity(env));
  return requireNode(topology, value, flag);
}
