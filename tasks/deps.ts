/**
 * What the task handlers need from the outside world, built once per process and passed in.
 * `depsFromEnv()` is the one place where the deployed Lambda reads its configuration.
 */
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { Ec2ClientFor } from './ec2';

export type SfnClientFor = (region: string) => SFNClient;

export interface TaskDeps {
  /** One EC2 client per region, reused across invocations. */
  readonly ec2: Ec2ClientFor;
  /** One Step Functions client per region (the stale-run guard lists executions in every cluster region). */
  readonly sfn: SfnClientFor;
  /** The clock; tasks read time only through this. */
  readonly now: () => Date;
  /** Waits between verification attempts; tests pass a fake. */
  readonly sleep: (ms: number) => Promise<void>;
}
