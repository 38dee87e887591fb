import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // Safety nets for a hung test, not expectations of speed: on two shared, fully loaded cores one
    // vipctl child process can take 20 s to start and finish, and a scenario runs several.
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'forks',
    // Vitest's default on a two-core machine is one worker (cores - 1), so every file ran after the
    // other. Most of a file's time is spent waiting (child vipctl processes, local AWS's modelled
    // latencies and token buckets, retry budgets against a closed port), not computing: a single worker
    // kept one core idle. Three workers overlap those waits; every test waits for conditions, never for
    // time, so the extra load only makes it slower, not different.
    maxWorkers: 3,
    setupFiles: ['test/setup.ts'],
    // The default reporter, then the list of tests skipped for a missing system requirement.
    reporters: ['default', './test/support/skip-reporter.ts'],
    env: {
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_REGION: 'us-east-1',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      CDK_DISABLE_CLI_TELEMETRY: 'true',
    },
  },
});
