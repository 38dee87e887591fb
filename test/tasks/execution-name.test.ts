import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { executionName, isDrillName, parseExecutionName } from '../../tasks/execution-name';
import { parseTopology } from '../../tasks/topology';

describe('execution names', () => {
  it('names a drill drill-<target>-<stamp> and reads it back as a drill', () => {
    const name = executionName('server-b', '2026-11-25T12:03:56.123Z', 'drill');
    expect(name).toBe('drill-server-b-20261125T120356123');
    expect(isDrillName(name)).toBe(true);
    expect(parseExecutionName(name)).toEqual({
      target: 'server-b',
      requestedAt: '2026-11-25T12:03:56.123Z',
      drill: true,
    });
  });

  it('names a failover <target>-<stamp>, not a drill', () => {
    const name = executionName('server-b', '2026-11-25T12:03:56.123Z');
    expect(name).toBe('server-b-20261125T120356123');
    expect(parseExecutionName(name)).toMatchObject({ target: 'server-b', drill: false });
  });

  it('refuses a node name that would make its failovers look like drills', () => {
    const yaml = readFileSync('examples/two-region.yaml', 'utf8').replaceAll('server-b', 'drill-b');
    expect(() => parseTopology(yaml, 'x.yaml')).toThrow(
      /nodes\.drill-b: "drill-b" must not start with drill-/,
    );
  });
});
