/**
 * The environment an AWS client (vipctl, the SDK, the AWS CLI) needs to talk to local AWS: its
 * endpoint, static dummy credentials, and instance metadata served by local AWS instead of
 * 169.254.169.254. `vipctl local` prints it; tests and benchmarks pass it to child processes.
 */

export function localEnvironment(url: string, ec2Endpoint?: string): Record<string, string> {
  return {
    // With an external EC2 emulator, only Step Functions, STS and S3 (the run buckets) come here.
    ...(ec2Endpoint
      ? {
          AWS_ENDPOINT_URL_SFN: url,
          AWS_ENDPOINT_URL_STS: url,
          AWS_ENDPOINT_URL_S3: url,
          AWS_ENDPOINT_URL_EC2: ec2Endpoint,
        }
      : { AWS_ENDPOINT_URL: url }),
    // Local AWS evaluates calls signed with this key against a cluster node's policy (local/iam/principals.ts).
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    // The SDK must never fall back to the real metadata service; `self` asks local AWS instead.
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_EC2_METADATA_SERVICE_ENDPOINT: url,
  };
}
