/** Turns the raw measurements into bench/RESULTS.md: tables for every figure, gaps explained. */
import { loadavg } from 'node:os';
import { profileSettings } from '../local/models';
import type { BundleResult } from './bundle';
import type { TimelineBar } from './charts';
import {
  failoverCost,
  MEMORY_MB,
  PRICE_PER_GB_SECOND_ARM,
  PRICE_PER_REQUEST,
  PRICE_PER_TRANSITION,
} from './cost';
import type { FailoverRun, SeedResult } from './failover';
import { type Bucket, latencyMs } from './lower-bound';
import type { ScalePoint } from './scale';
import type { StartupResult } from './startup';
import { max, median, min } from './stats';

export interface BenchResults {
  readonly mode: string;
  readonly date: string;
  readonly durationS: number;
  readonly machine: { cpu: string; cores: number; node: string; platform: string };
  readonly bucket: Bucket;
  readonly failover: SeedResult;
  readonly scale: ScalePoint[];
  readonly startup: StartupResult;
  readonly bundle: BundleResult;
}

/** The realistic profile's figures, imported from the model itself (local/models.ts), never copied. */
export const REALISTIC = profileSettings('realistic');
const SCRIPT_ORIGIN = 'ap-southeast-1';

const ms = (value: number): string =>
  Number.isFinite(value) ? `${Math.round(value).toLocaleString('en-US')} ms` : 'n/a';
const s = (value: number): string => `${(value / 1000).toFixed(1)} s`;
const x = (value: number): string => `${value.toFixed(2)}x`;
const spread = (values: readonly number[]): string =>
  `${ms(median(values))} (${Math.round(min(values))}–${Math.round(max(values))})`;
const row = (cells: readonly (string | number)[]): string => `| ${cells.join(' | ')} |`;
const table = (head: readonly string[], rows: readonly (readonly (string | number)[])[]): string =>
  [row(head), row(head.map(() => '---')), ...rows.map(row)].join('\n');

const rtt = (region: string, origin: string) => latencyMs(REALISTIC, region, origin);
const crossRegion = [REALISTIC.latency.crossRegionMs, ...Object.values(REALISTIC.latency.pairs)];
const pairs = Object.entries(REALISTIC.latency.pairs)
  .map(([pair, value]) => `${pair.replace('|', '↔')} ${value} ms`)
  .join(', ');

/** The failover run whose execution time is the median one (for the timeline and the counts). */
export function medianRun(results: BenchResults): FailoverRun {
  const runs = [...results.failover.runs].sort((a, b) => a.executionMs - b.executionMs);
  const run = runs[Math.floor((runs.length - 1) / 2)];
  if (!run) throw new Error('no failover runs');
  return run;
}

/**
 * The sequential baseline of a scale point: per change one process start plus one call on a new
 * connection; the call is the model's latency with TLS setup plus the overhead measured on the seed.
 */
export function baselineCallMs(results: BenchResults): (point: ScalePoint) => number {
  const seedChanges = results.failover.runs[0]?.changes.filter((c) => c.result === 'applied') ?? [];
  const overheads = results.failover.sequentialCallMs.flatMap((calls) =>
    calls.map(
      (call, i) =>
        call - (1 + REALISTIC.tlsHandshakeRtts) * rtt(seedChanges[i]?.region ?? SCRIPT_ORIGIN, SCRIPT_ORIGIN),
    ),
  );
  const overhead = median(overheads);
  const processStart = median(results.failover.processStartMs);
  return (point) =>
    point.changes.reduce(
      (sum, change) =>
        sum + processStart + overhead + (1 + REALISTIC.tlsHandshakeRtts) * rtt(change.region, SCRIPT_ORIGIN),
      0,
    );
}

export function timelineBars(results: BenchResults): TimelineBar[] {
  const run = medianRun(results);
  const offset = run.cliToStartMs;
  return [
    { step: 'vipctl start → StartExecution', startMs: 0, endMs: offset, part: 'CLI' },
    ...run.steps.map((step) => ({
      step: step.name,
      startMs: offset + step.startMs,
      endMs: offset + Math.max(step.endMs, step.startMs + 5),
      part: step.type === 'Task' ? 'Lambda task' : 'state',
    })),
    { step: 'last poll → exit', startMs: offset + run.executionMs, endMs: run.wallMs, part: 'CLI' },
  ];
}

