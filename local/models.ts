/**
 * The behaviour models of local AWS, all off by default: latency (per region and cross-region), a TLS
 * setup cost per new connection, Lambda cold start and state transition costs (read by local/sfn),
 * EC2 and Step Functions token buckets per account, region and action with AWS's documented figures,
 * route states (`pending`, `deleting`), region outages (refused or hanging), injected errors and stale
 * reads. The `realistic` profile turns on latency and both sets of buckets.
 * Also the counters that benchmarks read. Programmatic control here; HTTP control in control.ts; what
 * can be set, and AWS's figures, in model-settings.ts.
 */
import {
  type Bucket,
  Fault,
  isMutatingAction,
  ModelPatch,
  ModelSettings,
  type OutageMode,
  type OutageService,
  type Profile,
  profileSettings,
} from './model-settings';

export * from './model-settings';

export interface LocalStats {
  /** API calls per region per action (EC2 actions, STS, Step Functions operations). */
  calls: Record<string, Record<string, number>>;
  /** Of those, the Step Functions calls the task function made (the stale-run guard's), per region and operation. */
  taskCalls: Record<string, Record<string, number>>;
  /** Requests refused by a token bucket, per region and action (EC2) or operation (Step Functions). */
  throttledCalls: Record<string, Record<string, number>>;
  /** Successful route writes (Create/Replace/Delete of VPC and TGW routes). */
  writes: number;
  /** New TCP connections accepted. */
  newConnections: number;
  /** API requests that were the first on their connection and paid the TLS setup cost. */
  handshakes: number;
  /** Requests answered with RequestLimitExceeded. */
  throttled: number;
  /** Step Functions requests answered with ThrottlingException. */
  sfnThrottled: number;
  /** Requests answered with an injected fault. */
  faultsInjected: number;
  /** Requests dropped because their region is down. */
  refused: number;
  /** Requests left unanswered because their region (or service) hangs. */
  hung: number;
}

const emptyStats = (): LocalStats => ({
  calls: {},
  taskCalls: {},
  throttledCalls: {},
  writes: 0,
  newConnections: 0,
  handshakes: 0,
  throttled: 0,
  sfnThrottled: 0,
  faultsInjected: 0,
  refused: 0,
  hung: 0,
});

interface StaleEntry {
  readonly region: string;
  readonly table: string;
  readonly destination: string;
  /** The route as it was before the write; undefined when it did not exist. */
  readonly previous: unknown;
  remaining: number;
}

export interface LocalModelsOptions {
  readonly profile?: Profile;
  /** Clock of the token buckets (ms). @default Date.now */
  readonly now?: () => number;
  /** Random source of fault probabilities. @default Math.random */
  readonly random?: () => number;
}

export class LocalModels {
  private current: ModelSettings;
  private counters = emptyStats();
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private stale: StaleEntry[] = [];
  private crash: { remaining: number; triggered: boolean } | undefined;
  private readonly writeListeners = new Set<() => void>();
  /** The clock of the token buckets and of the route-state transitions (ms). */
  readonly now: () => number;
  private readonly random: () => number;

  constructor(options: LocalModelsOptions = {}) {
    this.current = profileSettings(options.profile ?? 'off');
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
  }

  settings(): ModelSettings {
    return structuredClone(this.current);
  }

  /** Read by local/sfn at each use (the settings may change while local AWS runs). */
  coldStartMs(): number {
    return this.current.coldStartMs;
  }

  transitionMs(): number {
    return this.current.transitionMs;
  }

  enforcesPayloadLimit(): boolean {
    return this.current.sfnPayloadLimit;
  }

  /** Applies a patch (validated); a `profile` resets everything to it before the rest applies. */
  update(patch: unknown): ModelSettings {
    const parsed = ModelPatch.parse(patch);
    const base = parsed.profile ? profileSettings(parsed.profile) : this.current;
    this.current = ModelSettings.parse({
      ...base,
      ...Object.fromEntries(
        Object.entries(parsed).filter(([key, value]) => key !== 'profile' && value !== undefined),
      ),
      latency: { ...base.latency, ...parsed.latency },
      throttle: { ...base.throttle, ...parsed.throttle },
      sfnThrottle: { ...base.sfnThrottle, ...parsed.sfnThrottle },
      routeStates: { ...base.routeStates, ...parsed.routeStates },
    });
    this.buckets.clear();
    return this.settings();
  }

  /** Back to the `off` profile; counters, buckets and stale reads are cleared too. */
  reset(): void {
    this.current = profileSettings('off');
    this.buckets.clear();
    this.stale = [];
    this.crash = undefined;
    this.counters = emptyStats();
  }

  // --- latency -------------------------------------------------------------------------------------

