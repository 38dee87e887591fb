/** Loads the topology file named by `--config` / VIPCTL_CONFIG, with messages that say how to fix it. */
import { access } from 'node:fs/promises';
import { loadTopology, type Topology } from '../../tasks/topology';
import { usageError } from './cli-error';
import type { CommandContext } from './context';

export async function loadConfig(ctx: CommandContext): Promise<Topology> {
  const path = ctx.globals.config;
  try {
    await access(path);
  } catch (cause) {
    throw usageError(
      `topology file ${path} not found`,
      'pass --config <file>, set VIPCTL_CONFIG, or write one with `vipctl discover`',
      { cause },
    );
  }
  // TopologyError (every problem with its path and line) is reported by cli-failure.ts as exit 2.
  return await loadTopology(path);
}

/** The node named `name`, or a usage error listing the nodes the topology knows. */
export function requireNode(topology: Topology, name: string, flag: string): string {
  if (topology.nodes[name]) return name;
  throw usageError(
    `unknown node '${name}' in ${flag}`,
    `the topology's nodes are: ${Object.keys(topology.nodes).join(', ')}`,
  );
}
