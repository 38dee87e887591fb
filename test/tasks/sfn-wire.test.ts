/**
 * The stale-run guard's Step Functions client on the wire, against a tiny HTTP server on 127.0.0.1:
 * its request timeout is real, and throttling is retried within its budget.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { sfnClientFor } from '../../tasks/deps';
import { assertNotSuperseded, throttledBudgetMs } from '../../tasks/stale-run-guard';
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

  /** A clock that only the guard's sleeps move: throttling that "lasts" 45 s takes no real time. */
  const virtualTime = () => {
    let t = 0;
    return {
      now: () => t,
      sleep: async (ms: number) => {
        t += ms;
      },
    };
  };
  const throttling = (region: string, until: () => boolean) =>
    serve((r, response) => {
      if (r === region && until()) {
        response.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
        response.end(JSON.stringify({ __type: 'ThrottlingException', message: 'Rate exceeded' }));
        return;
      }
      empty(response);
    });

  it('waits out throttling for as long as the documented ListExecutions bucket takes to refill', async () => {
    // 100 burst / 2 per s outside us-east-1, us-west-2 and eu-west-1; 200 / 5 in them.
    expect(throttledBudgetMs('ap-southeast-1')).toBe(50_000);
    expect(throttledBudgetMs('us-east-1')).toBe(40_000);
    const clock = virtualTime();
    const endpoint = await throttling(REGION_B, () => clock.now() < 45_000);
    const sfn = sfnClientFor({ endpoint, credentials: CREDENTIALS });

    const report = await assertNotSuperseded(sfn, topology, OWN_EXECUTION, clock);

    expect(clock.now()).toBeGreaterThanOrEqual(45_000);
    expect(report.skipped).toEqual([]);
    expect(report.checked.sort()).toEqual([REGION_A, REGION_B].sort());
  });

  it('fails the run, naming the region, when throttling outlasts that time or the deadline', async () => {
    const clock = virtualTime();
    const endpoint = await throttling(REGION_A, () => true);
    const sfn = sfnClientFor({ endpoint, credentials: CREDENTIALS });

    await expect(assertNotSuperseded(sfn, topology, OWN_EXECUTION, clock)).rejects.toMatchObject({
      name: 'PreconditionFailed',
      message: expect.stringContaining(`in ${REGION_A} (ThrottlingException`),
    });
    expect(clock.now()).toBe(throttledBudgetMs(REGION_A));

    const early = virtualTime();
    await expect(
      assertNotSuperseded(sfn, topology, OWN_EXECUTION, { ...early, deadline: 5_000 }),
    ).rejects.toMatchObject({ name: 'PreconditionFailed' });
    expect(early.now()).toBe(5_000);
  });
});
