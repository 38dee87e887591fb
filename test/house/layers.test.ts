/**
 * The layers of cli/ (cli/README.md), checked on the source: a value import goes to the same layer or
 * a lower one, never up. Type-only imports are erased by the build and may cross layers. Import
 * circles are caught by Biome's noImportCycles (biome.json), types included.
 *
 *   index.ts, program.ts, failure.ts   the entry points: start, the command tree, the last word on errors
 *   commands/                          one file per vipctl command, and files named `<command>-*.ts` it alone uses
 *   runs/                              runs: Step Functions executions, following, the journal, direct runs
 *   aws/                               AWS clients, proxies, the node's identity, AWS errors, local AWS
 *   core/                              what every command receives: context, io, config, exit codes, errors
 *   render/                            text for people: tables, step lists, diagrams, colour
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../..');
const CLI = join(ROOT, 'cli');
const ENTRY = ['index.ts', 'program.ts', 'failure.ts'];
/** Highest first: a layer may import itself and those after it. */
const LAYERS = ['top', 'commands', 'runs', 'aws', 'core', 'render'] as const;

interface Edge {
  readonly from: string;
  readonly to: string;
  readonly typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

/** Every relative import of a file, read by the TypeScript parser: static, re-exports and `import()`. */
function importsOf(file: string, text: string): Edge[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const edges: Edge[] = [];
  const add = (specifier: string, typeOnly: boolean) => {
    if (!specifier.startsWith('.')) return;
    edges.push({ from: file, to: `${resolve(dirname(file), specifier)}.ts`, typeOnly });
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const named = clause?.namedBindings;
      const allTypes =
        clause !== undefined &&
        (clause.isTypeOnly ||
          (clause.name === undefined &&
            named !== undefined &&
            ts.isNamedImports(named) &&
            named.elements.length > 0 &&
            named.elements.every((element) => element.isTypeOnly)));
      add(node.moduleSpecifier.text, allTypes);
    } else if (
      ts.isExportDeclaration(node) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      add(node.moduleSpecifier.text, node.isTypeOnly);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      add(node.arguments[0].text, false);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return edges;
}

const layerOf = (file: string): string => {
  const path = relative(CLI, file).split('/');
  return path.length === 1 ? 'top' : path[0]!;
};
const rank = (file: string) => LAYERS.indexOf(layerOf(file) as (typeof LAYERS)[number]);
const commandOf = (file: string) => relative(join(CLI, 'commands'), file).replace(/\.ts$/, '');

/** What is wrong with one edge, or undefined. */
function violation(edge: Edge): string | undefined {
  const from = relative(ROOT, edge.from);
  const to = relative(ROOT, edge.to);
  if (!edge.to.startsWith(`${CLI}/`)) return undefined;
  if (!edge.typeOnly && rank(edge.to) < rank(edge.from)) {
    return `${from} (${layerOf(edge.from)}) imports ${to} (${layerOf(edge.to)}), a higher layer`;
  }
  if (layerOf(edge.from) === 'commands' && layerOf(edge.to) === 'commands') {
    const [own, other] = [commandOf(edge.from), commandOf(edge.to)];
    const base = own.split('-')[0]!;
    if (!other.startsWith(`${base}-`) && other !== base) {
      return `${from} imports another command's module ${to}: move what they share to runs/, aws/, core/ or render/`;
    }
  }
  return undefined;
}

describe('cli/ layers', () => {
  const files = sourceFiles(CLI);
  const edges = files.flatMap((file) => importsOf(file, readFileSync(file, 'utf8')));

  it('has only the entry points at the top; every other file is in a folder named for its layer', () => {
    const top = files.filter((file) => layerOf(file) === 'top').map((file) => relative(CLI, file));
    expect(top.sort()).toEqual([...ENTRY].sort());
    const folders = new Set(files.map(layerOf));
    expect([...folders].filter((layer) => !LAYERS.includes(layer as (typeof LAYERS)[number]))).toEqual([]);
  });

  it('imports values only from its own layer or a lower one, and commands only their own modules', () => {
    expect(edges.map(violation).filter((v) => v !== undefined)).toEqual([]);
  });

  it('resolves every relative import of cli/ to a file (the parser saw them all)', () => {
    const missing = edges
      .filter((edge) => edge.to.startsWith(`${CLI}/`))
      .filter((edge) => {
        try {
          return !statSync(edge.to).isFile();
        } catch {
          return true;
        }
      });
    expect(missing.map((edge) => `${relative(ROOT, edge.from)} -> ${relative(ROOT, edge.to)}`)).toEqual([]);
    expect(edges.length).toBeGreaterThan(200);
  });

  it('catches the imports it forbids (the checker itself)', () => {
    const at = (path: string) => join(CLI, path);
    const parsed = importsOf(
      at('render/text.ts'),
      "import { run } from '../runs/follow';\nimport type { StepRecord } from '../runs/executions';\nconst m = () => import('../commands/show');",
    );
    expect(parsed.map((edge) => [relative(CLI, edge.to), edge.typeOnly])).toEqual([
      ['runs/follow.ts', false],
      ['runs/executions.ts', true],
      ['commands/show.ts', false],
    ]);
    expect(parsed.map(violation)).toEqual([
      expect.stringContaining('a higher layer'),
      undefined,
      expect.stringContaining('a higher layer'),
    ]);
    expect(
      violation({ from: at('commands/rollback.ts'), to: at('commands/show.ts'), typeOnly: false }),
    ).toContain("another command's module");
    expect(
      violation({ from: at('commands/check.ts'), to: at('commands/check-via-workflow.ts'), typeOnly: false }),
    ).toBeUndefined();
    expect(
      violation({ from: at('program.ts'), to: at('commands/show.ts'), typeOnly: false }),
    ).toBeUndefined();
  });
});