  /** Round-trip latency of a request from `origin` (undefined = same region) to `region`. */
  latencyMs(region: string, origin?: string): number {
    const { latency } = this.current;
    if (!origin || origin === region) return latency.withinRegionMs;
    const key = [origin, region].sort().join('|');
    return latency.pairs[key] ?? latency.crossRegionMs;
  }

  /** Extra cost of the first request on a new connection. */
  tlsCostMs(region: string, origin?: string): number {
    return this.current.tlsHandshakeRtts * this.latencyMs(region, origin);
  }

  // --- outages -------------------------------------------------------------------------------------

  /** How a request to `service` in `region` fails, if an outage covers it (`hang` wins over `refuse`). */
  outageFor(region: string, service?: OutageService): OutageMode | undefined {
    const hits = this.current.serviceOutages.filter(
      (o) => o.region === region && (o.service === '*' || o.service === service),
    );
    if (hits.some((o) => o.mode === 'hang')) return 'hang';
    if (this.current.outages.includes(region) || hits.length > 0) return 'refuse';
    return undefined;
  }

  /** True when the whole region is down, or (given `service`) that service of the region. */
  isDown(region: string, service?: OutageService): boolean {
    return (
      this.current.outages.includes(region) ||
      this.current.serviceOutages.some(
        (o) => o.region === region && (o.service === '*' || (service !== undefined && o.service === service)),
      )
    );
  }

  /**
   * Takes a whole region down (or up), or only one of its services when `service` is given. A `hang`
   * outage leaves requests unanswered instead of refusing them. Bringing a region back up (no service)
   * ends every outage of it.
   */
  setOutage(region: string, down: boolean, service?: OutageService, mode: OutageMode = 'refuse'): void {
    if (!down && service === undefined) {
      this.current.outages = this.current.outages.filter((r) => r !== region);
      this.current.serviceOutages = this.current.serviceOutages.filter((o) => o.region !== region);
      return;
    }
    if ((service === undefined || service === '*') && mode === 'refuse') {
      const others = this.current.outages.filter((r) => r !== region);
      this.current.outages = down ? [...others, region] : others;
      return;
    }
    const scope = service ?? '*';
    const others = this.current.serviceOutages.filter((o) => o.region !== region || o.service !== scope);
    this.current.serviceOutages = down
      ? [...others, { region, service: scope, ...(mode === 'hang' ? { mode } : {}) }]
      : others;
  }

  // --- throttling ----------------------------------------------------------------------------------

  /**
   * Takes a token of EC2 `action` in `region` for `account`; false when the bucket is empty (throttle).
   * `unfiltered` marks a Describe* request with no filter, no ID list and no MaxResults.
   */
  takeToken(
    region: string,
    action: string,
    options: { account?: string; unfiltered?: boolean } = {},
  ): boolean {
    const { throttle } = this.current;
    if (!throttle.enabled) return true;
    const unfiltered = options.unfiltered === true && action.startsWith('Describe');
    const bucket =
      throttle.actions[action] ??
      (isMutatingAction(action)
        ? throttle.mutating
        : unfiltered
          ? throttle.unfilteredDescribe
          : throttle.nonMutating);
    const taken = this.take(
      `ec2|${options.account ?? ''}|${region}|${action}${unfiltered ? '|unfiltered' : ''}`,
      bucket,
    );
    if (!taken) this.tally(this.counters.throttledCalls, region, action);
    return taken;
  }

  /** Takes a token of Step Functions `operation` in `region` for `account`; false when throttled. */
  takeSfnToken(region: string, operation: string, account = ''): boolean {
    const { sfnThrottle } = this.current;
    if (!sfnThrottle.enabled) return true;
    const buckets = sfnThrottle.operations[operation];
    if (!buckets) return true;
    const bucket = sfnThrottle.largeRegions.includes(region) ? buckets.large : buckets.other;
    const taken = this.take(`states|${account}|${region}|${operation}`, bucket);
    if (!taken) this.tally(this.counters.throttledCalls, region, operation);
    return taken;
  }

  private take(key: string, bucket: Bucket): boolean {
    const now = this.now();
    const state = this.buckets.get(key) ?? { tokens: bucket.burst, at: now };
    state.tokens = Math.min(bucket.burst, state.tokens + ((now - state.at) / 1000) * bucket.refillPerSecond);
    state.at = now;
    this.buckets.set(key, state);
    if (state.tokens < 1) return false;
    state.tokens -= 1;
    return true;
  }

  // --- route states --------------------------------------------------------------------------------