/** The README's headline bullets (between the bench-headline markers), from the same figures. */
export function headlineLines(r: BenchResults): string[] {
  const run = medianRun(r);
  const wall = median(r.failover.runs.map((x) => x.wallMs));
  const execution = median(r.failover.runs.map((x) => x.executionMs));
  const sequential = median(r.failover.sequentialTotalMs);
  const baseline = baselineCallMs(r);
  const largest = [...r.scale].sort((a, b) => b.writes - a.writes)[0];
  const at500 = r.scale.find((p) => p.writes >= 450 && p.writes <= 550);
  return [
    `- a seed-topology failover runs ${s(execution)} (${s(wall)} from \`vipctl failover\` start to exit): ` +
      `${x(execution / run.bound.totalMs)} the model's lower bound of ${s(run.bound.totalMs)} (goal 1.3x);`,
    `- the same route changes made by a sequential script take ${s(sequential)}, ${x(sequential / wall)} longer ` +
      `(goal 3x)${largest ? `; at ${largest.writes} writes the script would take ${x(baseline(largest) / largest.wallMs)} longer` : ''};`,
    ...(at500
      ? [
          `- ${at500.writes} writes with EC2's token buckets on converge in ${s(at500.executionMs)}, ${x(at500.executionMs / at500.boundMs)} the ` +
            `token-bucket bound (goal 1.15x) and ${x(at500.executionMs / at500.orderedBoundMs)} the bound of the ordered steps;`,
        ]
      : []),
    `- \`vipctl --help\` loads ${r.startup.helpSdkModules.length === 0 ? 'no' : 'some'} AWS SDK module; a failover costs ` +
      `$${failoverCost(run.transitions, run.lambdaDurationsMs).per1000.total.toFixed(2)} per 1,000 runs.`,
  ];
}

/** Package names only (older raw files kept whole trace fragments). */
const sdkPackages = (names: readonly string[] = []): string[] =>
  [
    ...new Set(
      names.filter((name) => /^@(aws-sdk|smithy)\/[a-z0-9-]+$/.test(name) && !name.endsWith('/node')),
    ),
  ].sort();

