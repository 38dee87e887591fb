import { describe, expect, it } from 'vitest';
import { failoverCost } from '../../bench/cost';
import { type RequestEvent, wavesOf } from '../../bench/harness';
import { summarize } from '../../bench/history';
import { writesPerBucket, writesPerStepBucket } from '../../bench/scale';
import { median } from '../../bench/stats';
import { scaleTopology } from '../../bench/topologies';
import { validateTopology } from '../../tasks/topology';

const start = (at: number, fromTask = true): RequestEvent => ({ kind: 'start', at, fromTask });
const end = (at: number, fromTask = true): RequestEvent => ({ kind: 'end', at, fromTask, label: 'X' });

describe('request waves', () => {
  it('counts requests started with no completion in between as one wave', () => {
    const events = [start(0), start(1), start(2), end(80), end(81), end(82), start(83), end(160)];

    expect(wavesOf(events)).toBe(2);
  });

  it("ignores the CLI's requests", () => {
    const events = [start(0), start(5, false), end(30, false), start(31, false), end(80), end(90, false)];

    expect(wavesOf(events)).toBe(1);
  });

  it('counts only the waves that start inside the window', () => {
    const events = [start(0), end(80), start(100), end(180), start(200), end(280)];

    expect(wavesOf(events, 90, 190)).toBe(1);
  });
});

describe('execution summary', () => {
  it('times each state and counts transitions, invocations and functions', () => {
    const t = (ms: number) => 1_000_000 + ms / 1000;
    const scheduled = (fn: string) => ({
      taskScheduledEventDetails: { parameters: JSON.stringify({ FunctionName: fn, Payload: {} }) },
    });
    const summary = summarize([
      { timestamp: t(0), type: 'ExecutionStarted' },
      { timestamp: t(10), type: 'TaskStateEntered', stateEnteredEventDetails: { name: 'Plan' } },
      { timestamp: t(20), type: 'TaskScheduled', ...scheduled('fn') },
      { timestamp: t(20), type: 'TaskStarted' },
      { timestamp: t(520), type: 'TaskSucceeded' },
      { timestamp: t(520), type: 'TaskStateExited', stateExitedEventDetails: { name: 'Plan' } },
      { timestamp: t(520), type: 'TaskStateEntered', stateEnteredEventDetails: { name: 'Apply' } },
      { timestamp: t(530), type: 'TaskScheduled', ...scheduled('fn') },
      { timestamp: t(530), type: 'TaskStarted' },
      { timestamp: t(730), type: 'TaskSucceeded' },
      { timestamp: t(730), type: 'TaskStateExited', stateExitedEventDetails: { name: 'Apply' } },
      { timestamp: t(730), type: 'SucceedStateEntered', stateEnteredEventDetails: { name: 'Done' } },
      { timestamp: t(731), type: 'SucceedStateExited', stateExitedEventDetails: { name: 'Done' } },
      { timestamp: t(740), type: 'ExecutionSucceeded' },
    ] as never);

    expect(summary.durationMs).toBeCloseTo(740, 0);
    expect(summary.transitions).toBe(3);
    expect(summary.lambdaInvocations).toBe(2);
    expect(summary.functions).toBe(1);
    expect(summary.lambdaDurationsMs.map(Math.round)).toEqual([500, 200]);
    expect(summary.steps.map((s) => [s.name, Math.round(s.endMs - s.startMs)])).toEqual([
      ['Plan', 510],
      ['Apply', 210],
      ['Done', 1],
    ]);
  });
});

describe('cost', () => {
  it('prices 1,000 failovers from transitions, requests and GB-seconds', () => {
    const cost = failoverCost(9, [1000, 1000], 1024);

    expect(cost.gbSeconds).toBe(2);
    expect(cost.per1000.transitions).toBeCloseTo(0.225, 10);
    expect(cost.per1000.requests).toBeCloseTo(0.0004, 10);
    expect(cost.per1000.duration).toBeCloseTo(2 * 0.0000133334 * 1000, 10);
    expect(cost.per1000.total).toBeCloseTo(0.225 + 0.0004 + 0.0266668, 6);
  });
});

describe('scale topologies', () => {
  it.each([
    { tablesPerRegion: 2, vips: 1, regions: 2 },
    { tablesPerRegion: 250, vips: 3, regions: 3 },
  ] as const)('generates a valid topology for %o', (shape) => {
    const topology = scaleTopology(shape);

    expect(validateTopology(topology)).toEqual([]);
    expect(Object.values(topology.vpcs).map((v) => v.routeTables.length)).toEqual(
      Array(shape.regions).fill(shape.tablesPerRegion),
    );
    expect(topology.vips).toHaveLength(shape.vips);
  });

  it('counts applied writes per region+action bucket and per step', () => {
    const change = (region: string, kind: 'vpc' | 'tgw', step: string, result = 'applied') => ({
      table: 't',
      kind,
      region,
      vip: 'v',
      step,
      target: 'x',
      result,
    });
    const changes = [
      change('a', 'vpc', 'local-vpc'),
      change('a', 'vpc', 'local-vpc'),
      change('a', 'tgw', 'tgw'),
      change('b', 'tgw', 'tgw'),
      change('b', 'vpc', 'remote-vpc', 'unchanged'),
    ];

    expect(writesPerBucket(changes)).toEqual(
      new Map([
        ['a|ReplaceRoute', 2],
        ['a|ReplaceTransitGatewayRoute', 1],
        ['b|ReplaceTransitGatewayRoute', 1],
      ]),
    );
    expect(writesPerStepBucket(changes).get('tgw')).toEqual(
      new Map([
        ['a|ReplaceTransitGatewayRoute', 1],
        ['b|ReplaceTransitGatewayRoute', 1],
      ]),
    );
  });
});

describe('median', () => {
  it('takes the middle value, or the mean of the two middle ones', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });
});

describe('SDK module trace', () => {
  it('names each SDK package once, from hook and NODE_DEBUG lines alike', async () => {
    const { sdkModules } = await import('../../bench/startup');
    const trace = [
      '[module] file:///w/node_modules/@aws-sdk/client-sfn/dist-es/index.js',
      'MODULE 123: load "/w/node_modules/@smithy/core/dist-cjs/index.js" for module "."',
      '[module] file:///w/node_modules/@aws-sdk/node_modules/@smithy/types/dist-es/index.js',
      '[module] file:///w/node_modules/@aws-sdk/client-sfn/dist-es/commands.js',
      '[module] file:///w/node_modules/zod/v4/index.js',
    ].join('\n');

    expect(sdkModules(trace)).toEqual(['@aws-sdk/client-sfn', '@smithy/core', '@smithy/types']);
  });

  it('names the SDK packages bundled into the dist/ chunks the process loaded, and no others', async () => {
    const { sdkModules } = await import('../../bench/startup');
    const chunks = {
      'vipctl.mjs': ['commander'],
      'chunks/chunk-AAAA.mjs': ['@aws-sdk/client-sfn', '@smithy/core', 'zod'],
      'chunks/chunk-BBBB.mjs': ['@aws-sdk/client-ec2'],
    };
    const trace = [
      '[module] file:///w/dist/vipctl.mjs',
      '[module] file:///w/dist/chunks/chunk-AAAA.mjs',
    ].join('\n');

    expect(sdkModules(trace, chunks)).toEqual(['@aws-sdk/client-sfn', '@smithy/core']);
  });
});
