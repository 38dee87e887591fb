/**
 * Step Functions ARNs, in the partition of their region (arn:aws-cn: in China, arn:aws-us-gov: in
 * GovCloud, see tasks/partition.ts):
 *   state machine  arn:aws:states:<region>:<account>:stateMachine:<name>
 *   execution      arn:aws:states:<region>:<account>:execution:<stateMachineName>:<executionName>
 */
import { partitionOf } from '../../tasks/partition';
import { invalidArn, invalidName } from './api-error';

/** 1-80 letters, digits, `-` or `_`: the names this project gives state machines and executions. */
const NAME = /^[A-Za-z0-9_-]{1,80}$/;

export function checkName(name: string): string {
  if (!NAME.test(name)) throw invalidName(name);
  return name;
}

export const stateMachineArnOf = (region: string, account: string, name: string): string =>
  `arn:${partitionOf(region)}:states:${region}:${account}:stateMachine:${name}`;

export const executionArnOf = (region: string, account: string, stateMachine: string, name: string): string =>
  `arn:${partitionOf(region)}:states:${region}:${account}:execution:${stateMachine}:${name}`;

export interface ParsedArn {
  readonly region: string;
  readonly account: string;
  readonly stateMachine: string;
}

const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:([a-z0-9-]+):(\d{12}):stateMachine:([^:]+)$/;
const EXECUTION_ARN = /^arn:aws[a-z-]*:states:([a-z0-9-]+):(\d{12}):execution:([^:]+):([^:]+)$/;

export function parseStateMachineArn(arn: string): ParsedArn {
  const m = STATE_MACHINE_ARN.exec(arn);
  if (!m) throw invalidArn(arn, 'stateMachine');
  return { region: m[1]!, account: m[2]!, stateMachine: m[3]! };
}

export function parseExecutionArn(arn: string): ParsedArn & { readonly execution: string } {
  const m = EXECUTION_ARN.exec(arn);
  if (!m) throw invalidArn(arn, 'execution');
  return { region: m[1]!, account: m[2]!, stateMachine: m[3]!, execution: m[4]! };
}
