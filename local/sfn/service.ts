/**
 * The Step Functions side of local AWS: the JSON 1.0 operations the project uses, answered from
 * memory, with Standard-workflow semantics (idempotent StartExecution by name, execution history,
 * StopExecution). Executions run the synthesized ASL with each Task bound to the in-process handler.
 * The HTTP server (local/server.ts) parses the request and calls `handle`.
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_Operations.html
 */
import { randomUUID } from 'node:crypto';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { z } from 'zod';
import { stateMachineName } from '../../tasks/execution-name';
import type { Topology } from '../../tasks/topology';
import { executionDoesNotExist, SfnApiError, stateMachineDoesNotExist } from './api-error';
import { checkName, executionArnOf, parseExecutionArn, parseStateMachineArn, stateMachineArnOf } from './arn';
import {
  ExecutionRecord,
  type RunningExecution,
  runExecution,
  type SfnLatencyModels,
  type TaskInvoker,
} from './execution';
import { historyPage } from './history';
import { pageOf } from './pagination';
import {
  CreateStateMachineRequest,
  DescribeStateMachineRequest,
  ExecutionArnRequest,
  GetExecutionHistoryRequest,
  ListExecutionsRequest,
  ListStateMachinesRequest,
  parseRequest,
  StartExecutionRequest,
  StopExecutionRequest,
} from './requests';

export type { SfnLatencyModels, TaskInvoker } from './execution';

export interface SfnServiceOptions {
  /** The 12-digit account in every ARN. */
  readonly account: string;
  /** Runs the task function behind a Task state (the real handlers in local AWS). */
  readonly invokeTask: TaskInvoker;
  /** Cold start and transition costs, read at each use. @default no latency */
  readonly models?: SfnLatencyModels;
  /** region -> runnable ASL. @default workflow/asl.ts `synthesizeAsl` with `account`, imported on first use */
  readonly synthesize?: (topology: Topology) => Record<string, object> | Promise<Record<string, object>>;
  /**
   * Multiplies the Retry intervals of every definition so tests need not wait out real backoff.
   * With a scale other than 1 each retrier waits `IntervalSeconds * scale` (BackoffRate is not applied).
   * @default 1
   */
  readonly retryIntervalScale?: number;
  readonly log?: (line: string) => void;
}

export interface SfnService {
  /** `operation` is the part after `AWSStepFunctions.` in X-Amz-Target; the result body is JSON 1.0. */
  handle(
    operation: string,
    body: unknown,
    ctx: { region: string },
  ): Promise<{ status: number; body: unknown }>;
  /** Creates (or updates) `vip-failover-<cluster>` in every region of the topology. */
  createClusterStateMachines(topology: Topology): Promise<void>;
  /** Definitions and closed executions, for the state file. */
  snapshot(): unknown;
  /** Adds a snapshot's state machines and closed executions; those this service already has are kept. */
  restore(data: unknown): void;
  /** Aborts running executions and waits for them to close. */
  close(): Promise<void>;
}

const StateMachineRecord = z.object({
  stateMachineArn: z.string(),
  name: z.string(),
  region: z.string(),
  definition: z.string(),
  roleArn: z.string(),
  type: z.literal('STANDARD'),
  /** Epoch milliseconds. */
  creationDate: z.number(),
  loggingConfiguration: z.record(z.string(), z.unknown()).optional(),
  tracingConfiguration: z.record(z.string(), z.unknown()).optional(),
});
type StateMachineRecord = z.infer<typeof StateMachineRecord>;

const Snapshot = z.object({
  version: z.literal(1),
  stateMachines: z.array(StateMachineRecord),
  executions: z.array(ExecutionRecord),
});

/** JSON 1.0 timestamps are epoch seconds. */
const seconds = (ms: number): number => ms / 1000;

