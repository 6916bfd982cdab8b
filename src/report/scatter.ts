// Scatter figures (the Appendix B estimate-against-truth plots): a grid of panels, one per layer say,
// each with its own scales, drawn by vega-lite (src/report/vega.ts) and rasterised to PNG by sharp.
// Deterministic: the same points give the same SVG text, so the same PNG.
import { renderVegaLite, svgToPng } from './vega';
import { writeFileAtomic } from '../util/atomic-write';

export interface ScatterSeries {
  label: string;
  /** any SVG colour */
  color: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
}

export interface ScatterPanel {
  title: string;
  series: ScatterSeries[];
}

export interface ScatterGridOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  columns?: number;
  /** draw y = x (estimate against truth) */
  diagonal?: boolean;
}

/**
 * The vega-lite spec of a grid of scatter panels (`columns` per row, default 4), each panel with
 * independent x and y scales, one legend for the series (by label; the first panel's colours).
 * Non-finite points are left out. Panels are kept in the given order (the facet sorts by an index,
 * not by title).
 */
export function scatterGridSpec(panels: ScatterPanel[], opts: ScatterGridOptions): object {
  const values: Array<Record<string, string | number>> = [];
  panels.forEach((p, pi) => {
    const xs: number[] = [];
    for (const s of p.series) {
      for (let i = 0; i < s.x.length; i++) {
        const x = s.x[i]!;
        const y = s.y[i]!;
        if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
        values.push({ panel: p.title, order: pi, series: s.label, x, y, mark: 'point' });
        xs.push(x, y);
      }
    }
    // y = x across the part of the panel both axes cover: one segment row per panel
    if (opts.diagonal && xs.length > 0) {
      const lo = Math.min(...xs);
      const hi = Math.max(...xs);
      values.push({ panel: p.title, order: pi, series: '', x: lo, y: lo, x2: hi, y2: hi, mark: 'diagonal' });
    }
  });
  const series = panels[0]?.series ?? [];
  const axis = (title: string) => ({ title, format: '.1e', labelOverlap: true, tickCount: 4 });
  return {
    title: opts.title,
    data: { values },
    columns: Math.min(opts.columns ?? 4, Math.max(1, panels.length)),
    facet: { field: 'panel', type: 'nominal', title: null, sort: { field: 'order' }, header: { labelFontSize: 11, labelFontWeight: 'bold' } },
    spec: {
      width: 190,
      height: 150,
      layer: [
        {
          transform: [{ filter: "datum.mark === 'diagonal'" }],
          mark: { type: 'rule', color: '#999', strokeDash: [4, 3] },
          encoding: {
            x: { field: 'x', type: 'quantitative', scale: { zero: false }, axis: axis(opts.xLabel) },
            y: { field: 'y', type: 'quantitative', scale: { zero: false }, axis: axis(opts.yLabel) },
            x2: { field: 'x2' },
            y2: { field: 'y2' },
          },
        },
        {
          transform: [{ filter: "datum.mark === 'point'" }],
          mark: { type: 'circle', size: 18, opacity: 0.65 },
          encoding: {
            x: { field: 'x', type: 'quantitative', scale: { zero: false }, axis: axis(opts.xLabel) },
            y: { field: 'y', type: 'quantitative', scale: { zero: false }, axis: axis(opts.yLabel) },
            color: {
              field: 'series',
              type: 'nominal',
              title: null,
              scale: { domain: series.map((s) => s.label), range: series.map((s) => s.color) },
              legend: { orient: 'top' },
            },
          },
        },
      ],
    },
    resolve: { scale: { x: 'independent', y: 'independent' } },
  };
}

/** The SVG text of a grid of scatter panels (see scatterGridSpec). */
export async function scatterGridSvg(panels: ScatterPanel[], opts: ScatterGridOptions): Promise<string> {
  return renderVegaLite(scatterGridSpec(panels, opts));
}

/**
 * Writes the grid as a PNG at `file` (atomically) and returns its SVG text.
 * @throws UserError naming the file when the file system refuses (src/util/atomic-write.ts).
 */
export async function writeScatterGridPng(file: string, panels: ScatterPanel[], opts: ScatterGridOptions): Promise<string> {
  const svg = await scatterGridSvg(panels, opts);
  writeFileAtomic(file, await svgToPng(svg));
  return svg;
}
