/**
 * The Step Functions adapter of the tasks: the one file under tasks/ that imports
 * @aws-sdk/client-sfn. It lists a state machine's recent executions and turns the SDK's shapes into
 * plain data at the border. Needs only `states:ListExecutions`.
 */
import { ListExecutionsCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { z } from 'zod';

/** One execution as the stale-run guard sees it. */
export interface ExecutionSummary {
  readonly arn: string;
  readonly name: string;
  /** RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, PENDING_REDRIVE. */
  readonly status: string;
  readonly startDate: Date;
}

const ListedExecution = z.object({
  executionArn: z.string(),
  name: z.string(),
  status: z.string(),
  startDate: z.date(),
});

/** The parts of an execution ARN: `arn:<partition>:states:<region>:<account>:execution:<machine>:<name>`. */
export interface ExecutionArnParts {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  readonly stateMachine: string;
  readonly name: string;
}

const EXECUTION_ARN =
  /^arn:([a-z-]+):states:([a-z0-9-]+):(\d{12}):execution:([A-Za-z0-9_-]+):([A-Za-z0-9_-]+)$/;

export function parseExecutionArn(arn: string): ExecutionArnParts {
  const match = EXECUTION_ARN.exec(arn);
  if (!match) throw new Error(`${arn} is not a Step Functions execution ARN`);
  const [, partition, region, account, stateMachine, name] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  return { partition, region, account, stateMachine, name };
}

export interface ListSinceOptions {
  /** Aborts the listing (and its SDK retries) once the caller's budget is spent. */
  readonly abortSignal?: AbortSignal;
  /** @default 100 */
  readonly pageSize?: number;
  /** Called with each execution on the pages read that started before `since` (those are not returned). */
  readonly onOlder?: (execution: ExecutionSummary) => void;
}

/**
 * The executions of `stateMachineArn` that started at or after `since`, newest first.
 * ListExecutions returns the most recent execution first, so paging stops at the first page that
 * reaches back before `since`.
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_ListExecutions.html
 */
export async function listExecutionsSince(
  client: SFNClient,
  stateMachineArn: string,
  since: Date,
  options: ListSinceOptions = {},
): Promise<ExecutionSummary[]> {
  const found: ExecutionSummary[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(
      new ListExecutionsCommand({ stateMachineArn, maxResults: options.pageSize ?? 100, nextToken }),
      { abortSignal: options.abortSignal },
    );
    let reachedBack = false;
    for (const raw of page.executions ?? []) {
      const execution = ListedExecution.parse(raw);
      if (execution.startDate.getTime() < since.getTime()) {
        reachedBack = true;
        options.onOlder?.({
          arn: execution.executionArn,
          name: execution.name,
          status: execution.status,
          startDate: execution.startDate,
        });
        continue;
      }
      found.push({
        arn: execution.executionArn,
        name: execution.name,
        status: execution.status,
        startDate: execution.startDate,
      });
    }
    nextToken = reachedBack ? undefined : page.nextToken;
  } while (nextToken);
  return found;
}
