/** SVG charts rendered in Node with vega-lite + vega (no browser). */
import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

export interface ConvergencePoint {
  readonly writes: number;
  readonly series: string;
  readonly seconds: number;
}

/** Convergence time vs route writes: this project, the measured baselines, the bounds. */
export function convergenceChart(points: readonly ConvergencePoint[], title: string): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 520,
    height: 300,
    background: 'white',
    data: { values: [...points] },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'writes', type: 'quantitative', title: 'route writes', scale: { type: 'log' } },
      y: { field: 'seconds', type: 'quantitative', title: 'time to converge (s)', scale: { type: 'log' } },
      color: { field: 'series', type: 'nominal', title: null },
    },
  };
}

export interface TimelineBar {
  readonly step: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly part: string;
}

/** One failover as a timeline: CLI start, each state of the execution, the CLI's wait for the end. */
export function timelineChart(bars: readonly TimelineBar[], title: string): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 560,
    height: 260,
    background: 'white',
    data: { values: [...bars] },
    mark: 'bar',
    encoding: {
      y: { field: 'step', type: 'nominal', sort: null, title: null },
      x: { field: 'startMs', type: 'quantitative', title: 'ms since vipctl started' },
      x2: { field: 'endMs' },
      color: { field: 'part', type: 'nominal', title: null },
    },
  };
}
