/**
 * Tables of other accounts (DESIGN sections 3 and 8): which account owns a table, and how the task
 * function enters it (that account's access role, a session named after the run). Pure.
 */
import { createHash } from 'node:crypto';
import type { Topology } from './topology';

/** How to enter another account: its access role, as the topology names it, and a session name. */
export interface AccountAccess {
  /** The account's key in the topology's `accounts`. */
  readonly key: string;
  readonly id: string;
  readonly role: string;
  readonly externalId?: string;
  readonly sessionName: string;
}

/** Session name of the CLI's own reads and direct runs when no execution names them. */
export const CLI_SESSION_NAME = 'vipctl';

/**
 * A RoleSessionName from an execution name: 2-64 of `[\w+=,.@-]`
 * (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html). Execution names are up
 * to 80 of `[A-Za-z0-9_-]`, so a longer one keeps its first 55 characters and a hash of the whole
 * name: the session (which the other account's CloudTrail shows) still names the run and stays unique.
 */
export function sessionNameOf(executionName: string): string {
  const clean = executionName.replace(/[^\w+=,.@-]/g, '-');
  if (clean.length >= 2 && clean.length <= 64) return clean;
  if (clean.length < 2) return `${clean}-run`.slice(0, 64).padEnd(2, '-');
  const hash = createHash('sha256').update(executionName).digest('hex').slice(0, 8);
  return `${clean.slice(0, 55)}-${hash}`;
}

/** The execution name at the end of an execution ARN (`…:execution:<machine>:<name>`). */
export const executionNameOf = (executionArn: string): string =>
  executionArn.slice(executionArn.lastIndexOf(':') + 1);

/** The access of the account `key` (undefined: the home account, entered with the caller's own credentials). */
export function accessOf(
  topology: Topology,
  key: string | undefined,
  sessionName: string,
): AccountAccess | undefined {
  const account = key === undefined ? undefined : topology.accounts?.[key];
  if (key === undefined || account === undefined) return undefined;
  return {
    key,
    id: account.id,
    role: account.role,
    ...(account.externalId ? { externalId: account.externalId } : {}),
    sessionName,
  };
}

/** The key of the account that owns a listed VPC or TGW route table; undefined for the home account. */
export function ownerOfTable(topology: Topology, table: string): string | undefined {
  for (const vpc of Object.values(topology.vpcs)) if (vpc.routeTables.includes(table)) return vpc.account;
  for (const tgw of Object.values(topology.transitGateways))
    if (tgw.routeTables.includes(table)) return tgw.account;
  return undefined;
}

/** How each table's owner is entered: `(table) => access`, undefined for the home account's tables. */
export const tableAccess =
  (topology: Topology, sessionName: string) =>
  (table: string): AccountAccess | undefined =>
    accessOf(topology, ownerOfTable(topology, table), sessionName);

/** The session name of a run: its execution's name (sessionNameOf). */
export const executionSession = (execution: { readonly id: string }): string =>
  sessionNameOf(executionNameOf(execution.id));
