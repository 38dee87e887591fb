/**
 * The request bodies of the Step Functions operations local AWS speaks, as the SDK sends them.
 * Unknown fields are dropped (the SDK may send fields this model ignores, e.g. `tags`, `traceHeader`).
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_Operations.html
 */
import { z } from 'zod';
import { SfnApiError } from './api-error';

const MaxResults = z.number().int().min(0).max(1000).optional();
const NextToken = z.string().min(1).max(1024).optional();

export const CreateStateMachineRequest = z.object({
  name: z.string().min(1).max(80),
  definition: z.string().min(1).max(1_048_576),
  roleArn: z.string().min(1).max(256),
  type: z.enum(['STANDARD', 'EXPRESS']).optional(),
  loggingConfiguration: z.record(z.string(), z.unknown()).optional(),
  tracingConfiguration: z.record(z.string(), z.unknown()).optional(),
});

export const DescribeStateMachineRequest = z.object({ stateMachineArn: z.string().min(1).max(256) });

export const ListStateMachinesRequest = z.object({ maxResults: MaxResults, nextToken: NextToken });

export const StartExecutionRequest = z.object({
  stateMachineArn: z.string().min(1).max(256),
  name: z.string().min(1).max(80).optional(),
  // 262,144 bytes of UTF-8, not characters: "Length constraints apply to the payload size, and are
  // expressed as bytes in UTF-8 encoding." https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html
  input: z
    .string()
    .refine((input) => Buffer.byteLength(input, 'utf8') <= 262_144, {
      message: 'Member must have length less than or equal to 262144',
    })
    .optional(),
});

export const ExecutionArnRequest = z.object({ executionArn: z.string().min(1).max(256) });

/**
 * Every execution status Step Functions reports, PENDING_REDRIVE included (a Map Run's child execution
 * waiting to be redriven): https://docs.aws.amazon.com/step-functions/latest/apireference/API_ListExecutions.html
 */
export const ExecutionStatus = z.enum([
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'TIMED_OUT',
  'ABORTED',
  'PENDING_REDRIVE',
]);
export type ExecutionStatus = z.infer<typeof ExecutionStatus>;

/** ListExecutions names a state machine or a Map Run, not both; `redriveFilter` picks redriven ones. */
export const ListExecutionsRequest = z.object({
  stateMachineArn: z.string().min(1).max(256).optional(),
  mapRunArn: z.string().min(1).max(2000).optional(),
  statusFilter: ExecutionStatus.optional(),
  redriveFilter: z.enum(['REDRIVEN', 'NOT_REDRIVEN']).optional(),
  maxResults: MaxResults,
  nextToken: NextToken,
});

export const GetExecutionHistoryRequest = z.object({
  executionArn: z.string().min(1).max(256),
  maxResults: MaxResults,
  reverseOrder: z.boolean().optional(),
  nextToken: NextToken,
  includeExecutionData: z.boolean().optional(),
});

export const StopExecutionRequest = z.object({
  executionArn: z.string().min(1).max(256),
  error: z.string().max(256).optional(),
  cause: z.string().max(32_768).optional(),
});

/** Parses a request body; a mismatch is a `ValidationException` worded like AWS words it. */
export function parseRequest<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const parsed = schema.safeParse(body ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map(
    (issue) => `Value at '${issue.path.join('.') || 'body'}' failed to satisfy constraint: ${issue.message}`,
  );
  throw new SfnApiError(
    'ValidationException',
    `${problems.length} validation error${problems.length === 1 ? '' : 's'} detected: ${problems.join('; ')}`,
  );
}
