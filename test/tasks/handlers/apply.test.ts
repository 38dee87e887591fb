import 'aws-sdk-client-mock-vitest/extend';
import { ReplaceRouteCommand, ReplaceTransitGatewayRouteCommand } from '@aws-sdk/client-ec2';
import { afterEach, describe, expect, it } from 'vitest';
import { GUARD_WINDOW_MS } from '../../../tasks/stale-run-guard';
import {
  type FakeAws,
  failoverToB,
  fakeAws,
  ID,
  REGION_A,
  REGION_B,
  stateMachine,
  twoRegionTopology,
  VIP,
  worldWithServerAActive,
} from './fake-aws';
import { tasks } from './flow';

const topology = twoRegionTopology();

describe('apply task', () => {
  let aws: FakeAws;
  afterEach(() => {
    aws.ec2.restore();
    aws.sfn.restore();
  });

  it('writes only the local VPC step and reports counts, not copies of the routes', async () => {
    aws = fakeAws(worldWithServerAActive());
    const t = tasks(aws, topology);
    const plan = await t.plan(failoverToB());

    const out = await t.apply(plan, 'local-vpc');

    expect(aws.writes).toEqual([
      { region: REGION_B, command: 'ReplaceRoute', table: ID.rtbB1, destination: VIP, target: ID.eniB },
    ]);
    expect(aws.ec2).toHaveReceivedCommandWith(ReplaceRouteCommand, {
      RouteTableId: ID.rtbB1,
      DestinationCidrBlock: VIP,
      NetworkInterfaceId: ID.eniB,
    });
    expect(out).toMatchObject({
      step: 'local-vpc',
      applied: 1,
      alreadyRight: 0,
      failures: [],
      failureCount: 0,
    });
    expect(out).not.toHaveProperty('record');
  });

  it("writes the target's TGW before the TGW that reaches it over the peering", async () => {
    aws = fakeAws(worldWithServerAActive());
    const t = tasks(aws, topology);
    const plan = await t.plan(failoverToB());

    await t.apply(plan, 'tgw');

    expect(aws.writes.map((w) => [w.command, w.table, w.target])).toEqual([
      ['ReplaceTransitGatewayRoute', ID.tgwRtbB, ID.attachB],
      ['ReplaceTransitGatewayRoute', ID.tgwRtbA, ID.peering],
    ]);
    expect(aws.ec2).toHaveReceivedCommandWith(ReplaceTransitGatewayRouteCommand, {
      TransitGatewayRouteTableId: ID.tgwRtbA,
      TransitGatewayAttachmentId: ID.peering,
    });
  });

  it('reports routes that were already right, without writing them', async () => {
    const world = worldWithServerAActive();
    world.tables.get(ID.rtbA2)?.routes.set(VIP, { target: ID.tgwA, state: 'active' });
    aws = fakeAws(world);
    const t = tasks(aws, topology);
    const plan = await t.plan(failoverToB());

    const out = await t.apply(plan, 'remote-vpc');

    expect(aws.writes.map((w) => w.table)).toEqual([ID.rtbA1]);
    expect(out).toMatchObject({ applied: 1, alreadyRight: 1, failureCount: 0 });
  });

  it('is idempotent: running the same step again leaves the same routes', async () => {
    aws = fakeAws(worldWithServerAActive());
    const t = tasks(aws, topology);
    const plan = await t.plan(failoverToB());

    await t.apply(plan, 'remote-vpc');
    const again = await t.apply(plan, 'remote-vpc');

    expect(again).toMatchObject({ applied: 2, failureCount: 0 });
    expect(aws.world.tables.get(ID.rtbA1)?.routes.get(VIP)).toEqual({ target: ID.tgwA, state: 'active' });
    expect(aws.world.tables.get(ID.rtbA1)?.routes.get('0.0.0.0/0')).toEqual({
      target: 'igw-0aaa0000000000001',
      state: 'active',
    });
  });

  it('reports an unreachable remote region instead of failing', async () => {
    aws = fakeAws(worldWithServerAActive());
    const t = tasks(aws, topology);
    const plan = await t.plan(failoverToB());
    aws.world.down.add(REGION_A);

    const out = await t.apply(plan, 'remote-vpc');

    expect(aws.writes).toEqual([]);
    expect(out.failures.map((r) => [r.table, r.result, r.code])).toEqual([
      [ID.rtbA1, 'unreachable', 'ECONNREFUSED'],
      [ID.rtbA2, 'unreachable', 'ECONNREFUSED'],
    ]);
    expect(out).toMatchObject({ applied: 0, failureCount: 2 });
  });

  it("fails with RouteUpdateFailed when the target's own region is unreachable", async () => {
    aws = fakeAws(worldWithServerAActive());
    const t = tasks(aws, topology);
    const plan = await t.plan(failoverToB());
    aws.world.down.add(REGION_B);

    await expect(t.apply(plan, 'local-vpc')).rejects.toMatchObject({
      name: 'RouteUpdateFailed',
      message: expect.stringContaining(`${ID.rtbB1} (${REGION_B}): region unreachable ECONNREFUSED`),
    });
  });

  it('fails with RouteUpdateFailed listing every refused write with its AWS code', async () => {
    const world = worldWithServerAActive();
    world.failWrites.set(ID.rtbA1, 'UnauthorizedOperation');
    world.failWrites.set(ID.rtbA2, 'UnauthorizedOperation');
    aws = fakeAws(world);
    const t = tasks(aws, topology);
    const plan = await t.plan(failoverToB());

    const failure = await t.apply(plan, 'remote-vpc').catch((error: unknown) => error);

    expect(failure).toMatchObject({ name: 'RouteUpdateFailed' });
    const message = (failure as Error).message;
    expect(message).toContain('2 route update(s) of step remote-vpc failed');
    for (const table of [ID.rtbA1, ID.rtbA2]) {
      expect(message).toContain(
        `replace ${VIP} -> ${ID.tgwA} in ${table} (${REGION_A}): failed UnauthorizedOperation`,
      );
    }
  });

  it('stops at the first failed wave, so later waves never point at a table that was not updated', async () => {
    const world = worldWithServerAActive();
    world.failWrites.set(ID.tgwRtbB, 'UnauthorizedOperation');
    aws = fakeAws(world);
    const t = tasks(aws, topology);
    const plan = await t.plan(failoverToB());

    await expect(t.apply(plan, 'tgw')).rejects.toMatchObject({
      name: 'RouteUpdateFailed',
      message: expect.stringContaining('1 later wave(s) of tgw were not written'),
    });
    expect(aws.writes).toEqual([]);
    expect(aws.world.tables.get(ID.tgwRtbA)?.routes.get(VIP)?.target).toBe(ID.attachA);
  });

  it('fails with Superseded and writes nothing when a newer run has started', async () => {
    aws = fakeAws(worldWithServerAActive());
    const t = tasks(aws, topology);
    const plan = await t.plan(failoverToB());
    const newer = `${stateMachine(REGION_A)}:server-a-20261125T120500000`.replace(
      ':stateMachine:',
      ':execution:',
    );
    aws.world.executions.set(stateMachine(REGION_A), [
      {
        executionArn: newer,
        name: 'server-a-20261125T120500000',
        status: 'RUNNING',
        startDate: new Date('2026-11-25T12:05:00.500Z'),
      },
    ]);
    // The step starts when the plan's listing is older than the guard's window, so it lists again.
    aws.clock.advance(GUARD_WINDOW_MS + 1);

    await expect(t.apply(plan, 'local-vpc')).rejects.toMatchObject({
      name: 'Superseded',
      message: expect.stringContaining(newer),
    });
    expect(aws.writes).toEqual([]);
    expect(aws.world.tables.get(ID.rtbB1)?.routes.get(VIP)?.target).toBe(ID.tgwB);
  });
});
