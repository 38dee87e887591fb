import { GUARD_WINDOW_MS } from '../tasks/stale-run-guard';
import { type MoveIpBaseline, SDK_SCRIPT_MAX_ATTEMPTS, type TimedBaseline } from './baselines';
import {
  failoverCost,
  MEMORY_MB,
  PRICE_PER_GB_SECOND_ARM,
  PRICE_PER_REQUEST,
  PRICE_PER_TRANSITION,
} from './cost';
import {
  type BenchResults,
  baselineMedian,
  cliFloorParts,
  crossRegion,
  GOALS,
  goalResults,
  medianRun,
  ms,
  pairs,
  pointFigures,
  pointNear500,
  REALISTIC,
  regime,
  SCRIPT_ORIGIN,
  s,
  seconds,
  spread,
  table,
  x,
  xRange,
} from './figures';
import { type GoalResult, verdict } from './goals';
import { max, median, min } from './stats';

export * from './figures';

/** "the AWS CLI ... took 7.2 s, 1.71x vipctl's wall time", or why it did not run. */
export function baselineSentence(what: string, b: TimedBaseline, wallMs: number): string {
  const m = baselineMedian(b);
  return m === undefined
    ? `${what} did not run (${b.error ?? 'no runs'})`
    : `${what} took ${s(m)}, ${x(m / wallMs)} vipctl's wall time`;
}

/** What the agent did, from its calls and its `ip` commands. */
export function agentWork(b: MoveIpBaseline): string {
  const run = b.runs[0];
  if (!run) return '';
  const calls = Object.entries(run.calls)
    .map(([action, n]) => `${n} ${action}`)
    .join(', ');
  return `${calls} (AWS CLI, one process each), \`sleep 1\` after each (${run.sleepS} s), ${run.ipCommands.length} \`ip\` commands (stub)`;
}

/** Why this run measured the points it did, from its plan and its points. */
export function scalePlanSentence(r: BenchResults): string {
  const points = r.scale
    .map(
      (p) =>
        `${p.tablesPerRegion}×${p.vips}×${p.regions} (${p.writes} writes, ${p.maxBucketWrites} on the busiest bucket: ${regime(p, r.plan.bucket)})`,
    )
    .join('; ');
  const near = pointNear500(r.scale);
  return (
    `This run measured ${r.scale.length} point(s), tables/region × VIPs × regions, ${r.plan.scaleRepeats} runs each: ${points}. ` +
    `Regimes of the bucket covered: ${[...new Set(r.scale.map((p) => regime(p, r.plan.bucket)))].join(', ')}${near ? `; ${near.writes} writes for the 500-write goal, spread over ${near.regions} regions` : ''}. The points ` +
    `are sized for a run of about ${Math.round(r.plan.targetS / 60)} minutes on a two-core machine (this one took ${Math.round(r.durationS / 60)}): ` +
    `a larger point costs its baseline 3 one round trip per write, and its failover ${(1 / r.plan.bucket.refillPerSecond).toFixed(1)} s per write past the burst.`
  );
}

/** The machine's load during the run, and what it means for the CPU-bound figures. */
export function loadSentence(r: Pick<BenchResults, 'machine'>): string {
  const { loadStart, loadEnd, cores } = r.machine;
  if (loadStart === undefined || loadEnd === undefined) return 'The load average was not recorded.';
  const head = `The 1-minute load average was ${loadStart.toFixed(1)} when the measurements began and ${loadEnd.toFixed(1)} when they ended`;
  return Math.max(loadStart, loadEnd) > cores
    ? `${head}, above the ${cores} cores: other work shared the machine, so CPU-bound figures (process start-up, the AWS CLI baselines) are inflated; the modelled network waits are not.`
    : `${head}, within the ${cores} cores.`;
}

export function goalsTable(goals: readonly GoalResult[]): string {
  return table(
    ['goal', 'measured', 'limit', 'verdict', 'why (computed from this run)'],
    goals.map((g) => [g.goal, g.figure, g.limit, verdict(g.met), g.reason.replace(/\|/g, '/')]),
  );
}