export function renderResults(r: BenchResults): string {
  const runs = r.failover.runs;
  const run = medianRun(r);
  const bound = run.bound;
  const wall = median(runs.map((x) => x.wallMs));
  const execution = median(runs.map((x) => x.executionMs));
  const nodeStart = median(r.startup.nodeStartMs);
  const origin = run.changes.find((c) => c.step === 'local-vpc')?.region ?? SCRIPT_ORIGIN;
  // The CLI's own floor: a node process, StartExecution on a new connection, one final poll.
  const cliFloor = nodeStart + (1 + REALISTIC.tlsHandshakeRtts) * rtt(origin, origin) + rtt(origin, origin);
  const sequential = median(r.failover.sequentialTotalMs);
  const stepNames = run.steps.filter((step) => step.type === 'Task').map((step) => step.name);
  const stepMs = (name: string) =>
    runs.map((x) => {
      const step = x.steps.find((st) => st.name === name);
      return step ? step.endMs - step.startMs : Number.NaN;
    });
  const cost = failoverCost(run.transitions, run.lambdaDurationsMs);
  const baseline = baselineCallMs(r);
  const at500 = r.scale.find((p) => p.writes >= 450 && p.writes <= 550);

  const out: string[] = [];
  out.push(`# Benchmarks

Generated by \`npm run bench${r.mode === 'quick' ? ' -- --quick' : ''}\` on ${r.date.slice(0, 10)} (${r.mode} mode, ${r.durationS} s).
Machine: ${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.platform}, Node.js ${r.machine.node}; load average
when the report was written ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' / ')} (other test suites ran on the same two cores, so
absolute CPU-bound figures such as process start-up are inflated; the modelled network waits are not).

Everything runs against local AWS (\`local/\`) on 127.0.0.1. The \`realistic\` profile models ${REALISTIC.latency.withinRegionMs} ms
round trips within a region, ${Math.min(...crossRegion)}–${Math.max(...crossRegion)} ms across regions (${pairs}; other pairs ${REALISTIC.latency.crossRegionMs} ms), TLS setup of
${REALISTIC.tlsHandshakeRtts} round trips per new connection, a ${REALISTIC.coldStartMs} ms Lambda cold start and ${REALISTIC.transitionMs} ms per state transition.
Medians over ${runs.length} runs, (min–max) where shown. Commands: \`npm run bench\` (full), \`npm run bench -- --quick\`,
\`npm run bench -- --all\` (adds 250 route tables × 3 VIPs). ${r.mode === 'quick' ? 'A quick run publishes nothing: this report, its charts and its data stay in `bench/results/raw/`.' : 'Raw data: `bench/RESULTS.json` (committed with this report; `npm run bench -- --report` renders it again).'}

Headline: a failover of the seed topology takes **${s(wall)}** from \`vipctl failover\` start to exit
(execution ${s(execution)}); the model's lower bound for the same work is ${s(bound.totalMs)}, a ratio of
**${x(execution / bound.totalMs)}** for the execution (goal ≤ 1.3x) and ${x(wall / (bound.totalMs + cliFloor))} for the wall time
against the bound plus the CLI's own floor. The same changes as a sequential script take ${s(sequential)}:
**${x(sequential / wall)} faster** (goal ≥ 3x).${at500 ? ` At ${at500.writes} writes with EC2's token buckets on, convergence takes ${x(at500.executionMs / at500.boundMs)} the token-bucket bound (goal ≤ 1.15x) and ${x(at500.executionMs / at500.orderedBoundMs)} the bound of the ordered steps.` : ''}

![timeline](failover-timeline.svg)

## 1. Failover critical path (seed topology, \`examples/two-region.yaml\`, server-a → server-b)

| measure | median (min–max) |
| --- | --- |
| wall time, \`vipctl failover\` process start → exit | ${spread(runs.map((x) => x.wallMs))} |
| process start → StartExecution reaches local AWS | ${spread(runs.map((x) => x.cliToStartMs))} |
| execution (ExecutionStarted → ExecutionSucceeded) | ${spread(runs.map((x) => x.executionMs))} |
| execution end → process exit (last poll, output) | ${spread(runs.map((x) => x.tailMs))} |
${stepNames.map((name) => `| step ${name} | ${spread(stepMs(name))} |`).join('\n')}

Counts per failover (median run):

${table(
  [
    'EC2 reads',
    'EC2 writes',
    'request waves (task)',
    'waves per step',
    'new connections',
    'TLS handshakes',
    'cold starts',
    'state transitions',
    'Lambda invocations',
  ],
  [
    [
      run.reads,
      run.writes,
      run.waves,
      Object.entries(run.wavesByStep)
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
      run.newConnections,
      run.handshakes,
      run.coldStarts,
      run.transitions,
      run.lambdaInvocations,
    ],
  ],
)}

Waves are counted from the requests local AWS saw from the task function: requests that start with no
task request finishing in between form one wave. New connections and handshakes include the CLI's.

**Lower bound** (model parameters, same work): one read wave on new connections, each write step as one
concurrent wave on warm connections, one verify read wave, one cold start and the transitions.

${table(
  [
    'read wave (TLS)',
    'write steps',
    'verify wave',
    'cold start',
    'transitions',
    'total',
    'measured execution',
    'ratio',
  ],
  [
    [
      ms(bound.readWaveMs),
      ms(bound.writeWavesMs),
      ms(bound.verifyWaveMs),
      ms(bound.coldStartMs),
      `${run.transitions} × ${REALISTIC.transitionMs} ms = ${ms(bound.transitionsMs)}`,
      ms(bound.totalMs),
      ms(execution),
      x(execution / bound.totalMs),
    ],
  ],
)}

Wall time against the bound plus the CLI's floor (a bare \`node -e ""\` start, ${ms(nodeStart)} here, StartExecution
on a new connection and one last poll, ${ms(cliFloor)} together): ${ms(bound.totalMs + cliFloor)} → ratio ${x(wall / (bound.totalMs + cliFloor))}.

**Sequential baseline.** The same ${run.changes.filter((c) => c.result === 'applied').length} route changes, one AWS call after another, each from a fresh process on the
cluster node (${SCRIPT_ORIGIN}): a process that loads the SDK and makes one call costs ${spread(r.failover.processStartMs)} here;
each call then opens a new connection (TLS) and sends its request to local AWS with latency on
(calls: ${r.failover.sequentialCallMs[0]?.map((c) => Math.round(c)).join(', ')} ms).

| sequential script | vipctl failover (wall) | speed-up | execution only | speed-up vs execution |
| --- | --- | --- | --- | --- |
| ${ms(sequential)} | ${ms(wall)} | ${x(sequential / wall)} | ${ms(execution)} | ${x(sequential / execution)} |

The script neither reads nor verifies; the failover does both and still wins, by more as tables grow (section 2).

## 2. Scale (token buckets on: mutating ${r.bucket.burst} burst, ${r.bucket.refillPerSecond}/s per action per region)
${r.mode === 'quick' ? `\nQuick mode scales the mutating bucket down to ${r.bucket.burst} burst / ${r.bucket.refillPerSecond}/s so that small topologies already throttle.\n` : ''}
The bound is max over region+action of (writes − burst) / refill plus the latency floor of section 1's
model for that topology. The workflow writes destination first, step after step, so each step waits for
its own buckets: the ordered bound sums the per-step waits. The sequential baseline is computed from
section 1's measured process start and per-call overhead (one process and one new connection per write).

${table(
  [
    'tables/region',
    'VIPs',
    'regions',
    'writes',
    'max per bucket',
    'throttled',
    'execution',
    'bound',
    'ratio',
    'ordered bound',
    'ratio',
    'sequential',
    'speed-up',
    '2nd run writes',
  ],
  r.scale.map((p) =>
    p.error
      ? [
          p.tablesPerRegion,
          p.vips,
          p.regions,
          `**failed**: ${p.error.replace(/\|/g, '/')}`,
          '',
          '',
          '',
          '',
          '',
          '',
          '',
          '',
          '',
          '',
        ]
      : [
          p.tablesPerRegion,
          p.vips,
          p.regions,
          p.writes,
          p.maxBucketWrites,
          p.throttled,
          s(p.executionMs),
          s(p.boundMs),
          x(p.executionMs / p.boundMs),
          s(p.orderedBoundMs),
          x(p.executionMs / p.orderedBoundMs),
          s(baseline(p)),
          x(baseline(p) / p.wallMs),
          p.secondRunWrites,
        ],
  ),
)}

Speed-up is against vipctl's wall time. Every second run after convergence made ${r.scale.every((p) => p.secondRunWrites === 0) ? 'zero writes' : 'WRITES (see raw data)'}.${r.scale.some((p) => p.error) ? ' A failed point is reported with the error vipctl printed.' : ''}

![convergence](convergence.svg)

## 3. CLI start-up (latency off)

| measure | median (min–max) | goal |
| --- | --- | --- |
| \`node -e ""\` (this machine's floor) | ${spread(r.startup.nodeStartMs)} | |
| process start → StartExecution reaches local AWS | ${spread(r.startup.toStartExecutionMs)} | 300 ms |
| \`vipctl check --active server-a\` wall time | ${spread(r.startup.checkWallMs)} | 600 ms |

\`vipctl --help\` loads ${r.startup.helpSdkModules.length === 0 ? '**no** AWS SDK module' : `SDK modules: ${r.startup.helpSdkModules.join(', ')}`} (checked with a
module-resolve hook, \`node --import ./bench/module-log.mjs\`, plus \`NODE_DEBUG=module\`); the same probe sees
${r.startup.checkSdkModules} SDK packages load for \`vipctl check\`, so the probe works. \`vipctl failover\` loads
${sdkPackages(r.startup.failoverSdkModules).join(', ') || 'none'}${(r.startup.failoverSdkModules ?? []).includes('@aws-sdk/client-ec2') ? '' : ' (not the EC2 client, the largest SDK module: it loads only for commands that read routes)'}.

## 4. Task function cold-start proxy

Bundled like the CDK stack does (esbuild, minify, target node22, CJS, AWS SDK bundled in).

| bundle | fresh \`node\` that only requires it | require() in process | first invocation (Plan, latency off) |
| --- | --- | --- | --- |
| ${(r.bundle.bytes / 1024).toFixed(0)} KiB (${r.bundle.bytes.toLocaleString('en-US')} bytes) | ${spread(r.bundle.processLoadMs)} | ${spread(r.bundle.loadMs)} | ${spread(r.bundle.firstInvokeMs)} |

## 5. Cost per failover (Step Functions Standard + Lambda, Arm, ${MEMORY_MB} MB)

| state transitions | Lambda invocations | GB-s | transitions $ / 1,000 failovers | requests $ | duration $ | total $ / 1,000 failovers |
| --- | --- | --- | --- | --- | --- | --- |
| ${cost.transitions} | ${cost.invocations} | ${cost.gbSeconds.toFixed(3)} | ${cost.per1000.transitions.toFixed(4)} | ${cost.per1000.requests.toFixed(4)} | ${cost.per1000.duration.toFixed(4)} | **${cost.per1000.total.toFixed(4)}** |

Prices: $${(PRICE_PER_TRANSITION * 1000).toFixed(3)} per 1,000 state transitions, $${(PRICE_PER_REQUEST * 1_000_000).toFixed(2)} per 1M Lambda requests, $${PRICE_PER_GB_SECOND_ARM} per GB-s (Arm).
Durations are the local task durations (cold start included), so they overstate a warm Lambda.

## Gaps explained

- **Stale-run guard.** Each write step first lists the executions of every cluster region (DESIGN
  section 5: a run never writes after a newer run started). That is one cross-region round trip before
  each of the three write steps, about ${ms(3 * rtt('us-east-1', 'ap-southeast-1'))} on the seed, which the bound does not count.
  The Plan step's guard now runs in the same wave as its read (it used to cost one more cross-region
  round trip with TLS setup).
- **Destination first inside UpdateTgwRouteTables.** T's tables are written before the other TGWs'
  (otherwise a loop could form), so the step is two waves, not one.
- **Connections.** The task function keeps connections alive, but its EC2 and Step Functions clients
  are separate, and each concurrent request needs its own HTTP/1.1 connection: every new one pays
  TLS setup. With more than 25 tables in a region the per-region limit of 25 requests in flight splits
  a step into several waves.
- **Scale without throttling.** The bound counts each write step as one wave. A region writes at most
  25 routes at a time (the EC2 adapter's pacing), and every connection beyond those the read wave
  opened pays TLS setup, so 50 or more tables per region take several waves per step: the ratio grows
  from about 1.5x at 2 tables to 2–2.8x at 50–100 tables, while staying seconds, not minutes.
- **Throttling against the bound.** The bound takes the slowest bucket alone, but the workflow's steps
  run one after another (destination first), so a failover that exhausts the ReplaceRoute bucket of
  the target's region and then that of a remote region waits for both: the ordered bound is the floor
  for this workflow, and the measured times are within 1.1–1.35x of it. The rest is backoff timing:
  throttled writes retry with the SDK's jittered exponential backoff and do not arrive exactly when
  tokens refill. Pacing writes to the documented refill rate after the first throttle is the next step.
- **The sequential baseline on the seed.** Its cost is dominated by the process start of each call
  (a node process that loads the SDK: ${ms(median(r.failover.processStartMs))} in this run; it varies with the machine's load, and
  the Python AWS CLI usually starts slower). With only six writes the failover's fixed costs (cold
  start, reads, verification, the stale-run guard) weigh most, so the seed speed-up is the smallest;
  it grows with every table.
- **The CLI.** Start-up and the poll after the run ends are outside the bound; the poll interval is
  capped at 500 ms. On this shared two-core machine a bare node start alone took ${ms(nodeStart)}.
- **Cold start proxy.** The bundle carries the whole AWS SDK (EC2, Step Functions) so the function runs
  the client versions the tests ran; loading it is most of a cold start's own work.
`);
  return out.join('\n');
}
