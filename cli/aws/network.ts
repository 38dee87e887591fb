/**
 * How vipctl's AWS calls reach AWS on a cluster node: through the site's forward proxy and with the
 * site's CA bundle, as the AWS CLI does. The SDK for JavaScript reads neither HTTPS_PROXY nor
 * AWS_CA_BUNDLE by itself, so the agents are built here and handed to every client's NodeHttpHandler.
 * - Proxies: `proxy-agent` picks, per request, the proxy that `proxy-from-env` finds for its URL:
 *   https_proxy / HTTPS_PROXY for https endpoints, http_proxy / HTTP_PROXY for http ones, ALL_PROXY
 *   otherwise, and none when NO_PROXY covers the host (a name, a domain suffix, `*`).
 *   https://www.npmjs.com/package/proxy-from-env
 * - The instance metadata service never goes through these agents (cli/aws/identity.ts uses fetch, the
 *   SDK's metadata credentials its own requests): a proxy must not see, or answer, 169.254.169.254.
 * - AWS_CA_BUNDLE is the AWS CLI's variable for "a certificate bundle to use for HTTPS certificate
 *   validation" (a TLS-inspecting proxy's CA): a PEM file that, as in the AWS CLI, replaces the
 *   built-in trusted CAs. https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-envvars.html
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { usageError } from '../core/cli-error';

/** The agents a NodeHttpHandler takes. */
export interface Agents {
  readonly httpAgent: http.Agent;
  readonly httpsAgent: https.Agent;
}

/** Builds agents for up to `maxSockets` connections per host. */
export type AgentFactory = (maxSockets: number) => Promise<Agents>;

const PROXY_VARIABLES = ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY', 'all_proxy', 'ALL_PROXY'];

/** The proxies configured in the environment, e.g. `http://proxy:3128 (HTTPS_PROXY)`, to name in errors. */
export function configuredProxies(env: Record<string, string | undefined>): string[] {
  const seen = new Map<string, string[]>();
  for (const name of PROXY_VARIABLES) {
    const value = env[name];
    if (value) seen.set(value, [...(seen.get(value) ?? []), name]);
  }
  return [...seen].map(([url, names]) => `${url} (${names.join(', ')})`);
}

/**
 * The agent factory for this environment. Reads AWS_CA_BUNDLE now, so that a wrong path is a
 * configuration error (exit 2) before any call. `proxy-agent` is imported only when a proxy is set:
 * most nodes have none and vipctl's start-up stays small.
 */
export function agentFactory(env: Record<string, string | undefined>): AgentFactory {
  const ca = readCaBundle(env.AWS_CA_BUNDLE);
  // proxy-from-env reads process.env itself; vipctl's `env` is process.env (cli/index.ts).
  const proxied = PROXY_VARIABLES.some((name) => env[name]);
  return async (maxSockets) => {
    const options = { keepAlive: true, maxSockets, ...(ca ? { ca } : {}) };
    const direct = { httpAgent: new http.Agent(options), httpsAgent: new https.Agent(options) };
    if (!proxied) return direct;
    const { ProxyAgent } = await import('proxy-agent');
    // Keep-alive only on the direct agents: a kept-alive socket of the ProxyAgent itself would be
    // reused without asking the proxy agent again, and a plain-HTTP request then reaches the proxy
    // without its absolute URI.
    const agent = new ProxyAgent({ maxSockets, ...(ca ? { ca } : {}), ...direct });
    return { httpAgent: agent, httpsAgent: agent as unknown as https.Agent };
  };
}

function readCaBundle(path: string | undefined): string | undefined {
  if (!path) return undefined;
  try {
    return readFileSync(path, 'utf8');
  } catch (cause) {
    throw usageError(
      `AWS_CA_BUNDLE=${path} cannot be read (${cause instanceof Error ? cause.message : String(cause)})`,
      'point AWS_CA_BUNDLE at a readable PEM file of the CA certificates to trust, or unset it',
      { cause },
    );
  }
}
