/**
 * A forward HTTP proxy on 127.0.0.1 for the proxy tests. It maps the names it knows (`aws.test`) to
 * local AWS, records every request it forwards, and refuses anything else, including CONNECT.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxiedRequest {
  /** Host and port as the client asked for them, e.g. `aws.test:4566`. */
  readonly host: string;
  readonly path: string;
  /** `AWSStepFunctions.StartExecution`, `ec2:DescribeRouteTables`, `sts:GetCallerIdentity`. */
  readonly operation: string;
  /** The region of the request's SigV4 credential scope. */
  readonly region: string | undefined;
  /** True when the proxy refused it (the `refuse` option). */
  readonly refused: boolean;
}

export interface ForwardProxy {
  readonly url: string;
  readonly requests: ProxiedRequest[];
  close(): Promise<void>;
}

/**
 * `routes` maps a host name to the 127.0.0.1 port it stands for. `refuse` drops the connection of the
 * requests it selects, as a network that cannot reach that endpoint does.
 */
export async function startForwardProxy(
  routes: Record<string, number>,
  refuse: (request: Omit<ProxiedRequest, 'refused'>) => boolean = () => false,
): Promise<ForwardProxy> {
  const requests: ProxiedRequest[] = [];
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      res.writeHead(400).end('absolute URI expected');
      return;
    }
    const port = routes[target.hostname];
    if (port === undefined) {
      res.writeHead(502).end(`unknown host ${target.hostname}`);
      return;
    }
    const amzTarget = req.headers['x-amz-target'];
    const action = new URLSearchParams(body.toString('utf8')).get('Action');
    const scope = /Credential=[^/]+\/\d{8}\/([a-z0-9-]+)\/([a-z0-9-]+)\//.exec(
      req.headers.authorization ?? '',
    );
    const seen = {
      host: target.host,
      path: target.pathname,
      operation: typeof amzTarget === 'string' ? amzTarget : `${scope?.[2] ?? '?'}:${action ?? '?'}`,
      region: scope?.[1],
    };
    const refused = refuse(seen);
    requests.push({ ...seen, refused });
    if (refused) {
      req.socket.destroy();
      return;
    }
    const upstream = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: req.method,
        path: `${target.pathname}${target.search}`,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.writeHead(502).end());
    upstream.end(body);
  });
  server.on('connect', (_req, socket) => {
    socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
