/**
 * The stale-run guard's Step Functions client on the wire, against a tiny HTTP server on 127.0.0.1:
 * its request timeout is real, and throttling is retried within its budget.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { sfnClientFor } from '../../tasks/deps';
import { assertNotSuperseded } from '../../tasks/stale-run-guard';
import { OWN_EXECUTION, REGION_A, REGION_B, twoRegionTopology } from './handlers/fake-aws';

const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };
const topology = twoRegionTopology();

let server: http.Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

/** Serves ListExecutions: `answer` decides per request (by region) what to send back. */
async function serve(answer: (region: string, response: http.ServerResponse) => void): Promise<string> {
  server = http.createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      const region =
        /Credential=[^/]+\/\d{8}\/([a-z0-9-]+)\//.exec(request.headers.authorization ?? '')?.[1] ?? '';
      answer(region, response);
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
}

const empty = (response: http.ServerResponse) => {
  response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
  response.end(JSON.stringify({ executions: [] }));
};

describe("the guard's Step Functions client", () => {
  it('gives up on a region that never answers at its request timeout, and skips it', async () => {
    const endpoint = await serve((region, response) => {
      if (region === REGION_A) return; // hangs: no answer at all
      empty(response);
    });
    const sfn = sfnClientFor({ endpoint, credentials: CREDENTIALS, requestTimeoutMs: 200 });

    const report = await assertNotSuperseded(sfn, topology, OWN_EXECUTION, { budgetMs: 60_000 });

    // TimeoutError comes from the request timeout; without throwOnRequestTimeout the request would
    // have waited for the 60 s budget's abort instead.
    expect(report.skipped).toEqual([{ region: REGION_A, code: 'TimeoutError', message: expect.any(String) }]);
    expect(report.checked).toEqual([REGION_B]);
  });

  it('survives ThrottlingException within its budget', async () => {
    let throttled = 0;
    const endpoint = await serve((region, response) => {
      if (region === REGION_A && throttled < 2) {
        throttled++;
        response.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
        response.end(JSON.stringify({ __type: 'ThrottlingException', message: 'Rate exceeded' }));
        return;
      }
      empty(response);
    });
    const sfn = sfnClientFor({ endpoint, credentials: CREDENTIALS });

    const report = await assertNotSuperseded(sfn, topology, OWN_EXECUTION);

    expect(throttled).toBe(2);
    expect(report.skipped).toEqual([]);
    expect(report.checked.sort()).toEqual([REGION_A, REGION_B].sort());
  });
});
