/**
 * Publishes run metrics in the Embedded Metric Format with Powertools for AWS Lambda (Metrics), and logs
 * them with its Logger: CloudWatch turns the EMF lines of the function's log into metrics, so no API
 * call and no permission is needed (https://docs.aws.amazon.com/powertools/typescript/latest/features/metrics/).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { METRIC_NAMESPACE, type RunMetrics } from '../metrics';

let metrics: Metrics | undefined;
let logger: Logger | undefined;

export function publishEmf(run: RunMetrics): void {
  if (!metrics) {
    metrics = new Metrics({ namespace: METRIC_NAMESPACE, serviceName: 'vip-failover' });
    // Powertools adds a `service` dimension by default; the alarms look for cluster and node only.
    metrics.clearDefaultDimensions();
  }
  logger ??= new Logger({ serviceName: 'vip-failover' });
  metrics.addDimensions({ cluster: run.cluster, node: run.node });
  for (const m of run.measurements) metrics.addMetric(m.name, m.unit, m.value);
  metrics.publishStoredMetrics();
  logger.info('run metrics', { cluster: run.cluster, node: run.node, measurements: run.measurements });
}
