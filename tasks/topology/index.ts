/**
 * The topology file (`cluster.yaml`): the single description of a cluster's routing (DESIGN section 3).
 * Pure apart from `loadTopology`, which reads the file: no AWS, no clock, no env.
 *
 *   schema.ts    every field (zod), the ID and CIDR formats
 *   checks.ts    what holds between fields (references, uniqueness, regions, CIDRs, accounts, peerings)
 *   messages.ts  zod's issues in the file's words
 *   yaml.ts      limits against hostile YAML, and problem paths back to lines
 */
import { readFile, stat } from 'node:fs/promises';
import { isMap, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import { TopologyError, type TopologyProblem } from '../errors';
import { crossCheck, fromTopology, salvage } from './checks';
import { describeIssue } from './messages';
import { MAX_TOPOLOGY_BYTES, Topology } from './schema';
import { keyPathsOf, MAX_ALIAS_COUNT, offsetOf, tooDeep } from './yaml';

export { validateTopology } from './checks';
export * from './schema';

/**
 * Parses and validates a topology file. Throws `TopologyError` listing every problem found, each with
 * its dotted path and line.
 */
export function parseTopology(text: string, source = 'cluster.yaml'): Topology {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_TOPOLOGY_BYTES)
    throw new TopologyError(source, [
      { path: '', message: `the file is ${bytes} bytes; a topology file may be at most 1 MiB` },
    ]);
  const deep = tooDeep(text);
  if (deep) throw new TopologyError(source, [deep]);

  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const lineAt = (offset: number) => lineCounter.linePos(offset).line;
  if (doc.errors.length > 0) {
    const keyPaths = keyPathsOf(doc.contents);
    throw new TopologyError(
      source,
      doc.errors.map((error) => {
        const offset = error.pos[0];
        if (error.code === 'DUPLICATE_KEY')
          return {
            path: keyPaths.get(offset) ?? '',
            line: lineAt(offset),
            message: 'this key appears twice in the same mapping; keep one of them or rename it',
          };
        return { path: '', line: lineAt(offset), message: `malformed YAML: ${error.message.split('\n')[0]}` };
      }),
    );
  }
  if (!isMap(doc.contents))
    throw new TopologyError(source, [
      {
        path: '',
        message: 'the file must be a YAML mapping with cluster, vips, nodes, vpcs and transitGateways',
      },
    ]);

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    throw new TopologyError(source, [
      { path: '', message: `refused: ${(error as Error).message}; write the values out instead of aliases` },
    ]);
  }

  const lineOf = (path: readonly PropertyKey[]) => {
    const offset = offsetOf(doc.contents as YamlNode, path);
    return offset === undefined ? undefined : lineAt(offset);
  };
  const withLine = (problem: { path: readonly PropertyKey[]; message: string }): TopologyProblem => {
    const line = lineOf(problem.path);
    return { path: problem.path.join('.'), message: problem.message, ...(line ? { line } : {}) };
  };

  const parsed = Topology.safeParse(data);
  const schemaProblems = parsed.success
    ? []
    : parsed.error.issues.flatMap((issue) => describeIssue(issue, data));
  const crossProblems = crossCheck(parsed.success ? fromTopology(parsed.data) : salvage(data));
  const problems = [...schemaProblems, ...crossProblems]
    .map(withLine)
    .sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  if (problems.length > 0 || !parsed.success) throw new TopologyError(source, problems);
  return parsed.data;
}

/** Reads and parses a topology file. Throws `TopologyError` with a hint when the file is missing. */
export async function loadTopology(path: string): Promise<Topology> {
  try {
    // Check the size before reading, so a huge file is never loaded into memory.
    const { size } = await stat(path);
    if (size > MAX_TOPOLOGY_BYTES)
      throw new TopologyError(path, [
        { path: '', message: `the file is ${size} bytes; a topology file may be at most 1 MiB` },
      ]);
    return parseTopology(await readFile(path, 'utf8'), path);
  } catch (error) {
    if (error instanceof TopologyError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const message =
      code === 'ENOENT'
        ? 'no such file; pass --config <file> or create cluster.yaml (see examples/two-region.yaml, or run vipctl discover)'
        : `cannot read the file (${code ?? (error as Error).message})`;
    throw new TopologyError(path, [{ path: '', message }]);
  }
}
