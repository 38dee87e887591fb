/**
 * A reverse proxy on 127.0.0.1 that stamps every request with the region it comes from (local AWS's
 * origin header), for clients that cannot add a header themselves: the AWS CLI. Local AWS's latency
 * model charges a request by its origin and target regions, so the AWS CLI run "on the cluster node"
 * pays the same cross-region round trips as the task function and the SDK script do.
 *
 * Each request goes upstream on a connection of its own (no keep-alive): the AWS CLI sends one request
 * per process, so every call still opens a new connection to local AWS and pays its TLS setup there.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ORIGIN_HEADER } from '../local/index';

export interface OriginProxy {
  readonly url: string;
  close(): Promise<void>;
}

export async function startOriginProxy(upstream: string, origin: string): Promise<OriginProxy> {
  const target = new URL(upstream);
  const server = http.createServer((request, response) => {
    const forwarded = http.request(
      {
        host: target.hostname,
        port: target.port,
        method: request.method,
        path: request.url,
        headers: { ...request.headers, [ORIGIN_HEADER]: origin },
        agent: false,
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    forwarded.on('error', () => request.socket.destroy());
    request.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