  /** The phase a TGW route enters after a write (`pending`) or a delete (`deleting`); none when off. */
  tgwPhase(
    state: 'pending' | 'deleting',
  ): { state: 'pending' | 'deleting'; readsLeft: number; until: number } | undefined {
    const transition =
      state === 'pending' ? this.current.routeStates.tgwPending : this.current.routeStates.tgwDeleting;
    if (transition.reads === 0 && transition.ms === 0) return undefined;
    return { state, readsLeft: transition.reads, until: this.now() + transition.ms };
  }

  // --- injected faults -----------------------------------------------------------------------------

  addFault(fault: unknown): void {
    this.current.faults.push(Fault.parse(fault));
  }

  clearFaults(): void {
    this.current.faults = [];
  }

  /** The fault that hits this request, if any (consumes one of its `count`). */
  takeFault(region: string, action: string, resources: readonly string[]): Fault | undefined {
    const index = this.current.faults.findIndex(
      (f) =>
        (f.action === '*' || f.action === action) &&
        (!f.region || f.region === region) &&
        (!f.resource || resources.includes(f.resource)),
    );
    const fault = this.current.faults[index];
    if (!fault) return undefined;
    if (fault.probability !== undefined && this.random() >= fault.probability) return undefined;
    if (fault.count !== undefined) {
      if (fault.count <= 1) this.current.faults.splice(index, 1);
      else this.current.faults[index] = { ...fault, count: fault.count - 1 };
    }
    return fault;
  }

  // --- stale reads ---------------------------------------------------------------------------------

  /** Remembers the state of a route before a write, for the next `staleReads` reads. */
  noteWrite(region: string, table: string, destination: string, previous: unknown): void {
    if (this.current.staleReads === 0) return;
    // A second write keeps the oldest state: readers still see what was there before the first one.
    const existing = this.stale.find(
      (s) => s.region === region && s.table === table && s.destination === destination,
    );
    if (existing) existing.remaining = this.current.staleReads;
    else this.stale.push({ region, table, destination, previous, remaining: this.current.staleReads });
  }

  /**
   * The stale routes a read of `tables` must show instead of the current ones, as `destination -> previous`
   * per table. Each call counts as one read of every table it names.
   */
  staleRoutes(region: string, tables: readonly string[]): Map<string, Map<string, unknown>> {
    const result = new Map<string, Map<string, unknown>>();
    for (const entry of this.stale) {
      if (entry.region !== region || !tables.includes(entry.table)) continue;
      const perTable = result.get(entry.table) ?? new Map<string, unknown>();
      perTable.set(entry.destination, entry.previous);
      result.set(entry.table, perTable);
      entry.remaining -= 1;
    }
    this.stale = this.stale.filter((s) => s.remaining > 0);
    return result;
  }

  // --- task crash --------------------------------------------------------------------------------

  /**
   * The task process dies after `afterWrites` more successful route writes: from then on the task's
   * writes are refused, and the invocation in flight fails like a Lambda whose runtime exited.
   */
  armTaskCrash(afterWrites: number): void {
    this.crash = { remaining: afterWrites, triggered: afterWrites <= 0 };
  }

  /** True between the crash and the end of the invocation it hit. */
  get taskCrashed(): boolean {
    return this.crash?.triggered === true;
  }

  /** Called when an invocation settles: true when the crash hit it (the crash is then over). */
  takeTaskCrash(): boolean {
    if (!this.crash?.triggered) return false;
    this.crash = undefined;
    return true;
  }

  // --- counters ------------------------------------------------------------------------------------

  /** One API call; `fromTask` marks a Step Functions call of the task function (it names its origin region). */
  countCall(region: string, action: string, fromTask = false): void {
    this.tally(this.counters.calls, region, action);
    if (fromTask) this.tally(this.counters.taskCalls, region, action);
  }

  private tally(counts: Record<string, Record<string, number>>, region: string, action: string): void {
    const perRegion = counts[region] ?? {};
    perRegion[action] = (perRegion[action] ?? 0) + 1;
    counts[region] = perRegion;
  }

  count(counter: Exclude<keyof LocalStats, 'calls' | 'taskCalls' | 'throttledCalls'>): void {
    this.counters[counter] += 1;
    if (counter === 'writes' && this.crash && !this.crash.triggered) {
      this.crash.remaining -= 1;
      this.crash.triggered = this.crash.remaining <= 0;
    }
    if (counter === 'writes') for (const listener of this.writeListeners) listener();
  }

  /**
   * Calls `listener` synchronously after every successful route write, before the writer sees the
   * response (tests inject drift at an exact point of a run). Returns the unsubscribe function.
   */
  onWrite(listener: () => void): () => void {
    this.writeListeners.add(listener);
    return () => this.writeListeners.delete(listener);
  }

  stats(): LocalStats {
    return structuredClone(this.counters);
  }

  resetStats(): void {
    this.counters = emptyStats();
  }
}
