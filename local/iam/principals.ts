/**
 * Who signed a request to local AWS, by the access key ID of its SigV4 `Authorization` header. Local AWS
 * checks no signature; the key alone names the principal whose policies IAM evaluates (local/iam/local-iam.ts):
 * - {@link TASK_ROLE_ACCESS_KEY}: the task function's role, `vip-failover-<cluster>-<region>` of the region
 *   the request is signed for (workflow/policy.ts taskRoleName);
 * - `ASIA<account><8 hex>`: a session of that account's access role, as AssumeRole hands it out (local/accounts.ts);
 * - {@link ADMIN_ACCESS_KEY}, or a 12-digit account ID (as LocalStack reads one): an administrator of the
 *   home account or of that account, allowed everything. A test or tool that needs one says so with this key;
 * - anything else, the `test` key of local AWS's environment (local/client-env.ts) among them: a cluster
 *   node's instance role, which is what vipctl runs as on a node.
 */
import { SESSION_KEY } from '../accounts';

/** The access key the task function's clients sign with against local AWS. */
export const TASK_ROLE_ACCESS_KEY = 'LOCALTASKROLEKEY';
/** The access key of an administrator of the home account: nothing it does is evaluated. */
export const ADMIN_ACCESS_KEY = 'LOCALADMINKEY';
/** Static credentials of an administrator, for tests and tools that prepare or inspect the world. */
export const ADMIN_CREDENTIALS = { accessKeyId: ADMIN_ACCESS_KEY, secretAccessKey: 'test' } as const;

export type PrincipalKind = 'task' | 'node' | 'access' | 'admin';

export interface Principal {
  readonly kind: PrincipalKind;
  /** The account the principal belongs to. */
  readonly account: string;
  /** Its ARN, as AWS names the caller in an authorization failure. */
  readonly arn: string;
}

export interface PrincipalContext {
  readonly home: string;
  readonly partition: string;
  /** The cluster whose task role the task key stands for. */
  readonly cluster: string;
  /** The region of the request's credential scope. */
  readonly region: string;
}

/** The principal a request signed with `accessKey` acts as (see the file comment). */
export function principalOf(accessKey: string | undefined, context: PrincipalContext): Principal {
  const { home, partition, cluster, region } = context;
  if (accessKey === TASK_ROLE_ACCESS_KEY) {
    const role = `vip-failover-${cluster}-${region}`;
    return {
      kind: 'task',
      account: home,
      arn: `arn:${partition}:sts::${home}:assumed-role/${role}/vip-failover-${cluster}-tasks`,
    };
  }
  const session = accessKey === undefined ? undefined : SESSION_KEY.exec(accessKey)?.[1];
  if (session !== undefined)
    return {
      kind: 'access',
      account: session,
      arn: `arn:${partition}:sts::${session}:assumed-role/access/session`,
    };
  if (accessKey === ADMIN_ACCESS_KEY || (accessKey !== undefined && /^\d{12}$/.test(accessKey))) {
    const account = accessKey === ADMIN_ACCESS_KEY ? home : accessKey;
    return { kind: 'admin', account, arn: `arn:${partition}:iam::${account}:user/local-admin` };
  }
  return {
    kind: 'node',
    account: home,
    arn: `arn:${partition}:sts::${home}:assumed-role/vip-failover-${cluster}-node/i-local`,
  };
}

/** The environment variables of an administrator's credentials, to override local/client-env.ts's. */
export const ADMIN_ENVIRONMENT = {
  AWS_ACCESS_KEY_ID: ADMIN_ACCESS_KEY,
  AWS_SECRET_ACCESS_KEY: 'test',
} as const;
