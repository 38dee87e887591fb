import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, describe, expect, it } from 'vitest';
import { createTaskHandler, handler } from '../../../tasks/handlers/main';
import {
  ACCOUNT,
  type FakeAws,
  failoverToB,
  fakeAws,
  ID,
  REGION_A,
  REGION_B,
  twoRegionTopology,
  VIP,
  worldWithServerAActive,
} from './fake-aws';
import { execution } from './flow';

const topology = twoRegionTopology();
const restoreFrom = `arn:aws:states:${REGION_B}:${ACCOUNT}:execution:vip-failover-orders-db:server-b-20261125T120356123`;
const restoreRoute = {
  table: ID.rtbA1,
  kind: 'vpc',
  region: REGION_A,
  vip: VIP,
  target: ID.eniA,
  state: 'active',
};
const restoreWith = (route: Record<string, unknown>) => ({
  target: 'server-a',
  requestedAt: '2026-11-25T12:10:00.000Z',
  restore: { from: restoreFrom, routes: [{ ...restoreRoute, ...route }] },
});

/** Hostile or broken execution inputs, the error they must produce, and what the message must name. */
const hostile: [string, unknown, string, string][] = [
  ['an unknown field', { ...failoverToB(), force: true }, 'InvalidRequest', 'force'],
  ['a number as target', { ...failoverToB(), target: 42 }, 'InvalidRequest', 'input.target'],
  [
    'a target that is not a node',
    { ...failoverToB(), target: 'server-z' },
    'UnknownNode',
    'server-a, server-b',
  ],
  [
    'a target with path characters',
    { ...failoverToB(), target: '../server-a' },
    'InvalidRequest',
    'input.target',
  ],
  ['a 100 KB reason', { ...failoverToB(), reason: 'x'.repeat(100_000) }, 'InvalidRequest', 'input.reason'],
  [
    'an oversize requestedBy',
    { ...failoverToB(), requestedBy: 'y'.repeat(129) },
    'InvalidRequest',
    'input.requestedBy',
  ],
  [
    'a __proto__ key',
    JSON.parse('{"target":"server-b","requestedAt":"2026-11-25T12:03:56.123Z","__proto__":{"admin":true}}'),
    'InvalidRequest',
    'input.__proto__',
  ],
  [
    'a constructor key',
    JSON.parse(
      '{"target":"server-b","requestedAt":"2026-11-25T12:03:56.123Z","constructor":{"prototype":{}}}',
    ),
    'InvalidRequest',
    'input.constructor',
  ],
  [
    'an impossible requestedAt',
    { ...failoverToB(), requestedAt: '2026-13-45T25:00:00Z' },
    'InvalidRequest',
    'input.requestedAt',
  ],
  [
    'a requestedAt without timezone',
    { ...failoverToB(), requestedAt: '2026-11-25T12:03:56' },
    'InvalidRequest',
    'ISO 8601',
  ],
  ['a missing requestedAt', { target: 'server-b' }, 'InvalidRequest', 'input.requestedAt'],
  ['an array instead of an object', [failoverToB()], 'InvalidRequest', 'an array'],
  ['null', null, 'InvalidRequest', 'null'],
  ['a bare string', 'server-b', 'InvalidRequest', 'a string'],
  [
    'a restore naming a foreign table',
    restoreWith({ table: 'rtb-0fff0000000000009' }),
    'InvalidRequest',
    'rtb-0fff0000000000009',
  ],
  [
    'a restore with a non-VIP destination',
    restoreWith({ vip: '0.0.0.0/0' }),
    'InvalidRequest',
    'non-VIP destination',
  ],
  [
    'a restore with an IPv6 default route as destination',
    restoreWith({ vip: '::/0' }),
    'InvalidRequest',
    'non-VIP destination',
  ],
  [
    'a restore with an IPv6 /128 that is not a VIP of the cluster',
    restoreWith({ vip: 'fd00:172:16::1/128' }),
    'InvalidRequest',
    'non-VIP destination',
  ],
  [
    'a restore with the wrong region',
    restoreWith({ region: REGION_B }),
    'InvalidRequest',
    `is in ${REGION_A}`,
  ],
  [
    'a restore with the wrong kind',
    restoreWith({ kind: 'tgw', target: ID.attachA }),
    'InvalidRequest',
    'is a vpc table',
  ],
  [
    'a restore to a foreign ENI',
    restoreWith({ target: 'eni-0fff0000000000009' }),
    'InvalidRequest',
    'eni-0fff0000000000009',
  ],
  [
    'a restore to an internet gateway',
    restoreWith({ target: 'igw-0aaa0000000000001' }),
    'InvalidRequest',
    'igw-0aaa0000000000001',
  ],
  [
    'a restore from something not an execution',
    { ...restoreWith({}), restore: { from: 'arn:aws:s3:::bucket', routes: [restoreRoute] } },
    'InvalidRequest',
    'input.restore.from',
  ],
  [
    'a restore without routes',
    { ...restoreWith({}), restore: { from: restoreFrom, routes: [] } },
    'InvalidRequest',
    'input.restore.routes',
  ],
  [
    'a __proto__ key inside a restore route',
    JSON.parse(
      JSON.stringify(restoreWith({})).replace('"state":"active"', '"state":"active","__proto__":{"x":1}'),
    ),
    'InvalidRequest',
    'input.restore.routes[0].__proto__',
  ],
  [
    'a duplicate restore route',
    { ...restoreWith({}), restore: { from: restoreFrom, routes: [restoreRoute, restoreRoute] } },
    'InvalidRequest',
    'duplicate',
  ],
];