/** The "Gaps explained" bullets, each from the measured figures. */
export function gapLines(r: BenchResults): string[] {
  const runs = r.failover.runs;
  const run = medianRun(r);
  const origin = run.changes.find((c) => c.step === 'local-vpc')?.region ?? SCRIPT_ORIGIN;
  const floor = cliFloorParts(median(r.startup.nodeStartMs), origin);
  const execution = median(runs.map((x) => x.executionMs));
  const writeSteps = [...new Set(run.changes.filter((c) => c.result === 'applied').map((c) => c.step))];
  const boundWaves = 1 + writeSteps.length + 1;
  const lines = [
    `- **Execution against its bound.** The median execution took ${ms(execution)}, ${ms(execution - run.bound.totalMs)} above the bound of ${ms(run.bound.totalMs)}. ` +
      `The task function made ${run.waves} request waves (${Object.entries(run.wavesByStep)
        .map(([k, v]) => `${k} ${v}`)
        .join(
          ', ',
        )}) where the bound counts ${boundWaves} (one read wave, ${writeSteps.length} write step(s), one verify wave); ` +
      `it opened ${run.newConnections} new connections (${run.handshakes} TLS handshakes, CLI included).`,
    `- **The CLI.** Process start → StartExecution took ${ms(median(runs.map((x) => x.cliToStartMs)))} against a floor of ${ms(floor.startMs)} ` +
      `(a bare node start, ${ms(median(r.startup.nodeStartMs))}, plus StartExecution on a new connection); execution end → exit took ` +
      `${ms(median(runs.map((x) => x.tailMs)))} against one poll round trip of ${ms(floor.pollMs)}.`,
  ];
  const ok = r.scale.filter((p) => !p.error);
  const calm = ok.filter((p) => pointFigures(p).throttled === 0);
  if (calm.length > 0) {
    lines.push(
      `- **Scale without throttling.** Against the token-bucket bound (no waits, so the latency floor): ${calm
        .map((p) => `${p.writes} writes ${x(pointFigures(p).executionMs / p.boundMs)}`)
        .join(', ')} (median executions).`,
    );
  }
  const throttled = ok.filter((p) => pointFigures(p).throttled > 0);
  if (throttled.length > 0) {
    const ratios = throttled.map((p) => pointFigures(p).executionMs / p.orderedBoundMs);
    const single = throttled.map((p) => pointFigures(p).executionMs / p.boundMs);
    lines.push(
      `- **Throttling against the ordered bound.** ${throttled.length} point(s) were throttled ` +
        `(median ${throttled.map((p) => `${pointFigures(p).throttled} of ${p.writes}`).join(', ')} writes retried); their executions took ` +
        `${xRange(ratios)} the ordered bound and ${xRange(single)} the single-bucket bound.`,
    );
  }
  const failed = r.scale.filter((p) => p.error);
  if (failed.length > 0) {
    lines.push(
      `- **Failed points.** ${failed.map((p) => `${p.tablesPerRegion}×${p.vips}×${p.regions}: ${p.error}`).join('; ')}.`,
    );
  }
  lines.push(...baselineLines(r));
  return lines;
}

