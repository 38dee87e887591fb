/**
 * The CDK app: one VipFailover stack per region of the topology given by the `topology` context
 * (`cdk synth -c topology=path/to/cluster.yaml`). No context lookups: it synthesizes offline.
 */
import { App } from 'aws-cdk-lib';
import { loadTopology } from '../tasks/topology';
import { addNagChecks } from './nag';
import { addFailoverStacks } from './stack';

const DEFAULT_TOPOLOGY = 'examples/two-region.yaml';

const app = new App();
const topologyPath: unknown = app.node.tryGetContext('topology') ?? DEFAULT_TOPOLOGY;
if (typeof topologyPath !== 'string') throw new Error('context "topology" must be a path to a topology file');
const topology = await loadTopology(topologyPath);
addFailoverStacks(app, topology, { account: process.env.CDK_DEFAULT_ACCOUNT });
addNagChecks(app);
app.synth();