describe('plan task refuses hostile execution input before any AWS call', () => {
  let aws: FakeAws;
  afterEach(() => {
    aws.ec2.restore();
    aws.sfn.restore();
  });

  it.each(hostile)('refuses %s', async (_what, input, errorName, mentions) => {
    aws = fakeAws(worldWithServerAActive());
    const handle = createTaskHandler(aws.deps);

    const run = handle({ task: 'plan', input, topology, execution });

    await expect(run).rejects.toMatchObject({ name: errorName, message: expect.stringContaining(mentions) });
    expect(aws.ec2.calls()).toHaveLength(0);
    expect(aws.sfn.calls()).toHaveLength(0);
  });
});

describe('task handler', () => {
  let aws: FakeAws;
  afterEach(() => {
    aws.ec2.restore();
    aws.sfn.restore();
  });

  it('refuses an event without a known task, naming the field', async () => {
    aws = fakeAws(worldWithServerAActive());
    const handle = createTaskHandler(aws.deps);

    await expect(handle({ task: 'delete-everything', topology, execution })).rejects.toMatchObject({
      name: 'InvalidRequest',
      message: expect.stringContaining('task'),
    });
    expect(aws.ec2.calls()).toHaveLength(0);
  });

  it('refuses an apply whose plan does not fit the contract', async () => {
    aws = fakeAws(worldWithServerAActive());
    const handle = createTaskHandler(aws.deps);

    const run = handle({ task: 'apply', step: 'tgw', topology, plan: { converged: false }, execution });

    await expect(run).rejects.toMatchObject({
      name: 'InvalidRequest',
      message: expect.stringContaining('plan'),
    });
    expect(aws.ec2.calls()).toHaveLength(0);
  });

  it('answers a warm-up event without touching AWS', async () => {
    aws = fakeAws(worldWithServerAActive());
    const handle = createTaskHandler(aws.deps);

    await expect(handle({ warmup: true })).resolves.toEqual({ warmup: true });
    expect(aws.ec2.calls()).toHaveLength(0);
    expect(aws.sfn.calls()).toHaveLength(0);
  });

  it('the Lambda entry answers a warm-up event', async () => {
    aws = fakeAws(worldWithServerAActive());
    await expect(handler({ warmup: true })).resolves.toEqual({ warmup: true });
  });
});