/** What the baselines show, each sentence from the measured figures. */
export function baselineLines(r: BenchResults): string[] {
  const { awsCli, moveIp, sdkScript } = r.failover.baselines;
  const lines: string[] = [];
  const cli = baselineMedian(awsCli);
  const sdk = baselineMedian(sdkScript);
  if (cli !== undefined && sdk !== undefined) {
    const n = r.failover.runs[0]?.changes.filter((c) => c.result === 'applied').length ?? 0;
    lines.push(
      `- **Process start per call.** On the seed the AWS CLI took ${ms(cli)} for ${n} calls and the one-process SDK script ${ms(sdk)}: ` +
        `${ms((cli - sdk) / Math.max(1, n))} more per call, the cost of a new process and a new connection for each.`,
    );
  }
  const agent =
    moveIp.runs.length > 0 && !moveIp.error ? median(moveIp.runs.map((x) => x.wallMs)) : undefined;
  if (agent !== undefined) {
    const run = moveIp.runs[0]!;
    lines.push(
      `- **aws-vpc-move-ip.** Its start took ${ms(agent)} (${run.sleepS} s of it in \`sleep 1\` after each AWS call) and wrote ` +
        `${run.writes} of the ${moveIp.failoverChanges} routes the failover writes; ${moveIp.left.length} stayed on the old node (${leftSummary(moveIp.left)}), ` +
        `so ${moveIp.left.length > 0 ? 'traffic from other VPCs does not reach the new node' : 'nothing was left'}.`,
    );
  }
  const largest = r.scale
    .filter((p) => !p.error && baselineMedian(p.sdkScript) !== undefined)
    .sort((a, b) => b.writes - a.writes)[0];
  if (largest) {
    const script = baselineMedian(largest.sdkScript)!;
    const f = pointFigures(largest);
    lines.push(
      `- **Scale.** At ${largest.writes} writes the SDK script took ${ms(script)} against vipctl's ${ms(f.wallMs)} (${x(script / f.wallMs)}); ` +
        `the script writes one route at a time, each a round trip${(largest.sdkScript.retries ?? []).some((n) => n > 0) ? `, and was throttled too (median ${median(largest.sdkScript.retries ?? [])} retries)` : ''}.`,
    );
  } else if (sdk !== undefined) {
    lines.push(`- **Scale.** No scale point measured the SDK script in this run.`);
  }
  return lines;
}

/** "2 tgw in ap-southeast-1, 2 vpc in us-east-1": the tables a baseline left, by kind and region. */
export function leftSummary(left: MoveIpBaseline['left']): string {
  const counts = new Map<string, number>();
  for (const t of left)
    counts.set(
      `${t.kind === 'tgw' ? 'TGW' : 'VPC'} route table(s) in ${t.region}`,
      (counts.get(`${t.kind === 'tgw' ? 'TGW' : 'VPC'} route table(s) in ${t.region}`) ?? 0) + 1,
    );
  return [...counts].map(([what, n]) => `${n} ${what}`).join(', ') || 'none';
}

/** The headline bullets of docs/benchmarks.md (between the bench-headline markers), from the same figures. */
export function headlineLines(r: BenchResults): string[] {
  const run = medianRun(r);
  const wall = median(r.failover.runs.map((x) => x.wallMs));
  const execution = median(r.failover.runs.map((x) => x.executionMs));
  const { awsCli, sdkScript, moveIp } = r.failover.baselines;
  const agent =
    moveIp.runs.length > 0 && !moveIp.error ? median(moveIp.runs.map((a) => a.wallMs)) : undefined;
  return [
    `- a seed-topology failover runs ${s(execution)} (${s(wall)} from \`vipctl failover\` start to exit), ` +
      `${x(execution / run.bound.totalMs)} the model's lower bound of ${s(run.bound.totalMs)} for the execution;`,
    `- the same route changes: ${baselineSentence('the AWS CLI, one process per call,', awsCli, wall)}; ${baselineSentence('one Node.js SDK process', sdkScript, wall)}; ` +
      (agent === undefined
        ? `aws-vpc-move-ip did not run;`
        : `aws-vpc-move-ip took ${s(agent)} and wrote ${moveIp.runs[0]?.writes ?? 0} of the ${moveIp.failoverChanges} routes;`),
    ...goalResults(r).map((g) => `- ${g.goal}: ${g.figure} (goal ${g.limit}), ${verdict(g.met)};`),
    `- \`vipctl --help\` loads ${r.startup.helpSdkModules.length === 0 ? 'no' : 'some'} AWS SDK module; a failover costs ` +
      `$${failoverCost(run.transitions, run.lambdaDurationsMs).per1000.total.toFixed(2)} per 1,000 runs;`,
    `- ${r.machine.cores} cores, ${r.date.slice(0, 10)}: ${loadSentence(r)}`,
  ];
}

