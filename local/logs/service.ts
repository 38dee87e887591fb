/**
 * CloudWatch Logs, the little that direct runs use: DescribeLogGroups (by prefix), CreateLogStream,
 * PutLogEvents, and GetLogEvents so that tests read back what was written. JSON 1.1 protocol
 * (`X-Amz-Target: Logs_20140328.<Operation>`), errors as `{ "__type", "message" }` with HTTP 400.
 *
 * Each region's stack has one task log group; local AWS seeds it under {@link localTasksLogGroup}, a
 * name shaped like the one CloudFormation generates (the stack name, the logical ID, a suffix).
 *
 * API reference of each operation, its errors and its limits:
 * https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_DescribeLogGroups.html
 * https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogStream.html
 * https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutLogEvents.html
 * https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_GetLogEvents.html
 */
import { z } from 'zod';

/** The task log group of `cluster`'s stack in every region, as local AWS names it. */
export const localTasksLogGroup = (cluster: string): string =>
  `VipFailover-${cluster}-TasksLogs0D1E2F3A-LocalTasksLogs`;

/**
 * PutLogEvents limits. The batch: at most 1,048,576 bytes, counted as the UTF-8 bytes of every
 * message plus 26 bytes per event, and at most 10,000 events; events in chronological order, and a
 * batch spanning at most 24 hours. One event: the reference said 256 KB for years and now says 1 MB;
 * local AWS refuses what the older, smaller limit refuses, so nothing that passes here fails in AWS.
 * https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutLogEvents.html
 */
export const PUT_LOG_EVENTS_LIMITS = {
  batchBytes: 1_048_576,
  eventOverheadBytes: 26,
  events: 10_000,
  eventBytes: 262_144,
  spanMs: 24 * 3600 * 1000,
} as const;