export function createSfnService(options: SfnServiceOptions): SfnService {
  const { account } = options;
  const log = options.log ?? (() => {});
  const machines = new Map<string, StateMachineRecord>();
  const executions = new Map<string, ExecutionRecord>();
  const running = new Map<string, RunningExecution>();
  const warmFunctions = new Set<string>();
  const definitions = new WeakMap<StateMachineRecord, StateMachineDefinition>();
  const definitionOf = (machine: StateMachineRecord): StateMachineDefinition => {
    let definition = definitions.get(machine);
    if (!definition) {
      definition = parseDefinition(machine.definition);
      definitions.set(machine, definition);
    }
    return definition;
  };

  const findMachine = (arn: string, region: string): StateMachineRecord => {
    const parsed = parseStateMachineArn(arn);
    const machine = machines.get(arn);
    if (!machine || parsed.region !== region || parsed.account !== account)
      throw stateMachineDoesNotExist(arn);
    return machine;
  };

  const findExecution = (arn: string, region: string): ExecutionRecord => {
    const parsed = parseExecutionArn(arn);
    const execution = executions.get(arn);
    if (!execution || parsed.region !== region || parsed.account !== account)
      throw executionDoesNotExist(arn);
    return execution;
  };

  const putMachine = (
    region: string,
    request: z.infer<typeof CreateStateMachineRequest>,
    onConflict: 'fail' | 'replace',
  ): StateMachineRecord => {
    checkName(request.name);
    if (request.type === 'EXPRESS') {
      throw new SfnApiError('ValidationException', 'local AWS models STANDARD state machines only');
    }
    const definition = parseDefinition(request.definition);
    const arn = stateMachineArnOf(region, account, request.name);
    const existing = machines.get(arn);
    if (existing && existing.definition !== request.definition && onConflict === 'fail') {
      throw new SfnApiError('StateMachineAlreadyExists', `State Machine Already Exists: '${arn}'`);
    }
    if (existing && existing.definition === request.definition) return existing;
    const machine: StateMachineRecord = {
      stateMachineArn: arn,
      name: request.name,
      region,
      definition: request.definition,
      roleArn: existing?.roleArn ?? request.roleArn,
      type: 'STANDARD',
      creationDate: existing?.creationDate ?? Date.now(),
      ...(request.loggingConfiguration ? { loggingConfiguration: request.loggingConfiguration } : {}),
      ...(request.tracingConfiguration ? { tracingConfiguration: request.tracingConfiguration } : {}),
    };
    machines.set(arn, machine);
    definitions.set(machine, definition);
    log(`sfn ${region} state machine ${request.name} ${existing ? 'updated' : 'created'}`);
    return machine;
  };

  const operations: Record<string, (body: unknown, region: string) => unknown> = {
    CreateStateMachine(body, region) {
      const machine = putMachine(region, parseRequest(CreateStateMachineRequest, body), 'fail');
      return { stateMachineArn: machine.stateMachineArn, creationDate: seconds(machine.creationDate) };
    },

    DescribeStateMachine(body, region) {
      const machine = findMachine(parseRequest(DescribeStateMachineRequest, body).stateMachineArn, region);
      return {
        stateMachineArn: machine.stateMachineArn,
        name: machine.name,
        status: 'ACTIVE',
        definition: machine.definition,
        roleArn: machine.roleArn,
        type: machine.type,
        creationDate: seconds(machine.creationDate),
        loggingConfiguration: machine.loggingConfiguration ?? { level: 'OFF', includeExecutionData: false },
        tracingConfiguration: machine.tracingConfiguration ?? { enabled: false },
      };
    },

    ListStateMachines(body, region) {
      const request = parseRequest(ListStateMachinesRequest, body);
      const inRegion = [...machines.values()]
        .filter((machine) => machine.region === region)
        .sort((a, b) => a.name.localeCompare(b.name));
      const { page, nextToken } = pageOf(inRegion, (machine) => machine.stateMachineArn, request);
      return {
        stateMachines: page.map((machine) => ({
          stateMachineArn: machine.stateMachineArn,
          name: machine.name,
          type: machine.type,
          creationDate: seconds(machine.creationDate),
        })),
        ...(nextToken ? { nextToken } : {}),
      };
    },

    StartExecution(body, region) {
      const request = parseRequest(StartExecutionRequest, body);
      const machine = findMachine(request.stateMachineArn, region);
      const name = checkName(request.name ?? randomUUID());
      const input = request.input ?? '{}';
      try {
        JSON.parse(input);
      } catch (error) {
        throw new SfnApiError(
          'InvalidExecutionInput',
          `Invalid State Machine Execution Input: '${(error as Error).message}'`,
        );
      }
      const arn = executionArnOf(region, account, machine.name, name);
      const existing = executions.get(arn);
      if (existing) {
        // Standard workflows: same name and input while RUNNING is the same execution; otherwise the name is taken.
        // https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html
        if (existing.status === 'RUNNING' && existing.input === input) {
          return { executionArn: arn, startDate: seconds(existing.startDate) };
        }
        throw new SfnApiError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
      }
      const record: ExecutionRecord = {
        executionArn: arn,
        stateMachineArn: machine.stateMachineArn,
        name,
        region,
        status: 'RUNNING',
        input,
        startDate: Date.now(),
        history: [],
      };
      executions.set(arn, record);
      const execution = runExecution(record, definitionOf(machine), machine, {
        invokeTask: options.invokeTask,
        models: options.models,
        retryIntervalScale: options.retryIntervalScale ?? 1,
        warmFunctions,
        log,
      });
      running.set(arn, execution);
      void execution.done
        .catch((error: unknown) => log(`sfn ${region} ${name}: run crashed: ${String(error)}`))
        .finally(() => running.delete(arn));
      log(`sfn ${region} ${machine.name} started ${name}`);
      return { executionArn: arn, startDate: seconds(record.startDate) };
    },

    DescribeExecution(body, region) {
      const execution = findExecution(parseRequest(ExecutionArnRequest, body).executionArn, region);
      return {
        executionArn: execution.executionArn,
        stateMachineArn: execution.stateMachineArn,
        name: execution.name,
        status: execution.status,
        startDate: seconds(execution.startDate),
        ...(execution.stopDate !== undefined ? { stopDate: seconds(execution.stopDate) } : {}),
        input: execution.input,
        inputDetails: { included: true },
        ...(execution.output !== undefined
          ? { output: execution.output, outputDetails: { included: true } }
          : {}),
        ...(execution.error !== undefined ? { error: execution.error } : {}),
        ...(execution.cause !== undefined ? { cause: execution.cause } : {}),
      };
    },

    ListExecutions(body, region) {
      const request = parseRequest(ListExecutionsRequest, body);
      // https://docs.aws.amazon.com/step-functions/latest/apireference/API_ListExecutions.html: either a
      // stateMachineArn or a mapRunArn; PENDING_REDRIVE needs mapRunArn ("If you provide a
      // stateMachineArn and a PENDING_REDRIVE statusFilter, the API returns a validation exception").
      if ((request.stateMachineArn === undefined) === (request.mapRunArn === undefined)) {
        throw new SfnApiError(
          'ValidationException',
          'Specify either a stateMachineArn or a mapRunArn, but not both',
        );
      }
      if (request.statusFilter === 'PENDING_REDRIVE' && request.stateMachineArn !== undefined) {
        throw new SfnApiError(
          'ValidationException',
          'The PENDING_REDRIVE statusFilter requires a mapRunArn, not a stateMachineArn',
        );
      }
      if (request.mapRunArn !== undefined) {
        // Local AWS runs no Distributed Map, so no Map Run exists.
        throw new SfnApiError('ResourceNotFound', `Resource not found: '${request.mapRunArn}'`);
      }
      const machine = findMachine(request.stateMachineArn!, region);
      const matching = [...executions.values()]
        .filter((e) => e.stateMachineArn === machine.stateMachineArn)
        .filter((e) => !request.statusFilter || e.status === request.statusFilter)
        // Local AWS never redrives, so every execution is NOT_REDRIVEN.
        .filter(() => request.redriveFilter !== 'REDRIVEN')
        .sort((a, b) => b.startDate - a.startDate || b.name.localeCompare(a.name));
      const { page, nextToken } = pageOf(matching, (e) => e.executionArn, request);
      return {
        executions: page.map((e) => ({
          executionArn: e.executionArn,
          stateMachineArn: e.stateMachineArn,
          name: e.name,
          status: e.status,
          startDate: seconds(e.startDate),
          ...(e.stopDate !== undefined ? { stopDate: seconds(e.stopDate) } : {}),
        })),
        ...(nextToken ? { nextToken } : {}),
      };
    },

    GetExecutionHistory(body, region) {
      const request = parseRequest(GetExecutionHistoryRequest, body);
      const execution = findExecution(request.executionArn, region);
      return historyPage(execution.history, request);
    },

    StopExecution(body, region) {
      const request = parseRequest(StopExecutionRequest, body);
      const execution = findExecution(request.executionArn, region);
      if (execution.status === 'RUNNING')
        running.get(execution.executionArn)?.stop(request.error, request.cause);
      return { stopDate: seconds(execution.stopDate ?? Date.now()) };
    },
  };

  const stopAll = async (): Promise<void> => {
    const inFlight = [...running.values()];
    for (const execution of inFlight) execution.stop();
    await Promise.allSettled(inFlight.map((execution) => execution.done));
  };

  return {
    async handle(operation, body, ctx) {
      try {
        const run = Object.hasOwn(operations, operation) ? operations[operation] : undefined;
        if (!run) {
          throw new SfnApiError(
            'UnknownOperationException',
            `Unknown operation AWSStepFunctions.${operation}`,
          );
        }
        return { status: 200, body: await run(body, ctx.region) };
      } catch (error) {
        if (error instanceof SfnApiError) {
          return { status: error.status, body: { __type: error.code, message: error.message } };
        }
        log(`sfn ${ctx.region} ${operation} failed: ${(error as Error)?.stack ?? String(error)}`);
        return { status: 500, body: { __type: 'InternalFailure', message: String(error) } };
      }
    },

    async createClusterStateMachines(topology) {
      const synthesize = options.synthesize ?? ((t: Topology) => synthesizeFromWorkflow(t, account));
      const asl = await synthesize(topology);
      const regions = new Set([
        ...Object.values(topology.vpcs).map((vpc) => vpc.region),
        ...Object.values(topology.transitGateways).map((tgw) => tgw.region),
      ]);
      const name = stateMachineName(topology.cluster);
      for (const region of regions) {
        const definition = asl[region];
        if (!definition) throw new Error(`no state machine definition was synthesized for ${region}`);
        try {
          putMachine(
            region,
            {
              name,
              definition: JSON.stringify(definition),
              roleArn: `arn:aws:iam::${account}:role/${name}-${region}`,
            },
            'replace',
          );
        } catch (error) {
          if (error instanceof SfnApiError)
            throw new Error(`${name} in ${region}: ${error.message}`, { cause: error });
          throw error;
        }
      }
    },

    snapshot() {
      return structuredClone({
        version: 1,
        stateMachines: [...machines.values()],
        executions: [...executions.values()].filter((execution) => execution.status !== 'RUNNING'),
      });
    },

    restore(data) {
      const parsed = Snapshot.safeParse(data);
      if (!parsed.success) throw new Error(`not a Step Functions state snapshot: ${parsed.error.message}`);
      // Merge: what this process already has (a freshly synthesized definition, a running execution) wins.
      for (const machine of parsed.data.stateMachines) {
        if (!machines.has(machine.stateMachineArn)) machines.set(machine.stateMachineArn, machine);
      }
      for (const execution of parsed.data.executions) {
        if (!executions.has(execution.executionArn)) executions.set(execution.executionArn, execution);
      }
    },

    close: stopAll,
  };
}

/** Definitions that passed validation. asl-validator compiles its schemas on every call (~0.5 s). */
const validDefinitions = new Set<string>();

/** Parses and validates ASL with the library's own validator (asl-validator), the one it runs with. */
function parseDefinition(text: string): StateMachineDefinition {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new SfnApiError(
      'InvalidDefinition',
      `Invalid State Machine Definition: 'INVALID_JSON_DESCRIPTION: ${(error as Error).message}'`,
    );
  }
  if (validDefinitions.has(text)) return json as StateMachineDefinition;
  try {
    // The constructor validates: once it returns, the JSON is a state machine definition.
    new StateMachine(json as StateMachineDefinition);
  } catch (error) {
    throw new SfnApiError(
      'InvalidDefinition',
      `Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: ${(error as Error).message}'`,
    );
  }
  validDefinitions.add(text);
  return json as StateMachineDefinition;
}

/** Imported on first use: the CDK app is heavy and local AWS may run without it (given `synthesize`). */
async function synthesizeFromWorkflow(topology: Topology, account: string): Promise<Record<string, object>> {
  const { synthesizeAsl } = await import('../../workflow/asl');
  return synthesizeAsl(topology, { account });
}