/** How old the stale-run guard's covering listings were when the waves went out, against the window. */
function guardAgeSentence(runs: BenchResults['failover']['runs']): string {
  const ages = runs.flatMap((run) => run.guardAgesMs ?? []);
  if (ages.length === 0) return '';
  return (
    `The stale-run guard's covering listing was ${spread(ages)} old when a wave went out (every update step ` +
    `of every run), against its window of ${ms(GUARD_WINDOW_MS)}.\n`
  );
}

/**
 * The stale-run guard's window as docs/architecture.md states it (between the guard-window markers): the
 * code's bound and, from this run's seed failovers, how old the covering listing was when a wave went out.
 */
export function guardWindowLine(r: BenchResults): string {
  const ages = r.failover.runs.flatMap((run) => run.guardAgesMs ?? []);
  const measured =
    ages.length > 0
      ? ` In the committed benchmark (the seed failover with realistic latency, ${r.failover.runs.length} runs, ` +
        `${r.date.slice(0, 10)}) the oldest listing a wave went out on was ${ms(max(ages))} old (median ${ms(median(ages))}).`
      : '';
  return (
    `The window is **${ms(GUARD_WINDOW_MS)}** (\`GUARD_WINDOW_MS\`, \`tasks/stale-run-guard.ts\`): every write wave ` +
    `goes out within that long after the start of a listing that found no newer run.${measured}`
  );
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
  const floor = cliFloorParts(nodeStart, origin);
  const cliFloor = floor.startMs + floor.pollMs;
  const stepNames = run.steps.filter((step) => step.type === 'Task').map((step) => step.name);
  const stepMs = (name: string) =>
    runs.map((x) => {
      const step = x.steps.find((st) => st.name === name);
      return step ? step.endMs - step.startMs : Number.NaN;
    });
  const cost = failoverCost(run.transitions, run.lambdaDurationsMs);
  const goals = goalResults(r);
  const { awsCli, moveIp, sdkScript } = r.failover.baselines;
  const changesMade = run.changes.filter((c) => c.result === 'applied').length;
  const versus = (b: number | undefined) => (b === undefined ? '' : `, ${x(b / wall)} vipctl's wall time`);
  const cliMs = baselineMedian(awsCli);
  const sdkMs = baselineMedian(sdkScript);
  const agentMs =
    moveIp.runs.length > 0 && !moveIp.error ? median(moveIp.runs.map((a) => a.wallMs)) : undefined;

  const out: string[] = [];
  out.push(`# Benchmarks

Generated by \`npm run bench${r.mode === 'quick' ? ' -- --quick' : ''}\` on ${r.date.slice(0, 10)} (${r.mode} mode, ${r.durationS} s).
Machine: ${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.platform}, Node.js ${r.machine.node}. ${loadSentence(r)}

Everything runs against local AWS (\`local/\`) on 127.0.0.1. The \`realistic\` profile models ${REALISTIC.latency.withinRegionMs} ms
round trips within a region, ${Math.min(...crossRegion)}–${Math.max(...crossRegion)} ms across regions (${pairs}; other pairs ${REALISTIC.latency.crossRegionMs} ms), TLS setup of
${REALISTIC.tlsHandshakeRtts} round trips per new connection, a ${REALISTIC.coldStartMs} ms Lambda cold start and ${REALISTIC.transitionMs} ms per state transition.
Medians over ${runs.length} runs on the seed and ${r.plan.scaleRepeats} per scale point, (min–max) where shown; each run on a fresh local
AWS (cold task function, new connections, full token buckets). Commands: \`npm run bench\` (full), \`npm run bench -- --quick\`. ${r.mode === 'quick' ? 'A quick run publishes nothing: this report, its charts and its data stay in `bench/results/raw/`.' : 'Raw data: `bench/RESULTS.json` (committed with this report; `npm run bench -- --report` renders it again).'}

Headline: a failover of the seed topology takes **${s(wall)}** from \`vipctl failover\` start to exit
(execution ${s(execution)}); the model's lower bound for the same work is ${s(bound.totalMs)}, ${x(execution / bound.totalMs)} for the
execution and ${x(wall / (bound.totalMs + cliFloor))} for the wall time against the bound plus the CLI's own floor. Measured in the same run on the
same ${changesMade} route changes: ${baselineSentence('the AWS CLI, one process per call,', awsCli, wall)}; ${baselineSentence('one Node.js process with the SDK', sdkScript, wall)}.
${agentMs === undefined ? `ClusterLabs' aws-vpc-move-ip did not run: ${moveIp.error ?? 'no runs'}.` : `ClusterLabs' aws-vpc-move-ip took ${s(agentMs)}${versus(agentMs)}, and wrote ${moveIp.runs[0]?.writes ?? 0} of those ${moveIp.failoverChanges} routes.`}

## Goals

${goalsTable(goals)}

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
${guardAgeSentence(runs)}

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

**Baselines.** The same ${changesMade} route changes, made from the cluster node's region (${origin}), each run on a
fresh local AWS with the same models and starting routes, interleaved with vipctl's (its run i, then each baseline's
run i), so that all see the same machine load:

${table(
  ['', 'what it does', 'wall time, median (min–max)', 'routes written', 'against vipctl'],
  [
    [
      'vipctl failover',
      'plans (reads every table), writes in order, verifies hop by hop',
      spread(runs.map((a) => a.wallMs)),
      String(run.writes),
      '1.00x',
    ],
    [
      `1. AWS CLI${r.awsCli.version ? ` (${r.awsCli.version})` : ''}`,
      'one `aws ec2 replace-(transit-gateway-)route` process per change, one after another',
      cliMs === undefined ? `not run: ${awsCli.error ?? 'no runs'}` : spread(awsCli.totalMs),
      cliMs === undefined ? '' : String(changesMade),
      cliMs === undefined ? '' : x(cliMs / wall),
    ],
    [
      "2. ClusterLabs' aws-vpc-move-ip `start`",
      agentMs === undefined ? '' : agentWork(moveIp),
      agentMs === undefined
        ? `not run: ${(moveIp.error ?? 'no runs').replace(/\|/g, '/')}`
        : spread(moveIp.runs.map((a) => a.wallMs)),
      agentMs === undefined
        ? ''
        : `${moveIp.runs[0]?.writes ?? 0} of ${moveIp.failoverChanges}; left on the old node: ${leftSummary(moveIp.left)}`,
      agentMs === undefined ? '' : x(agentMs / wall),
    ],
    [
      '3. SDK script, one Node.js process',
      `keep-alive connections, one change after another; the SDK's ${SDK_SCRIPT_MAX_ATTEMPTS} attempts per call, then a 1 s wait and again while throttled`,
      sdkMs === undefined ? `not run: ${sdkScript.error ?? 'no runs'}` : spread(sdkScript.totalMs),
      sdkMs === undefined ? '' : String(changesMade),
      sdkMs === undefined ? '' : x(sdkMs / wall),
    ],
  ],
)}

