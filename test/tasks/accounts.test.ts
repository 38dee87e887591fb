import { describe, expect, it } from 'vitest';
import { accessOf, ownerOfTable, sessionNameOf, tableAccess } from '../../tasks/accounts';
import { loadTopology } from '../../tasks/topology';

/** AssumeRole's RoleSessionName: https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html */
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;

describe('sessionNameOf', () => {
  it('keeps an execution name that fits the session name rules', () => {
    expect(sessionNameOf('server-b-20261125T130000123')).toBe('server-b-20261125T130000123');
  });

  it('shortens an 80-character execution name to 64, keeping its start and a hash of the whole', () => {
    const a = `drill-${'n'.repeat(48)}-20261125T130000123`.padEnd(80, 'x');
    const b = `${a.slice(0, 79)}y`;

    const [sa, sb] = [sessionNameOf(a), sessionNameOf(b)];

    expect(sa).toHaveLength(64);
    expect(sa).toMatch(SESSION_NAME);
    expect(sa.startsWith(a.slice(0, 55))).toBe(true);
    expect(sb).not.toBe(sa);
    expect(sessionNameOf(a)).toBe(sa);
  });

  it('turns characters AssumeRole refuses into dashes and pads a one-character name', () => {
    expect(sessionNameOf('a b:c')).toBe('a-b-c');
    expect(sessionNameOf('a')).toMatch(SESSION_NAME);
  });
});

describe('owners of tables', () => {
  it('finds the account of each table of the multi-account example, the home account as undefined', async () => {
    const topology = await loadTopology('examples/multi-account.yaml');

    expect(ownerOfTable(topology, 'rtb-0a1c3e5f7b9d2a4c6')).toBeUndefined();
    expect(ownerOfTable(topology, 'rtb-0c1e3a5c7e9b2d4f6')).toBe('clients');
    expect(ownerOfTable(topology, 'tgw-rtb-0b1c2d3e4f5a6b7c8')).toBe('network');
    expect(tableAccess(topology, 's1')('rtb-0c1e3a5c7e9b2d4f6')).toEqual({
      key: 'clients',
      id: '333333333333',
      role: 'arn:aws:iam::333333333333:role/vip-failover-orders-db',
      externalId: 'orders-db-clients',
      sessionName: 's1',
    });
    expect(accessOf(topology, undefined, 's1')).toBeUndefined();
  });
});
