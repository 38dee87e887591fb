/**
 * Instance metadata (IMDSv2) for the topology's nodes, so `vipctl --to self` and resource agents work
 * against local AWS without touching 169.254.169.254: PUT /latest/api/token, then GET with the token
 * the paths the project and resource agents (aws-vpc-move-ip, EXPRESSCLUSTER's AWS Virtual IP) read:
 * instance-id, mac, network/interfaces/macs/<mac>/interface-id (and its siblings), local-ipv4,
 * placement/region, placement/availability-zone. `/latest/*` answers for the "self" node (settable);
 * `/_imds/<node>/latest/*` answers for that node.
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-instance-metadata-service.html
 * Paths: https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-instance-metadata.html#instancedata-data-categories
 *
 * As an instance with IMDSv2 required (HttpTokens=required): a token comes from PUT /latest/api/token
 * with `X-aws-ec2-metadata-token-ttl-seconds` of 1 second to 6 hours (21,600), and the answer echoes
 * that header; every GET must carry a live token
 * (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instance-metadata-v2-how-it-works.html). The
 * statuses for a bad TTL (400) and a missing or expired token (401) are those of the EC2 User Guide's
 * "Retrieve instance metadata" page (instancedata-data-retrieval.html), not confirmed from a stored copy.
 * A client asks local AWS at its 127.0.0.1 address through AWS_EC2_METADATA_SERVICE_ENDPOINT; the SDK's
 * MetadataService always PUTs the token at `/latest/api/token` of the endpoint's host, so a token is
 * good for every node's `/_imds/<node>/` paths.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Topology } from '../tasks/topology';
import type { LocalWorld } from './world';

export interface ImdsRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

export interface ImdsResponse {
  readonly status: number;
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
}

const header = (headers: ImdsRequest['headers'], name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};

export class LocalImds {
  private self: string | null;
  private readonly tokens = new Map<string, number>();

  constructor(
    private readonly topology: Topology,
    self: string | null,
    private readonly now: () => number = Date.now,
    /** The EC2 world the nodes' addresses and zones come from; without it those paths answer 404. */
    private readonly world?: LocalWorld,
  ) {
    this.self = self;
  }

  get selfNode(): string | null {
    return this.self;
  }

  setSelf(node: string): void {
    if (!this.topology.nodes[node]) throw new Error(`node ${node} is not in the topology`);
    this.self = node;
  }

  /** Handles `/latest/*` (node undefined = self) or `/_imds/<node>/latest/*`. */
  handle(request: ImdsRequest): ImdsResponse {
    const scoped = /^\/_imds\/([^/]+)(\/latest\/.*)$/.exec(request.path);
    const node = scoped ? scoped[1]! : this.self;
    const path = scoped ? scoped[2]! : request.path;
    if (path === '/latest/api/token') return this.token(request);
    if (request.method !== 'GET') return { status: 405, body: '' };
    const token = header(request.headers, 'x-aws-ec2-metadata-token');
    const expires = token ? this.tokens.get(token) : undefined;
    if (expires === undefined || expires < this.now()) return { status: 401, body: '' };
    const described = node ? this.topology.nodes[node] : undefined;
    const vpc = described ? this.topology.vpcs[described.vpc] : undefined;
    if (!described || !vpc) return { status: 404, body: '' };
    const instance = this.world?.region(vpc.region).instances[described.instance];
    const eni = this.world?.region(vpc.region).networkInterfaces[described.eni];
    const mac = macOf(described.eni);
    const found = (body: string | undefined): ImdsResponse =>
      body === undefined ? { status: 404, body: '' } : { status: 200, body };
    const macPath = /^\/latest\/meta-data\/network\/interfaces\/macs\/([^/]+)\/(.*)$/.exec(path);
    if (macPath) {
      // Only the node's primary interface (device 0) is modelled.
      if (macPath[1] !== mac) return { status: 404, body: '' };
      const fields: Record<string, string | undefined> = {
        'interface-id': described.eni,
        mac,
        'device-number': '0',
        'local-ipv4s': eni?.privateIp,
        'subnet-id': eni?.subnetId,
        'vpc-id': vpc.id,
        'vpc-ipv4-cidr-block': vpc.cidr,
      };
      if (macPath[2] === '') return found(Object.keys(fields).join('\n'));
      return found(fields[macPath[2]!]);
    }
    switch (path) {
      case '/latest/meta-data/instance-id':
        return { status: 200, body: described.instance };
      case '/latest/meta-data/mac':
        return { status: 200, body: mac };
      case '/latest/meta-data/network/interfaces/macs/':
        return { status: 200, body: `${mac}/` };
      case '/latest/meta-data/local-ipv4':
        return found(instance?.privateIp);
      case '/latest/meta-data/placement/region':
        return { status: 200, body: vpc.region };
      case '/latest/meta-data/placement/availability-zone':
        return found(instance?.availabilityZone ?? (this.world ? undefined : `${vpc.region}a`));
      case '/latest/dynamic/instance-identity/document':
        return {
          status: 200,
          body: JSON.stringify({
            instanceId: described.instance,
            region: vpc.region,
            accountId: this.topology.account,
          }),
        };
      default:
        return { status: 404, body: '' };
    }
  }

  private token(request: ImdsRequest): ImdsResponse {
    if (request.method !== 'PUT') return { status: 405, body: '' };
    const ttl = Number(header(request.headers, 'x-aws-ec2-metadata-token-ttl-seconds'));
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > 21600) return { status: 400, body: '' };
    const token = randomBytes(24).toString('base64url');
    this.tokens.set(token, this.now() + ttl * 1000);
    return { status: 200, body: token, headers: { 'x-aws-ec2-metadata-token-ttl-seconds': String(ttl) } };
  }
}

/**
 * The MAC address of a node's primary interface. AWS assigns it; local AWS derives a stable one from the
 * ENI ID, locally administered and unicast (first octet 02), in IMDS's lower-case colon form.
 */
export function macOf(eni: string): string {
  const bytes = createHash('sha256').update(eni).digest().subarray(0, 5);
  return ['02', ...[...bytes].map((b) => b.toString(16).padStart(2, '0'))].join(':');
}