"Against vipctl" is the baseline's median wall time over vipctl's; above 1.00x vipctl is faster. No baseline reads or
verifies; vipctl does both.

## 2. Scale (token buckets on: mutating ${r.plan.bucket.burst} burst, ${r.plan.bucket.refillPerSecond}/s per action per region)
${r.mode === 'quick' ? `\nQuick mode scales the mutating bucket down to ${r.plan.bucket.burst} burst / ${r.plan.bucket.refillPerSecond}/s so that a small topology already throttles.\n` : ''}
${scalePlanSentence(r)}

The bound is max over region+action of (writes − burst) / refill plus the latency floor of section 1's
model for that topology. The workflow writes destination first, step after step, so each step waits for
its own buckets: the ordered bound sums the per-step waits. The baselines are measured on each point's own
route changes, under the same buckets: the SDK script (baseline 3) at every point, the AWS CLI (baseline 1)
at points of at most ${r.plan.awsCliMaxWrites} writes.

${table(
  [
    'tables/region',
    'VIPs',
    'regions',
    'writes',
    'max per bucket',
    'throttled',
    'vipctl wall',
    'execution',
    'bound',
    'ratio',
    'ordered bound',
    'ratio',
    'SDK script (3)',
    'against vipctl',
    'AWS CLI (1)',
    'against vipctl',
    '2nd run writes',
  ],
  r.scale.map((p) => {
    if (p.error && p.runs.length === 0) {
      return [
        p.tablesPerRegion,
        p.vips,
        p.regions,
        `**failed**: ${p.error.replace(/\|/g, '/')}`,
        ...Array(13).fill(''),
      ];
    }
    const f = pointFigures(p);
    const sdk = baselineMedian(p.sdkScript);
    const cli = baselineMedian(p.awsCli);
    return [
      p.tablesPerRegion,
      p.vips,
      p.regions,
      p.writes,
      p.maxBucketWrites,
      f.throttled,
      seconds(p.runs.map((a) => a.wallMs)),
      seconds(p.runs.map((a) => a.executionMs)),
      s(p.boundMs),
      x(f.executionMs / p.boundMs),
      s(p.orderedBoundMs),
      x(f.executionMs / p.orderedBoundMs),
      sdk === undefined
        ? `not run: ${(p.sdkScript.error ?? '').replace(/\|/g, '/')}`
        : seconds(p.sdkScript.totalMs),
      sdk === undefined ? '' : x(sdk / f.wallMs),
      cli === undefined ? (p.awsCli.error ?? '').replace(/\|/g, '/') : seconds(p.awsCli.totalMs),
      cli === undefined ? '' : x(cli / f.wallMs),
      f.secondRunWrites,
    ];
  }),
)}

