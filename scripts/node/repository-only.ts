/**
 * Stands in for cli/aws/local-aws.ts in the cluster-node artifact (scripts/package.mjs): local AWS
 * and the CDK app stay in the repository, so `vipctl local` and `vipctl demo` say where to run them.
 */

import { usageError } from '../../cli/core/cli-error';
import type { LocalAws } from '../../local/index';

const notHere = () =>
  usageError(
    'vipctl local and vipctl demo are not part of the cluster-node artifact',
    'run them from a clone of the repository: npm ci && npm start',
  );

export function packageRoot(): string {
  throw notHere();
}

export async function startCliLocalAws(): Promise<LocalAws> {
  throw notHere();
}
