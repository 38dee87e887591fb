import { describe, expect, it } from 'vitest';
import { targetsLocalAws } from '../../cli/aws/clients';
import { restoreTarget } from '../../cli/commands/rollback';
import type { GlobalOptions } from '../../cli/core/globals';
import { gantt } from '../../cli/render/gantt';
import { colourWanted } from '../../cli/render/style';
import { table } from '../../cli/render/text';
import { parseCause, pollDelays } from '../../cli/runs/executions';
import { NOW, topology } from './harness';

const globals = (endpointUrl?: string): GlobalOptions => ({
  config: '/x',
  json: false,
  debug: false,
  color: true,
  journal: '/nonexistent',
  ...(endpointUrl ? { endpointUrl } : {}),
});

describe('local endpoints', () => {
  it('counts loopback endpoints from the flag or AWS_ENDPOINT_URL* as local AWS', () => {
    expect(targetsLocalAws(globals('http://127.0.0.1:4566'), {})).toBe(true);
    expect(targetsLocalAws(globals(), { AWS_ENDPOINT_URL: 'http://localhost:4566' })).toBe(true);
    expect(targetsLocalAws(globals(), { AWS_ENDPOINT_URL_SFN: 'http://127.0.0.1:1' })).toBe(true);
  });

  it('does not count real endpoints, or no endpoint at all, as local', () => {
    expect(targetsLocalAws(globals(), {})).toBe(false);
    expect(targetsLocalAws(globals('https://states.us-east-1.amazonaws.com'), {})).toBe(false);
    expect(
      targetsLocalAws(globals('http://127.0.0.1:4566'), { AWS_ENDPOINT_URL_EC2: 'https://ec2.example.com' }),
    ).toBe(false);
  });
});

describe('polling', () => {
  it('polls every 100 ms for the first 10 s, then backs off to at most 500 ms', () => {
    const { next } = pollDelays();
    const delays = Array.from({ length: 120 }, () => next());
    expect(delays.slice(0, 4)).toEqual([50, 100, 100, 100]);
    // The fast polls end once 10 s have been waited: 10 polls per second, the smaller refill.
    // 50 ms + 100 polls of 100 ms reach 10,050 ms.
    expect(delays.slice(1, 101).every((d) => d === 100)).toBe(true);
    expect(delays.slice(101, 105)).toEqual([150, 225, 338, 500]);
    expect(Math.max(...delays)).toBe(500);
  });

  it('waits longer after each throttled poll, up to 8 s, and recovers after polls that pass', () => {
    const delays = pollDelays();
    for (let i = 0; i < 120; i++) delays.next();
    const throttled = Array.from({ length: 6 }, () => {
      delays.throttled();
      return delays.next();
    });
    expect(throttled).toEqual([2000, 4000, 8000, 8000, 8000, 8000]);
    const recovering = Array.from({ length: 5 }, () => delays.next());
    expect(recovering).toEqual([4000, 2000, 1000, 500, 500]);
  });

  it('ends the fast polls at the first throttled poll', () => {
    const delays = pollDelays();
    delays.next();
    delays.throttled();
    expect([delays.next(), delays.next(), delays.next()]).toEqual([400, 300, 225]);
  });
});

describe('causes', () => {
  it('reads Lambda-style JSON causes', () => {
    expect(parseCause('{"errorType":"RouteUpdateFailed","errorMessage":"boom","trace":[]}')).toEqual({
      type: 'RouteUpdateFailed',
      message: 'boom',
    });
  });

  it('keeps plain causes as they are', () => {
    expect(parseCause('States.Timeout')).toEqual({ type: undefined, message: 'States.Timeout' });
    expect(parseCause(undefined)).toEqual({ type: undefined, message: '' });
  });
});

describe('restore target', () => {
  it("is the node whose ENI the snapshot's VPC routes pointed to", () => {
    const snapshot = [
      {
        table: 'rtb-0a1c3e5f7b9d2a4c6',
        kind: 'vpc' as const,
        region: 'us-east-1',
        vip: '172.16.0.1/32',
        target: 'tgw-0a9b8c7d6e5f4a3b2',
        state: 'active' as const,
      },
      {
        table: 'rtb-0b2e4a6c8d1f3b5e7',
        kind: 'vpc' as const,
        region: 'ap-southeast-1',
        vip: '172.16.0.1/32',
        target: 'eni-0b2e4a6c8f1d3b5e7',
        state: 'active' as const,
      },
    ];
    expect(restoreTarget(topology, snapshot)).toBe('server-b');
    expect(restoreTarget(topology, snapshot.slice(0, 1))).toBeUndefined();
  });
});

describe('rendering', () => {
  it('aligns table columns without trailing spaces', () => {
    expect(
      table(
        ['A', 'LONG'],
        [
          ['xx', 'y'],
          ['x', 'zz'],
        ],
      ),
    ).toBe('A   LONG\nxx  y\nx   zz');
  });

  it('draws steps to scale in a Gantt chart', () => {
    const at = (ms: number) => new Date(NOW.getTime() + ms);
    const chart = gantt(
      [
        {
          name: 'Plan',
          type: 'Task',
          enteredAt: at(0),
          exitedAt: at(100),
          output: undefined,
          failure: undefined,
        },
        {
          name: 'Verify',
          type: 'Task',
          enteredAt: at(100),
          exitedAt: at(200),
          output: undefined,
          failure: undefined,
        },
      ],
      10,
    );
    expect(chart).toBe('Plan    |█████     |  100 ms\nVerify  |     █████|  100 ms');
  });

  it('colours only on a terminal, and never with --no-color or NO_COLOR', () => {
    expect(colourWanted(true, true, {})).toBe(true);
    expect(colourWanted(false, true, {})).toBe(false);
    expect(colourWanted(true, false, {})).toBe(false);
    expect(colourWanted(true, true, { NO_COLOR: '1' })).toBe(false);
  });
});
