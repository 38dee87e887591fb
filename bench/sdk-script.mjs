// Baseline 3, the strongest naive script: one Node.js process, one EC2 client per region with the
// SDK's keep-alive connections, the route changes made one after another. Input: a JSON file
// { endpoint, origin, changes: [{ kind, region, table, vip, target }] }. The origin header tells local
// AWS which region the script runs in (the cluster node's), for its latency model.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { EC2Client, ReplaceRouteCommand, ReplaceTransitGatewayRouteCommand } from '@aws-sdk/client-ec2';
import { NodeHttpHandler } from '@smithy/node-http-handler';

const { endpoint, origin, originHeader, maxAttempts, changes } = JSON.parse(
  readFileSync(process.argv[2], 'utf8'),
);
const clients = new Map();
const clientOf = (region) => {
  let client = clients.get(region);
  if (!client) {
    client = new EC2Client({
      region,
      endpoint,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts,
      requestHandler: new NodeHttpHandler({ httpAgent: new http.Agent({ keepAlive: true }) }),
    });
    client.middlewareStack.add(
      (next) => async (args) => {
        args.request.headers[originHeader] = origin;
        return next(args);
      },
      { step: 'build', name: 'benchOrigin' },
    );
    clients.set(region, client);
  }
  return client;
};

let attempts = 0;
for (const change of changes) {
  const command =
    change.kind === 'vpc'
      ? new ReplaceRouteCommand({
          RouteTableId: change.table,
          ...(change.vip.includes(':')
            ? { DestinationIpv6CidrBlock: change.vip }
            : { DestinationCidrBlock: change.vip }),
          ...(change.target.startsWith('eni-')
            ? { NetworkInterfaceId: change.target }
            : { TransitGatewayId: change.target }),
        })
      : new ReplaceTransitGatewayRouteCommand({
          TransitGatewayRouteTableId: change.table,
          DestinationCidrBlock: change.vip,
          TransitGatewayAttachmentId: change.target,
        });
  // The SDK retries throttling itself (up to maxAttempts, within its retry quota); past that the
  // script waits a second and sends again, as a script that must not give up does. EC2 answers a
  // throttled request RequestLimitExceeded:
  // https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html
  for (;;) {
    try {
      const output = await clientOf(change.region).send(command);
      attempts += output.$metadata.attempts ?? 1;
      break;
    } catch (error) {
      if (error?.name !== 'RequestLimitExceeded' && !/retry token|capacity/i.test(String(error?.message)))
        throw error;
      attempts += error.$metadata?.attempts ?? 1;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}
for (const client of clients.values()) client.destroy();
process.stdout.write(`${JSON.stringify({ calls: changes.length, attempts })}\n`);
