/**
 * The documentation as a reader meets it: README.md is a front door (at most 220 lines) that links
 * every page under docs/; no relative link or anchor in README.md, docs/ or cli/README.md leads
 * nowhere; and every code sample still says something true: each `vipctl` command line names a
 * command and options that vipctl has (read from its commander tree), each `npm run` script exists,
 * each JSON and YAML sample parses, the node policy shown is the one `vipctl policy --node` prints, and
 * README's diagram draws the VIP routes that the routing rule gives examples/two-region.yaml.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { createProgram } from '../../cli/program';
import { desiredRoutes, tablesOf } from '../../tasks/routing';
import { loadTopology } from '../../tasks/topology';
import { nodePolicy } from '../../workflow/policy';

const ROOT = resolve(__dirname, '../..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const PAGES = readdirSync(join(ROOT, 'docs'))
  .filter((name) => name.endsWith('.md'))
  .map((name) => `docs/${name}`);
const DOCUMENTS = ['README.md', 'cli/README.md', ...PAGES];

interface Sample {
  readonly file: string;
  readonly line: number;
  readonly lang: string;
  readonly text: string;
}

/** Fenced code blocks (``` at any indentation), with the line they start on. */
function samples(file: string): Sample[] {
  const found: Sample[] = [];
  let open: { line: number; lang: string; indent: number; lines: string[] } | undefined;
  read(file)
    .split('\n')
    .forEach((text, index) => {
      const fence = /^(\s*)```(\S*)\s*$/.exec(text);
      if (fence && !open) open = { line: index + 1, lang: fence[2]!, indent: fence[1]!.length, lines: [] };
      else if (fence && open) {
        found.push({ file, line: open.line, lang: open.lang, text: open.lines.join('\n') });
        open = undefined;
      } else open?.lines.push(text.slice(open.indent));
    });
  return found;
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes. */
const slug = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/`/g, '')
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');

function anchorsOf(file: string): Set<string> {
  const text = read(file).replace(/^\s*```[\s\S]*?^\s*```/gm, '');
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1]!)));
}

/** Every relative Markdown link of a file outside code: [text](target). */
function linksOf(file: string): { target: string; anchor?: string }[] {
  const text = read(file).replace(/^\s*```[\s\S]*?^\s*```/gm, '');
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1]!)
    .filter((target) => !/^(https?:|mailto:)/.test(target))
    .map((target) => {
      const [path, anchor] = target.split('#');
      return anchor === undefined ? { target: path! } : { target: path!, anchor };
    });
}

/** Shell lines of a sample, continuation lines joined, comments cut. */
const shellLines = (text: string) =>
  text
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => line !== '');

const longOptions = (command: Command) => command.options.map((option) => option.long).filter(Boolean);

