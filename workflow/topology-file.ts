/**
 * Reads the topology file the CDK app deploys. Delegates the checks to the shared schema and turns
 * schema failures into a TopologyError that lists every problem with its path.
 */
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { TopologyError } from '../tasks/errors';
import { Topology } from '../tasks/topology';

/** Parses and validates topology YAML; throws TopologyError naming `source` and every problem. */
export function parseTopologyText(text: string, source: string): Topology {
  let document: unknown;
  try {
    document = parse(text);
  } catch (cause) {
    throw new TopologyError(source, [{ path: '', message: `not valid YAML: ${(cause as Error).message}` }]);
  }
  const result = Topology.safeParse(document);
  if (!result.success) {
    throw new TopologyError(
      source,
      result.error.issues.map((issue) => ({
        path: issue.path.map(String).join('.'),
        message: issue.message,
      })),
    );
  }
  return result.data;
}

/** Reads `path` and parses it with {@link parseTopologyText}. */
export async function readTopologyFile(path: string): Promise<Topology> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new TopologyError(path, [
      { path: '', message: `cannot read the file: ${(cause as Error).message}` },
    ]);
  }
  return parseTopologyText(text, path);
}
