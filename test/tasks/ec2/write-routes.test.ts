import 'aws-sdk-client-mock-vitest/extend';
import {
  CreateRouteCommand,
  CreateTransitGatewayRouteCommand,
  ReplaceRouteCommand,
  ReplaceTransitGatewayRouteCommand,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { ec2ClientFor } from '../../../tasks/ec2/clients';
import { applyChanges } from '../../../tasks/ec2/write-routes';
import { awsError, change, clientFor, eastMock, networkError, VIP, westMock } from './fixtures';

beforeEach(() => {
  eastMock.reset();
  westMock.reset();
});

describe('applyChanges', () => {
  it('replaces each route with the parameter its target kind needs', async () => {
    eastMock.onAnyCommand().resolves({ $metadata: { attempts: 1 } });
    const changes = [
      change({}),
      change({ table: 'rtb-0aaa0002', target: 'tgw-0aaa0001', step: 'remote-vpc' }),
      change({ table: 'tgw-rtb-0aaa0001', kind: 'tgw', target: 'tgw-attach-0aaa0001', step: 'tgw' }),
    ];

    const results = await applyChanges(clientFor, changes);

    expect(results.map((r) => [r.table, r.result, r.action, r.attempts])).toEqual([
      ['rtb-0aaa0001', 'applied', 'replace', 1],
      ['rtb-0aaa0002', 'applied', 'replace', 1],
      ['tgw-rtb-0aaa0001', 'applied', 'replace', 1],
    ]);
    await expect(eastMock).toReceiveCommandWith(ReplaceRouteCommand, {
      RouteTableId: 'rtb-0aaa0001',
      DestinationCidrBlock: VIP,
      NetworkInterfaceId: 'eni-0aaa0001',
    });
    await expect(eastMock).toReceiveCommandWith(ReplaceRouteCommand, {
      RouteTableId: 'rtb-0aaa0002',
      DestinationCidrBlock: VIP,
      TransitGatewayId: 'tgw-0aaa0001',
    });
    await expect(eastMock).toReceiveCommandExactlyOnceWith(ReplaceTransitGatewayRouteCommand, {
      TransitGatewayRouteTableId: 'tgw-rtb-0aaa0001',
      DestinationCidrBlock: VIP,
      TransitGatewayAttachmentId: 'tgw-attach-0aaa0001',
    });
    // Exactly one target parameter per VPC write.
    expect(
      eastMock.commandCalls(ReplaceRouteCommand).map((c) => Object.keys(c.args[0].input).sort()),
    ).toEqual([
      ['DestinationCidrBlock', 'NetworkInterfaceId', 'RouteTableId'],
      ['DestinationCidrBlock', 'RouteTableId', 'TransitGatewayId'],
    ]);
  });

  it('writes an IPv6 /128 as DestinationIpv6CidrBlock in VPC tables and as DestinationCidrBlock in TGW tables', async () => {
    eastMock.onAnyCommand().resolves({ $metadata: { attempts: 1 } });
    const VIP6 = 'fd00:172:16::1/128';

    const results = await applyChanges(clientFor, [
      change({ vip: VIP6 }),
      change({ vip: VIP6, action: 'create', previous: null, previousState: 'missing' }),
      change({
        vip: VIP6,
        table: 'tgw-rtb-0aaa0001',
        kind: 'tgw',
        target: 'tgw-attach-0aaa0001',
        step: 'tgw',
      }),
    ]);

    expect(results.map((r) => r.result)).toEqual(['applied', 'applied', 'applied']);
    for (const command of [ReplaceRouteCommand, CreateRouteCommand])
      expect(eastMock.commandCalls(command).map((c) => c.args[0].input)).toEqual([
        { RouteTableId: 'rtb-0aaa0001', DestinationIpv6CidrBlock: VIP6, NetworkInterfaceId: 'eni-0aaa0001' },
      ]);
    await expect(eastMock).toReceiveCommandExactlyOnceWith(ReplaceTransitGatewayRouteCommand, {
      TransitGatewayRouteTableId: 'tgw-rtb-0aaa0001',
      DestinationCidrBlock: VIP6,
      TransitGatewayAttachmentId: 'tgw-attach-0aaa0001',
    });
  });

  it('creates a VPC route that a replace finds missing, counting the attempts of both calls', async () => {
    eastMock
      .on(ReplaceRouteCommand)
      .rejects(
        awsError(
          'InvalidParameterValue',
          "There is no route defined for '172.16.0.1/32' in the route table. Use CreateRoute instead.",
          400,
          1,
        ),
      )
      .on(CreateRouteCommand)
      .resolves({ Return: true, $metadata: { attempts: 2 } });

    const [result] = await applyChanges(clientFor, [change({})]);

    expect(result).toMatchObject({ result: 'applied', action: 'create', attempts: 3 });
    await expect(eastMock).toReceiveCommandExactlyOnceWith(CreateRouteCommand, {
      RouteTableId: 'rtb-0aaa0001',
      DestinationCidrBlock: VIP,
      NetworkInterfaceId: 'eni-0aaa0001',
    });
  });

  it('creates a transit gateway route that a replace finds missing', async () => {
    eastMock
      .on(ReplaceTransitGatewayRouteCommand)
      .rejects(
        awsError(
          'InvalidRoute.NotFound',
          'Route 172.16.0.1/32 does not exist in Transit Gateway Route Table tgw-rtb-0aaa0001.',
        ),
      )
      .on(CreateTransitGatewayRouteCommand)
      .resolves({ $metadata: { attempts: 1 } });

    const [result] = await applyChanges(clientFor, [
      change({ table: 'tgw-rtb-0aaa0001', kind: 'tgw', step: 'tgw', target: 'tgw-attach-0aaa0001' }),
    ]);

    expect(result).toMatchObject({ result: 'applied', action: 'create', attempts: 2 });
    await expect(eastMock).toReceiveCommandExactlyOnceWith(CreateTransitGatewayRouteCommand, {
      TransitGatewayRouteTableId: 'tgw-rtb-0aaa0001',
      DestinationCidrBlock: VIP,
      TransitGatewayAttachmentId: 'tgw-attach-0aaa0001',
    });
  });

  it('replaces a route that a create finds already there, for VPC and transit gateway tables', async () => {
    eastMock
      .on(CreateRouteCommand)
      .rejects(awsError('RouteAlreadyExists', 'The route identified by 172.16.0.1/32 already exists.'))
      .on(CreateTransitGatewayRouteCommand)
      .rejects(
        awsError(
          'RouteAlreadyExists',
          'Route 172.16.0.1/32 already exists in Transit Gateway Route Table tgw-rtb-0aaa0001.',
        ),
      )
      .on(ReplaceRouteCommand)
      .resolves({})
      .on(ReplaceTransitGatewayRouteCommand)
      .resolves({});

    const results = await applyChanges(clientFor, [
      change({ action: 'create', previous: null, previousState: 'missing' }),
      change({
        table: 'tgw-rtb-0aaa0001',
        kind: 'tgw',
        step: 'tgw',
        action: 'create',
        target: 'tgw-attach-0aaa0001',
      }),
    ]);

    expect(results.map((r) => [r.result, r.action, r.attempts])).toEqual([
      ['applied', 'replace', 2],
      ['applied', 'replace', 2],
    ]);
    expect(eastMock).toReceiveCommandOnce(ReplaceRouteCommand);
    expect(eastMock).toReceiveCommandOnce(ReplaceTransitGatewayRouteCommand);
  });

  it('reports a permanent error as failed with the AWS code, without a fallback', async () => {
    eastMock
      .on(ReplaceRouteCommand)
      .rejects(
        awsError(
          'InvalidParameterValue',
          'Value (eni-0aaa0001) for parameter networkInterfaceId is invalid.',
        ),
      )
      .on(ReplaceTransitGatewayRouteCommand)
      .rejects(awsError('UnauthorizedOperation', 'You are not authorized to perform this operation.', 403));

    const results = await applyChanges(clientFor, [
      change({}),
      change({ table: 'tgw-rtb-0aaa0001', kind: 'tgw', step: 'tgw', target: 'tgw-attach-0aaa0001' }),
    ]);

    expect(results).toMatchObject([
      { result: 'failed', action: 'replace', code: 'InvalidParameterValue', attempts: 1 },
      {
        result: 'failed',
        action: 'replace',
        code: 'UnauthorizedOperation',
        message: 'You are not authorized to perform this operation.',
      },
    ]);
    expect(eastMock).not.toReceiveCommand(CreateRouteCommand);
    expect(eastMock).not.toReceiveCommand(CreateTransitGatewayRouteCommand);
  });

  it('reports changes of an unreachable region as unreachable and stops sending to it', async () => {
    eastMock.onAnyCommand().resolves({});
    westMock.onAnyCommand().rejects(networkError('ECONNREFUSED'));
    const westChanges = Array.from({ length: 130 }, (_, i) =>
      change({
        table: `rtb-0bbb${String(i).padStart(4, '0')}`,
        region: 'ap-southeast-1',
        step: 'remote-vpc',
        target: 'tgw-0bbb0001',
      }),
    );

    const results = await applyChanges(clientFor, [change({}), ...westChanges]);

    expect(results[0]).toMatchObject({ result: 'applied' });
    expect(results.slice(1).every((r) => r.result === 'unreachable' && r.code === 'ECONNREFUSED')).toBe(true);
    // The first failures latch the region; queued writes are not sent.
    expect(westMock.calls().length).toBeLessThan(westChanges.length);
  });

  it('reports writes still throttled after the retry budget as unreachable with the AWS code', async () => {
    eastMock
      .on(ReplaceRouteCommand)
      .rejects(awsError('RequestLimitExceeded', 'Request limit exceeded.', 503, 7));

    const [result] = await applyChanges(clientFor, [change({})]);

    expect(result).toMatchObject({ result: 'unreachable', code: 'RequestLimitExceeded', attempts: 7 });
  });

  it('writes only the VIP destination of each change and never deletes', async () => {
    eastMock.onAnyCommand().resolves({});
    const changes = [
      change({}),
      change({ vip: '172.16.0.2/32', table: 'rtb-0aaa0002' }),
      change({
        table: 'tgw-rtb-0aaa0001',
        kind: 'tgw',
        step: 'tgw',
        target: 'tgw-attach-0aaa0001',
        action: 'create',
      }),
    ];

    await applyChanges(clientFor, changes);

    const written = eastMock.calls().map((c) => {
      const input = c.args[0].input as {
        DestinationCidrBlock?: string;
        RouteTableId?: string;
        TransitGatewayRouteTableId?: string;
      };
      return [
        c.args[0].constructor.name,
        input.RouteTableId ?? input.TransitGatewayRouteTableId,
        input.DestinationCidrBlock,
      ];
    });
    expect(written).toEqual([
      ['ReplaceRouteCommand', 'rtb-0aaa0001', VIP],
      ['ReplaceRouteCommand', 'rtb-0aaa0002', '172.16.0.2/32'],
      ['CreateTransitGatewayRouteCommand', 'tgw-rtb-0aaa0001', VIP],
    ]);
  });

  it('refuses a change whose destination is not a single host (/32, canonical /128) or whose target does not fit the table, sending nothing', async () => {
    eastMock.onAnyCommand().resolves({});

    const results = await applyChanges(clientFor, [
      change({ vip: '0.0.0.0/0' }),
      change({ vip: '::/0' }),
      change({ vip: 'fd00:172:16::/64' }),
      change({ vip: 'FD00:172:16::1/128' }),
      change({ target: 'tgw-attach-0aaa0001' }),
      change({ table: 'tgw-rtb-0aaa0001', kind: 'tgw', step: 'tgw', target: 'eni-0aaa0001' }),
    ]);

    expect(results.map((r) => [r.result, r.code, r.attempts])).toEqual([
      ['failed', 'InvalidVip', 0],
      ['failed', 'InvalidVip', 0],
      ['failed', 'InvalidVip', 0],
      ['failed', 'InvalidVip', 0],
      ['failed', 'InvalidTarget', 0],
      ['failed', 'InvalidTarget', 0],
    ]);
    expect(eastMock.calls()).toHaveLength(0);
  });

  it('keeps at most maxInFlight calls in flight per region and still completes every change', async () => {
    const paced = ec2ClientFor({ maxInFlight: 3 })('eu-west-1');
    const pacedMock = mockClient(paced);
    let inFlight = 0;
    let peak = 0;
    pacedMock.on(ReplaceRouteCommand).callsFake(async () => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 2));
      inFlight--;
      return {};
    });
    const changes = Array.from({ length: 40 }, (_, i) =>
      change({ table: `rtb-0eee${String(i).padStart(4, '0')}`, region: 'eu-west-1' }),
    );

    const results = await applyChanges(() => paced, changes);

    expect(results.every((r) => r.result === 'applied')).toBe(true);
    expect(pacedMock.commandCalls(ReplaceRouteCommand)).toHaveLength(40);
    expect(peak).toBe(3);
    pacedMock.restore();
  });
});
