/**
 * The runnable ASL of each region, for local AWS and the tests: synthesizes the CDK app in process
 * (bundling off, no cdk-nag) and resolves the few CloudFormation expressions in the state machine's
 * DefinitionString (the task function's ARN and the partition).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { partitionOf } from '../tasks/partition';
import type { Topology } from '../tasks/topology';
import { addFailoverStacks, tasksFunctionName } from './stack';

/** The account local AWS uses when the topology names none. */
export const LOCAL_ACCOUNT = '000000000000';

export interface SynthesizeAslOptions {
  /**
   * The account in the Lambda ARNs.
   * @default - the topology's account, else LOCAL_ACCOUNT
   */
  readonly account?: string;
  /**
   * The task handler's source file. Bundled code (the vipctl CLI) cannot find it next to itself.
   * @default tasks/handlers/main.ts
   */
  readonly entry?: string;
}

type CfnTemplate = { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };

/** Region -> the ASL document of the cluster's state machine in that region. */
export function synthesizeAsl(
  topology: Topology,
  options: SynthesizeAslOptions = {},
): Record<string, object> {
  const account = options.account ?? topology.account ?? LOCAL_ACCOUNT;
  const outdir = mkdtempSync(join(tmpdir(), 'vip-failover-asl-'));
  try {
    // The built-in CloudFormation validation runs a WASM rule engine (about 5 s); `cdk synth` and the
    // tests run it, local AWS needs only the definition.
    const app = new App({
      outdir,
      context: { 'aws:cdk:bundling-stacks': [] },
      builtinCloudFormationValidation: false,
    });
    const stacks = addFailoverStacks(app, topology, {
      account,
      ...(options.entry ? { entry: options.entry } : {}),
    });
    const assembly = app.synth();
    const result: Record<string, object> = {};
    for (const stack of stacks) {
      const region = stack.region;
      const template = assembly.getStackArtifact(stack.artifactId).template as CfnTemplate;
      const functionArn = `arn:${partitionOf(region)}:lambda:${region}:${account}:function:${tasksFunctionName(topology.cluster)}`;
      result[region] = resolveDefinition(template, { region, account, functionArn });
    }
    return result;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

interface Substitutions {
  readonly region: string;
  readonly account: string;
  readonly functionArn: string;
}

function resolveDefinition(template: CfnTemplate, subs: Substitutions): object {
  const machines = Object.values(template.Resources).filter(
    (r) => r.Type === 'AWS::StepFunctions::StateMachine',
  );
  const functions = new Set(
    Object.entries(template.Resources)
      .filter(([, r]) => r.Type === 'AWS::Lambda::Function')
      .map(([id]) => id),
  );
  const definition = machines[0]?.Properties?.DefinitionString;
  if (machines.length !== 1 || definition === undefined) {
    throw new Error(`expected one state machine with a DefinitionString, found ${machines.length}`);
  }
  return JSON.parse(resolveString(definition, functions, subs)) as object;
}

/** Resolves the string expressions CDK emits for a DefinitionString; anything else is a bug here. */
function resolveString(value: unknown, functions: ReadonlySet<string>, subs: Substitutions): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) {
    const expr = value as Record<string, unknown>;
    const join = expr['Fn::Join'];
    if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
      return join[1].map((part: unknown) => resolveString(part, functions, subs)).join(join[0]);
    }
    const ref = expr.Ref;
    if (ref === 'AWS::Partition') return partitionOf(subs.region);
    if (ref === 'AWS::Region') return subs.region;
    if (ref === 'AWS::AccountId') return subs.account;
    if (ref === 'AWS::URLSuffix') return 'amazonaws.com';
    const getAtt = expr['Fn::GetAtt'];
    if (Array.isArray(getAtt) && getAtt[1] === 'Arn' && functions.has(String(getAtt[0])))
      return subs.functionArn;
  }
  throw new Error(`cannot resolve ${JSON.stringify(value)} in the state machine definition`);
}