describe('the documentation', () => {
  it('README.md is a front door of at most 220 lines that links every page under docs/', () => {
    const readme = read('README.md');
    expect(readme.split('\n').length).toBeLessThanOrEqual(220);
    const linked = new Set(linksOf('README.md').map((link) => link.target));
    expect(PAGES.filter((page) => !linked.has(page))).toEqual([]);
    expect(PAGES.length).toBeGreaterThanOrEqual(8);
  });

  it('gives the two commands of a fresh machine exactly', () => {
    const [first] = samples('README.md').filter((s) => s.lang === 'sh');
    expect(shellLines(first!.text)).toEqual(['npm install && npm start', 'npm test']);
  });

  it('has no relative link or anchor that leads nowhere', () => {
    const broken = DOCUMENTS.flatMap((file) =>
      linksOf(file).flatMap(({ target, anchor }) => {
        const path = target === '' ? file : relative(ROOT, resolve(ROOT, dirname(file), target));
        if (!existsSync(join(ROOT, path))) return [`${file}: ${target} (no such file)`];
        if (anchor !== undefined && path.endsWith('.md') && !anchorsOf(path).has(anchor))
          return [`${file}: ${target}#${anchor} (no such heading)`];
        return [];
      }),
    );
    expect(broken).toEqual([]);
  });

  it('names only vipctl commands and options that exist', () => {
    const silent = { write: () => true };
    const program = createProgram({ stdout: silent, stderr: silent, isTTY: false, env: {}, cwd: ROOT });
    const globals = longOptions(program);
    const lines = DOCUMENTS.flatMap((file) =>
      samples(file)
        .filter((s) => s.lang === 'sh')
        .flatMap((s) => shellLines(s.text).map((line) => ({ where: `${file}:${s.line}`, line }))),
    )
      .map(({ where, line }) => ({ where, line: line.replace(/^sudo\s+/, '') }))
      .filter(({ line }) => /^vipctl\b/.test(line));
    expect(lines.length).toBeGreaterThan(15);
    const wrong = lines.flatMap(({ where, line }) => {
      const words = line.split(/\s+/).slice(1);
      const command = words
        .filter((word) => !word.startsWith('-') && !word.startsWith('<'))
        .reduce<Command | undefined>(
          (found, word) => found?.commands.find((c) => c.name() === word) ?? found,
          program,
        );
      if (!command || command === program) return [`${where}: ${line} (no command)`];
      const known = new Set([...globals, ...longOptions(command)]);
      return words
        .filter((word) => word.startsWith('--'))
        .map((word) => word.split('=')[0]!)
        .filter((option) => !known.has(option))
        .map((option) => `${where}: ${line} (${command.name()} has no ${option})`);
    });
    expect(wrong).toEqual([]);
  });

  it('names only npm scripts that exist', () => {
    const scripts = Object.keys(JSON.parse(read('package.json')).scripts);
    const used = DOCUMENTS.flatMap((file) =>
      samples(file)
        .filter((s) => s.lang === 'sh')
        .flatMap((s) => [...s.text.matchAll(/npm run ([\w:-]+)/g)].map((m) => m[1]!)),
    );
    expect(used.length).toBeGreaterThan(3);
    expect(used.filter((script) => !scripts.includes(script))).toEqual([]);
  });

  it('has JSON and YAML samples that parse', () => {
    const structured = DOCUMENTS.flatMap(samples).filter((s) => s.lang === 'json' || s.lang === 'yaml');
    expect(structured.length).toBeGreaterThan(2);
    for (const sample of structured) {
      const parse: (text: string) => unknown = sample.lang === 'json' ? JSON.parse : parseYaml;
      expect(() => parse(sample.text), `${sample.file}:${sample.line}`).not.toThrow();
    }
  });

  it('shows the node policy that vipctl policy --node prints for examples/two-region.yaml', async () => {
    const [shown] = samples('docs/deploy.md').filter((s) => s.lang === 'json');
    const topology = await loadTopology(join(ROOT, 'examples/two-region.yaml'));
    expect(JSON.parse(shown!.text)).toEqual(JSON.parse(JSON.stringify(nodePolicy(topology, '123456789012'))));
  });

  it("draws the diagram's VIP routes as the routing rule puts them for examples/two-region.yaml", async () => {
    const topology = await loadTopology(join(ROOT, 'examples/two-region.yaml'));
    // What a VIP route's target leads to, by topology name: a node (its ENI), a TGW, or what an
    // attachment joins (the VPC of a VPC attachment, the far TGW of a peering from this TGW).
    const leadsTo = (owner: string, target: string) =>
      Object.entries(topology.nodes).find(([, n]) => n.eni === target)?.[0] ??
      Object.entries(topology.transitGateways).find(([, g]) => g.id === target)?.[0] ??
      Object.entries(topology.vpcs).find(([, v]) => v.attachment === target)?.[0] ??
      topology.peerings.find((p) => p.attachment === target)?.between.find((g) => g !== owner);
    const ownerOf = new Map(tablesOf(topology).map((t) => [t.table, t.owner]));
    const ruleEdges = (node: string) =>
      [
        ...new Set(
          desiredRoutes(topology, node).map(
            (r) => `${ownerOf.get(r.table)} -> ${leadsTo(ownerOf.get(r.table)!, r.target)}`,
          ),
        ),
      ].sort();
    // The diagram's boxes are labelled "VPC-A tables", "tgw-B table", "Server-A ENI": the first word is the name.
    const [diagram] = samples('README.md').filter((s) => s.lang === 'mermaid');
    const drawn = diagram!.text
      .split(/^\s*subgraph /m)
      .slice(1)
      .map((block) => {
        const labels = new Map(
          [...block.matchAll(/(\w+)\(*\[*"([^"]+)"/g)].map((m) => [
            m[1]!,
            m[2]!.split(' ')[0]!.toLowerCase(),
          ]),
        );
        return [...block.matchAll(/^\s*(\w+)[^\n]*?-->\|VIP\|\s+(\w+)/gm)]
          .map((m) => `${labels.get(m[1]!)} -> ${labels.get(m[2]!)}`)
          .sort();
      });

    expect(drawn).toEqual([ruleEdges('server-a'), ruleEdges('server-b')]);
  });
});
