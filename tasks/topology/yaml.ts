/**
 * The YAML side of reading a topology file: limits that refuse hostile input before the composer runs,
 * and the way from a problem's path back to its line.
 */
import { isAlias, isMap, isScalar, isSeq, type Node as YamlNode } from 'yaml';
import type { TopologyProblem } from '../errors';

/** Deepest nesting accepted; a topology needs 4. Deeper input is refused before the YAML parser sees it. */
const MAX_DEPTH = 32;
/** Alias expansions accepted; this bounds "billion laughs" anchor bombs. */
export const MAX_ALIAS_COUNT = 64;

/** Source offset of the deepest node on `path` that exists (a key's own offset for mapping entries). */
export function offsetOf(root: YamlNode | null, path: readonly PropertyKey[]): number | undefined {
  let node: unknown = root;
  let offset = isMap(root) || isSeq(root) ? undefined : root?.range?.[0];
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
      if (!pair) break;
      offset = (isScalar(pair.key) ? pair.key.range?.[0] : undefined) ?? offset;
      node = pair.value;
    } else if (isSeq(node)) {
      const item = node.items[Number(segment)];
      if (!item) break;
      offset = (item as YamlNode).range?.[0] ?? offset;
      node = item;
    } else break;
    if (isAlias(node)) break;
  }
  return offset;
}

/** Dotted paths of every mapping key by source offset, so a parser error on a key can name it. */
export function keyPathsOf(root: unknown): Map<number, string> {
  const paths = new Map<number, string>();
  const stack: { node: unknown; path: string[] }[] = [{ node: root, path: [] }];
  for (let entry = stack.pop(); entry; entry = stack.pop()) {
    const { node, path } = entry;
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isScalar(pair.key)) continue;
        const keyPath = [...path, String(pair.key.value)];
        const offset = pair.key.range?.[0];
        if (offset !== undefined) paths.set(offset, keyPath.join('.'));
        stack.push({ node: pair.value, path: keyPath });
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        stack.push({ node: item, path: [...path, String(i)] });
      });
    }
  }
  return paths;
}

/**
 * Estimates the nesting depth line by line (indentation levels, `- ` indicators, open flow brackets)
 * in linear time, so deeply nested input is refused before the recursive YAML composer runs.
 */
export function tooDeep(text: string): TopologyProblem | undefined {
  const indents: number[] = [];
  let flow = 0;
  const lines = text.split('\n');
  for (const [index, line] of lines.entries()) {
    const content = line.trimStart();
    if (content === '' || content.startsWith('#')) continue;
    const indent = line.length - content.length;
    if (flow === 0) {
      while (indents.length > 0 && (indents.at(-1) ?? 0) >= indent) indents.pop();
      indents.push(indent);
    }
    let dashes = 0;
    while (content.startsWith('- ', dashes * 2)) dashes++;
    let quote = '';
    for (let i = 0; i < content.length; i++) {
      const c = content[i] as string;
      if (quote) {
        if (c === quote) quote = '';
      } else if ((c === '"' || c === "'") && (i === 0 || ' [{,:'.includes(content[i - 1] as string)))
        quote = c;
      else if (c === '#' && (i === 0 || content[i - 1] === ' ')) break;
      else if (c === '[' || c === '{') flow++;
      else if ((c === ']' || c === '}') && flow > 0) flow--;
      if (indents.length + dashes + flow > MAX_DEPTH)
        return {
          path: '',
          line: index + 1,
          message: `nesting deeper than ${MAX_DEPTH} levels; a topology needs 4`,
        };
    }
  }
  return undefined;
}
