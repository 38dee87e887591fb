/** Test helpers: read CloudFormation templates as plain data. */

/** Renders a CloudFormation string expression for assertions: Partition -> aws, GetAtt -> <Id.Attr>. */
export function cfnString(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) {
    const expr = value as Record<string, unknown>;
    const join = expr['Fn::Join'];
    if (Array.isArray(join)) return (join[1] as unknown[]).map(cfnString).join(join[0] as string);
    if (expr.Ref === 'AWS::Partition') return 'aws';
    if (typeof expr.Ref === 'string') return `<Ref ${expr.Ref}>`;
    const getAtt = expr['Fn::GetAtt'];
    if (Array.isArray(getAtt)) return `<${getAtt.join('.')}>`;
  }
  throw new Error(`unexpected CloudFormation expression ${JSON.stringify(value)}`);
}

export interface Statement {
  readonly policy: string;
  readonly sid?: string;
  readonly actions: string[];
  readonly resources: string[];
}

const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : [value]);

/** Every Allow statement of every AWS::IAM::Policy in the template, with expressions rendered. */
export function statementsOf(template: { Resources: Record<string, unknown> }): Statement[] {
  return Object.entries(template.Resources).flatMap(([policy, resource]) => {
    const r = resource as { Type: string; Properties: { PolicyDocument: { Statement: unknown[] } } };
    if (r.Type !== 'AWS::IAM::Policy') return [];
    return r.Properties.PolicyDocument.Statement.map((s) => {
      const statement = s as { Sid?: string; Action: unknown; Resource: unknown; Effect: string };
      if (statement.Effect !== 'Allow')
        throw new Error(`unexpected ${statement.Effect} statement in ${policy}`);
      return {
        policy,
        ...(statement.Sid ? { sid: statement.Sid } : {}),
        actions: list(statement.Action).map(String),
        resources: list(statement.Resource).map(cfnString),
      };
    });
  });
}
