// `npm run synth`: synthesizes the CDK app offline for each example topology into cdk.out/<name>,
// bundling the task function with the local esbuild. No credentials, no network, no telemetry.
import { spawnSync } from 'node:child_process';
import { basename } from 'node:path';

const examples =
  process.argv.length > 2
    ? process.argv.slice(2)
    : ['examples/two-region.yaml', 'examples/three-region.yaml'];

// No credentials at all: with any, the CLI would ask STS for the default account. The topology names
// the account; without one the stacks are account-agnostic. IMDS and profile files are off too.
const env = {
  ...process.env,
  CDK_DISABLE_CLI_TELEMETRY: 'true',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_CONFIG_FILE: '/dev/null',
  AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  AWS_REGION: 'us-east-1',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};
for (const key of ['AWS_PROFILE', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'])
  delete env[key];

for (const topology of examples) {
  const name = basename(topology).replace(/\.ya?ml$/, '');
  const started = Date.now();
  const result = spawnSync(
    'npx',
    [
      'cdk',
      'synth',
      '--quiet',
      '--no-notices',
      '--no-version-reporting',
      '--context',
      `topology=${topology}`,
      '--output',
      `cdk.out/${name}`,
    ],
    { env, encoding: 'utf8' },
  );
  if (result.status !== 0) {
    // Quiet on success; on failure show everything the CLI said.
    process.stderr.write(`${result.stdout}${result.stderr}`);
    console.error(`synth of ${topology} failed (exit ${result.status ?? result.signal})`);
    process.exit(result.status ?? 1);
  }
  console.log(`${topology} -> cdk.out/${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}