Execution, vipctl wall and the baselines are medians over each point's runs (min–max); throttled is the median
count of writes answered RequestLimitExceeded. Every second run after convergence made ${r.scale.every((p) => pointFigures(p).secondRunWrites === 0) ? 'zero writes' : 'WRITES (see raw data)'}.${r.scale.some((p) => p.error) ? ' A failed point is reported with the error vipctl printed.' : ''}

![convergence](convergence.svg)

## 3. CLI start-up (latency off)

| measure | median (min–max) | goal |
| --- | --- | --- |
| \`node -e ""\` (this machine's floor) | ${spread(r.startup.nodeStartMs)} | |
| process start → StartExecution reaches local AWS | ${spread(r.startup.toStartExecutionMs)} | ≤ ${ms(GOALS.toStartExecutionMs)} |
| \`vipctl check --active server-a\` wall time | ${spread(r.startup.checkWallMs)} | ≤ ${ms(GOALS.checkWallMs)} |
| \`vipctl check\` peak RSS | ${r.startup.checkPeakRssKiB && r.startup.checkPeakRssKiB.length > 0 ? `${Math.round(median(r.startup.checkPeakRssKiB) / 1024)} MiB (${Math.round(min(r.startup.checkPeakRssKiB) / 1024)}–${Math.round(max(r.startup.checkPeakRssKiB) / 1024)})` : 'n/a'} | ≤ ${GOALS.checkPeakRssMiB} MiB |

\`vipctl --help\` loads ${r.startup.helpSdkModules.length === 0 ? '**no** AWS SDK module' : `SDK modules: ${r.startup.helpSdkModules.join(', ')}`} (checked with a
module-resolve hook, \`node --import ./bench/module-log.mjs\`, plus \`NODE_DEBUG=module\`); the same probe sees
${r.startup.checkSdkModules} SDK packages load for \`vipctl check\`, so the probe works. \`vipctl failover\` loads
${sdkPackages(r.startup.failoverSdkModules).join(', ') || 'none'}${(r.startup.failoverSdkModules ?? []).includes('@aws-sdk/client-ec2') ? '' : ' (not the EC2 client: it loads only for commands that read routes)'}.

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
Durations are the local task durations, cold start included.

## Gaps explained

Every figure below comes from this run's data (section 1's median run and section 2's points).

${gapLines(r).join('\n')}
`);
  return out.join('\n');
}