/** Log group names: 1 to 512 of `[.-_/#A-Za-z0-9]`; stream names: 1 to 512, no `:` or `*` (CreateLogStream). */
const GroupName = z.string().regex(/^[.\-_/#A-Za-z0-9]{1,512}$/);
const StreamName = z.string().regex(/^[^:*]{1,512}$/);

const DescribeLogGroups = z.object({
  logGroupNamePrefix: GroupName.optional(),
  limit: z.number().int().min(1).max(50).optional(),
});
const CreateLogStream = z.object({ logGroupName: GroupName, logStreamName: StreamName });
const PutLogEvents = z.object({
  logGroupName: GroupName,
  logStreamName: StreamName,
  logEvents: z
    .array(z.object({ timestamp: z.number().int().nonnegative(), message: z.string().min(1) }))
    .min(1),
});
const GetLogEvents = z.object({
  logGroupName: GroupName,
  logStreamName: StreamName,
  startFromHead: z.boolean().optional(),
});

export interface LogEvent {
  readonly timestamp: number;
  readonly message: string;
  readonly ingestionTime: number;
}

interface Group {
  readonly creationTime: number;
  readonly streams: Map<string, LogEvent[]>;
}

export interface LogsResult {
  readonly status: number;
  readonly body: unknown;
}

export interface LocalLogs {
  handle(operation: string, body: unknown, context: { region: string; account: string }): LogsResult;
  /** Creates a log group (the stack's), if missing. */
  ensureGroup(region: string, name: string): void;
  /** The events of one stream, oldest first; undefined when it does not exist. */
  events(region: string, group: string, stream: string): readonly LogEvent[] | undefined;
  /** Drops every stream (the groups stay, as the stacks' do). */
  reset(): void;
}

const error = (type: string, message: string): LogsResult => ({
  status: 400,
  body: { __type: type, message },
});

export function createLocalLogs(now: () => number = Date.now): LocalLogs {
  const groups = new Map<string, Group>();
  const key = (region: string, name: string) => `${region}\u0000${name}`;
  const group = (region: string, name: string) => groups.get(key(region, name));

  const operations: Record<string, (body: unknown, region: string, account: string) => LogsResult> = {
    DescribeLogGroups(body, region, account) {
      const input = DescribeLogGroups.safeParse(body);
      if (!input.success) return error('InvalidParameterException', input.error.issues[0]?.message ?? '');
      const prefix = input.data.logGroupNamePrefix ?? '';
      const found = [...groups.entries()]
        .map(([k, g]) => ({ name: k.split('\u0000')[1] ?? '', region: k.split('\u0000')[0], g }))
        .filter((e) => e.region === region && e.name.startsWith(prefix))
        .sort((a, b) => a.name.localeCompare(b.name))
        .slice(0, input.data.limit ?? 50);
      return {
        status: 200,
        body: {
          logGroups: found.map((e) => ({
            logGroupName: e.name,
            creationTime: e.g.creationTime,
            arn: `arn:aws:logs:${region}:${account}:log-group:${e.name}:*`,
            storedBytes: 0,
          })),
        },
      };
    },
    CreateLogStream(body, region) {
      const input = CreateLogStream.safeParse(body);
      if (!input.success) return error('InvalidParameterException', input.error.issues[0]?.message ?? '');
      const g = group(region, input.data.logGroupName);
      if (!g) return error('ResourceNotFoundException', 'The specified log group does not exist.');
      if (g.streams.has(input.data.logStreamName))
        return error('ResourceAlreadyExistsException', 'The specified log stream already exists');
      g.streams.set(input.data.logStreamName, []);
      return { status: 200, body: {} };
    },
    PutLogEvents(body, region) {
      const input = PutLogEvents.safeParse(body);
      if (!input.success) return error('InvalidParameterException', input.error.issues[0]?.message ?? '');
      const { logGroupName, logStreamName, logEvents } = input.data;
      const g = group(region, logGroupName);
      if (!g) return error('ResourceNotFoundException', 'The specified log group does not exist.');
      const stream = g.streams.get(logStreamName);
      if (!stream) return error('ResourceNotFoundException', 'The specified log stream does not exist.');
      const limits = PUT_LOG_EVENTS_LIMITS;
      if (logEvents.length > limits.events)
        return error('InvalidParameterException', `a batch holds at most ${limits.events} log events`);
      const sizes = logEvents.map((e) => Buffer.byteLength(e.message, 'utf8'));
      if (sizes.some((size) => size > limits.eventBytes))
        return error('InvalidParameterException', 'Log event too large');
      const batch = sizes.reduce((sum, size) => sum + size + limits.eventOverheadBytes, 0);
      if (batch > limits.batchBytes)
        return error(
          'InvalidParameterException',
          `Upload too large: ${batch} bytes exceeds limit of ${limits.batchBytes}`,
        );
      if (logEvents.some((e, i) => i > 0 && e.timestamp < (logEvents[i - 1]?.timestamp ?? 0)))
        return error(
          'InvalidParameterException',
          'Log events in a single PutLogEvents request must be in chronological order.',
        );
      const first = logEvents[0]?.timestamp ?? 0;
      if ((logEvents[logEvents.length - 1]?.timestamp ?? 0) - first > limits.spanMs)
        return error(
          'InvalidParameterException',
          'The batch of log events in a single PutLogEvents request cannot span more than 24 hours.',
        );
      const ingestionTime = now();
      stream.push(...logEvents.map((e) => ({ ...e, ingestionTime })));
      return { status: 200, body: {} };
    },
    GetLogEvents(body, region) {
      const input = GetLogEvents.safeParse(body);
      if (!input.success) return error('InvalidParameterException', input.error.issues[0]?.message ?? '');
      const stream = group(region, input.data.logGroupName)?.streams.get(input.data.logStreamName);
      if (!stream) return error('ResourceNotFoundException', 'The specified log stream does not exist.');
      return { status: 200, body: { events: stream } };
    },
  };

  return {
    handle(operation, body, { region, account }) {
      const run = operations[operation];
      if (!run) return error('UnknownOperationException', `local AWS does not serve Logs ${operation}`);
      return run(body, region, account);
    },
    ensureGroup(region, name) {
      if (!groups.has(key(region, name)))
        groups.set(key(region, name), { creationTime: now(), streams: new Map() });
    },
    events(region, groupName, stream) {
      return group(region, groupName)?.streams.get(stream);
    },
    reset() {
      for (const g of groups.values()) g.streams.clear();
    },
  };
}
