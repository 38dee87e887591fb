// A hand-written script's single AWS call, as a fresh process: load the SDK, build a client, make one
// call, exit. Its wall time is the per-call process cost of the sequential baseline.
import { DescribeRouteTablesCommand, EC2Client } from '@aws-sdk/client-ec2';

const client = new EC2Client({ region: 'us-east-1' });
await client.send(new DescribeRouteTablesCommand({ MaxResults: 5 }));
