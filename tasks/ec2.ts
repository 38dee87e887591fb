/**
 * The only file that talks to EC2. Reads a whole topology's VIP routes and resource health in one
 * concurrent wave, applies route changes concurrently as create-or-replace, and classifies errors.
 * Turns SDK shapes into domain types (world.ts, plan.ts) at the border.
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { Change, ChangeResult } from './plan';
import type { Topology } from './topology';
import type { Observation } from './world';

/** One reusable client per region (build once, pass in, so tests need no module mocking). */
export type Ec2ClientFor = (region: string) => EC2Client;

export interface Ec2ClientOptions {
  /** Overrides the SDK's endpoint resolution (local AWS); otherwise AWS_ENDPOINT_URL* and defaults apply. */
  readonly endpoint?: string;
  /** Total time the SDK may spend retrying one call (throttling, 5xx, connection errors). @default 20000 */
  readonly budgetMs?: number;
}

/** How an AWS error should be handled. */
export type ErrorClass = 'transient' | 'permanent' | 'unreachable';

export interface ClassifiedError {
  readonly class: ErrorClass;
  /** AWS error code (`RequestLimitExceeded`, `InvalidRouteTableID.NotFound`) or network code (`ECONNREFUSED`). */
  readonly code: string;
  readonly message: string;
}

export declare function ec2ClientFor(options?: Ec2ClientOptions): Ec2ClientFor;
export declare function classifyError(error: unknown): ClassifiedError;
export declare function readWorld(clientFor: Ec2ClientFor, topology: Topology): Promise<Observation>;
export declare function applyChanges(clientFor: Ec2ClientFor, changes: readonly Change[]): Promise<ChangeResult[]>;
