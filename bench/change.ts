/** One route change a failover made, as the run's output lists it: what the baselines repeat. */
export interface Change {
  readonly table: string;
  readonly kind: 'vpc' | 'tgw';
  readonly region: string;
  readonly vip: string;
  readonly step: string;
  readonly target: string;
  readonly result: string;
}
