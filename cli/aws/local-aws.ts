/**
 * Starts local AWS from the CLI (`vipctl local`, `vipctl demo`). The CLI runs bundled from dist/,
 * where the CDK app cannot find the task handler's source next to itself, so the state machines
 * are synthesized with the handler's path inside the package.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LocalAws, LocalAwsOptions } from '../../local/index';
import type { Topology } from '../../tasks/topology';

/** The package root (where package.json is), found from this module in source and in the bundle. */
export function packageRoot(from = fileURLToPath(import.meta.url)): string {
  for (let dir = dirname(from); ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && /"name":\s*"tgw-vip-failover"/.test(readFileSync(manifest, 'utf8')))
      return dir;
    if (dirname(dir) === dir) throw new Error(`cannot find the tgw-vip-failover package above ${from}`);
  }
}

export async function startCliLocalAws(options: Omit<LocalAwsOptions, 'sfn'>): Promise<LocalAws> {
  const [{ startLocalAws }, { synthesizeAsl }] = await Promise.all([
    import('../../local/index'),
    import('../../workflow/asl'),
  ]);
  const root = packageRoot();
  const entry = join(root, 'tasks', 'handlers', 'main.ts');
  const account = options.account ?? options.topology.account ?? '000000000000';
  return startLocalAws({
    ...options,
    sfn: { synthesize: (topology: Topology) => synthesizeAsl(topology, { account, entry }) },
  });
}
