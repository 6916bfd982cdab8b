// Scatter figures: a grid of panels (one per layer, say), drawn as SVG and rasterised to PNG by sharp.
// Deterministic: the same points give the same SVG text, so the same PNG.
import sharp from 'sharp';
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

const PANEL = { w: 240, h: 200, left: 52, right: 10, top: 24, bottom: 34 };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (v: number) => (v === 0 ? '0' : Math.abs(v) >= 0.01 && Math.abs(v) < 1000 ? Number(v.toPrecision(2)).toString() : v.toExponential(0));

/** Finite range of the values, widened a little; a degenerate range becomes ±1 around its value. */
function range(values: number[]): [number, number] {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return [-1, 1];
  let lo = Math.min(...finite);
  let hi = Math.max(...finite);
  if (hi - lo < 1e-30) return [lo - (Math.abs(lo) || 1), hi + (Math.abs(hi) || 1)];
  const pad = 0.05 * (hi - lo);
  return [lo - pad, hi + pad];
}

function panelSvg(p: ScatterPanel, ox: number, oy: number, opts: ScatterGridOptions): string {
  const xs = p.series.flatMap((s) => Array.from(s.x));
  const ys = p.series.flatMap((s) => Array.from(s.y));
  const [x0, x1] = range(xs);
  const [y0, y1] = range(ys);
  const pw = PANEL.w - PANEL.left - PANEL.right;
  const ph = PANEL.h - PANEL.top - PANEL.bottom;
  const X = (v: number) => ox + PANEL.left + ((v - x0) / (x1 - x0)) * pw;
  const Y = (v: number) => oy + PANEL.top + ph - ((v - y0) / (y1 - y0)) * ph;
  const out: string[] = [];
  out.push(`<rect x="${ox + PANEL.left}" y="${oy + PANEL.top}" width="${pw}" height="${ph}" fill="white" stroke="#888"/>`);
  out.push(`<text x="${ox + PANEL.left + pw / 2}" y="${oy + 15}" text-anchor="middle" font-size="12" font-weight="bold">${esc(p.title)}</text>`);
  // zero lines and y = x, clipped to the panel
  if (x0 < 0 && x1 > 0) out.push(`<line x1="${X(0)}" y1="${oy + PANEL.top}" x2="${X(0)}" y2="${oy + PANEL.top + ph}" stroke="#ccc"/>`);
  if (y0 < 0 && y1 > 0) out.push(`<line x1="${ox + PANEL.left}" y1="${Y(0)}" x2="${ox + PANEL.left + pw}" y2="${Y(0)}" stroke="#ccc"/>`);
  if (opts.diagonal) {
    const a = Math.max(x0, y0);
    const b = Math.min(x1, y1);
    if (a < b) out.push(`<line x1="${X(a)}" y1="${Y(a)}" x2="${X(b)}" y2="${Y(b)}" stroke="#999" stroke-dasharray="4 3"/>`);
  }
  for (const s of p.series) {
    for (let i = 0; i < s.x.length; i++) {
      const x = s.x[i]!;
      const y = s.y[i]!;
      if (Number.isFinite(x) && Number.isFinite(y)) out.push(`<circle cx="${X(x).toFixed(1)}" cy="${Y(y).toFixed(1)}" r="2.2" fill="${s.color}" fill-opacity="0.65"/>`);
    }
  }
  // axis ends
  out.push(`<text x="${ox + PANEL.left}" y="${oy + PANEL.top + ph + 12}" font-size="9">${fmt(x0)}</text>`);
  out.push(`<text x="${ox + PANEL.left + pw}" y="${oy + PANEL.top + ph + 12}" font-size="9" text-anchor="end">${fmt(x1)}</text>`);
  out.push(`<text x="${ox + PANEL.left - 3}" y="${oy + PANEL.top + ph}" font-size="9" text-anchor="end">${fmt(y0)}</text>`);
  out.push(`<text x="${ox + PANEL.left - 3}" y="${oy + PANEL.top + 8}" font-size="9" text-anchor="end">${fmt(y1)}</text>`);
  out.push(`<text x="${ox + PANEL.left + pw / 2}" y="${oy + PANEL.h - 6}" font-size="10" text-anchor="middle">${esc(opts.xLabel)}</text>`);
  out.push(`<text transform="translate(${ox + 12},${oy + PANEL.top + ph / 2}) rotate(-90)" font-size="10" text-anchor="middle">${esc(opts.yLabel)}</text>`);
  return out.join('\n');
}

/** The SVG text of a grid of scatter panels (`columns` per row, default 4), one legend from the first panel's series. */
export function scatterGridSvg(panels: ScatterPanel[], opts: ScatterGridOptions): string {
  const cols = Math.min(opts.columns ?? 4, Math.max(1, panels.length));
  const rows = Math.ceil(panels.length / cols);
  const head = 44;
  const width = cols * PANEL.w;
  const height = head + rows * PANEL.h;
  const labels = panels[0]?.series ?? [];
  const legend = labels.map((s, i) => `<circle cx="${20 + i * 110}" cy="34" r="4" fill="${s.color}"/><text x="${28 + i * 110}" y="38" font-size="11">${esc(s.label)}</text>`).join('');
  const body = panels.map((p, i) => panelSvg(p, (i % cols) * PANEL.w, head + Math.floor(i / cols) * PANEL.h, opts)).join('\n');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="18" font-size="14" font-weight="bold">${esc(opts.title)}</text>`,
    legend,
    body,
    '</svg>',
  ].join('\n');
}

/** Writes the grid as a PNG (and returns its SVG text). */
export async function writeScatterGridPng(file: string, panels: ScatterPanel[], opts: ScatterGridOptions): Promise<string> {
  const svg = scatterGridSvg(panels, opts);
  writeFileAtomic(file, await sharp(Buffer.from(svg)).png().toBuffer());
  return svg;
}
