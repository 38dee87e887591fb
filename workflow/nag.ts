/**
 * The security checks of DESIGN section 8: cdk-nag's AwsSolutions pack as a CDK validation plugin.
 * Synthesis fails on any finding that is not acknowledged with a reason (see VipFailoverStack).
 */
import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';

export function addNagChecks(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
}
