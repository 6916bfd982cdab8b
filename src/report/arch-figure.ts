// Figure 2 of the paper for one phase of a run: one column per dense layer, as tall as the layer is
// wide, one cell per channel coloured by the tradeoff margin of its better morphism — red for a split,
// blue for a prune, the deeper the larger the margin, grey where no morphism has a positive tradeoff —
// with a dot on the channels whose morphism was applied; below, the per-layer widths of every phase.
//
// Drawn as SVG by hand rather than through vega-lite: it is a fixed grid whose every cell must be
// identifiable (each carries data-layer, data-channel, data-chosen, data-margin, data-applied, which
// the tests and a curious reader can check against estimates.csv), and the layout (columns centred on
// one line, as in the paper) is simpler to state than to coax out of a chart grammar.
// Deterministic: the same run folder gives the same SVG bytes.
import type { EstimateRow, PhaseData, RunData } from './run-data';

export const ARCH_COLOURS = {
  split: [214, 39, 40] as const,
  prune: [31, 95, 191] as const,
  /** no positive tradeoff (margin ≤ 0) */
  none: '#d9d9d9',
  /** no decision or no finite estimate */
  missing: '#ffffff',
};

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const fmt = (v: number) => (v === 0 ? '0' : Math.abs(v) >= 0.01 && Math.abs(v) < 1000 ? Number(v.toPrecision(3)).toString() : v.toExponential(2));

/**
 * The fill of a channel's cell: `maxMargin` is the largest positive margin of the phase (over every
 * layer and both kinds, so that red and blue depths compare). Intensity grows with the square root of
 * margin / maxMargin from 15% (any positive margin shows) to 100%.
 */
export function cellFill(row: Pick<EstimateRow, 'chosen' | 'margin'>, maxMargin: number): string {
  if (row.chosen === null || row.margin === null || !Number.isFinite(row.margin)) return ARCH_COLOURS.missing;
  if (row.margin <= 0 || !(maxMargin > 0)) return ARCH_COLOURS.none;
  const t = 0.15 + 0.85 * Math.sqrt(Math.min(1, row.margin / maxMargin));
  const rgb = ARCH_COLOURS[row.chosen].map((c) => Math.round(255 + (c - 255) * t));
  return `rgb(${rgb.join(',')})`;
}

export interface GrowthRow {
  label: string;
  widths: number[];
  /** the row of the phase the figure shows */
  current: boolean;
}

/**
 * Per-layer widths of every state of the run: each phase's architecture (before its morphisms) and,
 * when the run has one, the found architecture (arch.json at the top) after the last phase.
 */
export function growthRows(run: RunData, phase: number): GrowthRow[] {
  const rows = run.phases.map((p) => ({ label: `phase ${p.phase}`, widths: p.arch.layers.map((l) => l.width), current: p.phase === phase }));
  const names = run.phases[0]?.arch.layers.map((l) => l.name).join(',');
  if (run.arch && run.command === 'run' && run.arch.layers.map((l) => l.name).join(',') === names && run.report) {
    rows.push({ label: 'found', widths: run.arch.layers.map((l) => l.width), current: false });
  }
  return rows;
}

const COL = 22;
const GAP = 8;
const LEFT = 78;
const TOP = 92;

/**
 * The SVG text of Figure 2 for `phase` (1-based) of `run`.
 * @throws RangeError when the run has no estimates for that phase (the CLI checks --phase first).
 */
export function archFigureSvg(run: RunData, phase: number): string {
  const p: PhaseData | undefined = run.phases.find((x) => x.phase === phase && x.estimates !== null);
  if (!p || !p.estimates) throw new RangeError(`phase ${phase} of ${run.dir} has no estimates.csv`);
  const est = p.estimates;
  const layers = p.arch.layers;
  const maxMargin = Math.max(0, ...est.map((r) => (r.margin !== null && Number.isFinite(r.margin) ? r.margin : 0)));
  const maxWidth = Math.max(...layers.map((l) => l.width));
  const cellH = Math.max(3, Math.min(14, 380 / maxWidth));
  const colsH = maxWidth * cellH;
  const plotW = layers.length * (COL + GAP) - GAP;
  const mid = TOP + 16 + colsH / 2;
  const out: string[] = [];
  const x0 = (i: number) => LEFT + i * (COL + GAP);

  // columns of cells, centred on one line as in the paper; channel 0 at the top
  layers.forEach((l, i) => {
    const rows = est.filter((r) => r.layer === l.name);
    const top = mid - (l.width * cellH) / 2;
    const splits = rows.filter((r) => r.applied && r.chosen === 'split').length;
    const prunes = rows.filter((r) => r.applied && r.chosen === 'prune').length;
    out.push(`<g class="layer" data-layer="${esc(l.name)}" data-width="${l.width}" data-splits="${splits}" data-prunes="${prunes}">`);
    out.push(`<text x="${x0(i) + COL / 2}" y="${(top - 4).toFixed(1)}" font-size="9" text-anchor="middle">${l.width}</text>`);
    for (const r of rows) {
      const y = top + r.channel * cellH;
      const title = `${l.name} channel ${r.channel}: ${r.chosen ?? 'no decision'}, margin ${r.margin === null ? '–' : fmt(r.margin)}, ΔL split ${r.split_dl === null ? '–' : fmt(r.split_dl)}, prune ${r.prune_dl === null ? '–' : fmt(r.prune_dl)}; ${r.reason ?? ''}`;
      out.push(
        `<rect class="cell" x="${x0(i)}" y="${y.toFixed(2)}" width="${COL}" height="${cellH.toFixed(2)}" fill="${cellFill(r, maxMargin)}" stroke="#fff" stroke-width="${cellH >= 5 ? 0.6 : 0.2}" data-layer="${esc(l.name)}" data-channel="${r.channel}" data-chosen="${r.chosen ?? ''}" data-margin="${r.margin ?? ''}" data-applied="${r.applied ? 1 : 0}"><title>${esc(title)}</title></rect>`,
      );
      if (r.applied) out.push(`<circle class="applied" cx="${x0(i) + COL / 2}" cy="${(y + cellH / 2).toFixed(2)}" r="${Math.min(3, cellH / 2.5).toFixed(2)}" fill="#111" data-layer="${esc(l.name)}" data-channel="${r.channel}"/>`);
    }
    const bottom = mid + (l.width * cellH) / 2;
    out.push(`<text x="${x0(i) + COL / 2}" y="${(bottom + 11).toFixed(1)}" font-size="8" text-anchor="middle" fill="#a00">${splits ? `+${splits}` : ''}</text>`);
    out.push(`<text x="${x0(i) + COL / 2}" y="${(bottom + 20).toFixed(1)}" font-size="8" text-anchor="middle" fill="#14a">${prunes ? `−${prunes}` : ''}</text>`);
    out.push('</g>');
  });
  // layer names under the tallest column
  const namesY = TOP + 16 + colsH + 30;
  layers.forEach((l, i) => out.push(`<text x="${x0(i) + COL / 2}" y="${namesY}" font-size="9" text-anchor="end" transform="rotate(-45 ${x0(i) + COL / 2} ${namesY})">${esc(l.name)}</text>`));

  // growth: per-layer widths of every phase, shaded by width, the shown phase outlined
  const growth = growthRows(run, phase);
  const gTop = namesY + 44;
  const rowH = 15;
  const gMax = Math.max(...growth.flatMap((g) => g.widths));
  out.push(`<text x="10" y="${gTop - 8}" font-size="12" font-weight="bold">Widths per phase</text>`);
  out.push(`<text x="130" y="${gTop - 8}" font-size="9">each phase's architecture before its morphisms; "found": after the last phase</text>`);
  growth.forEach((g, k) => {
    const y = gTop + k * rowH;
    out.push(`<g class="growth-row" data-label="${esc(g.label)}" data-widths="${g.widths.join(',')}">`);
    out.push(`<text x="${LEFT - 6}" y="${y + 11}" font-size="10" text-anchor="end"${g.current ? ' font-weight="bold"' : ''}>${esc(g.label)}</text>`);
    g.widths.forEach((w, i) => {
      const shade = Math.round(245 - 150 * (w / gMax));
      out.push(`<rect x="${x0(i)}" y="${y}" width="${COL}" height="${rowH - 1}" fill="rgb(${shade},${shade},${shade})"/>`);
      out.push(`<text x="${x0(i) + COL / 2}" y="${y + 11}" font-size="9" text-anchor="middle" fill="${shade < 160 ? '#fff' : '#000'}">${w}</text>`);
    });
    if (g.current) out.push(`<rect x="${LEFT - 2}" y="${y - 1}" width="${plotW + 4}" height="${rowH + 1}" fill="none" stroke="#111" stroke-width="1.2"/>`);
    out.push('</g>');
  });

  // title and legend
  const g = (run.config?.grow ?? {}) as Record<string, unknown>;
  const lambda = typeof g.lambda_p === 'number' ? `λ_p = ${g.lambda_p}` : '';
  const applied = est.filter((r) => r.applied);
  const head = [
    `<text x="10" y="18" font-size="14" font-weight="bold">Phase ${phase} of ${run.phases.length}: ${esc(path2name(run.dir))}</text>`,
    `<text x="10" y="34" font-size="10">Each column a dense layer, each cell a channel (channel 0 at the top), coloured by its better morphism's</text>`,
    `<text x="10" y="47" font-size="10">tradeoff margin −ΔL − λ·ΔR${lambda ? ` (${lambda})` : ''}; ● applied: ${applied.filter((r) => r.chosen === 'split').length} splits (+ under a column), ${applied.filter((r) => r.chosen === 'prune').length} prunes (−)</text>`,
  ];
  const legendY = 58;
  const ramp = (kind: 'split' | 'prune', x: number) => {
    const stops = [0, 0.25, 0.5, 0.75, 1].map((f) => `<stop offset="${f}" stop-color="${cellFill({ chosen: kind, margin: f * f * maxMargin || 1e-300 }, maxMargin || 1)}"/>`).join('');
    return [
      `<defs><linearGradient id="arch-ramp-${kind}">${stops}</linearGradient></defs>`,
      `<rect x="${x}" y="${legendY}" width="90" height="10" fill="url(#arch-ramp-${kind})" stroke="#999" stroke-width="0.5"/>`,
      `<text x="${x + 95}" y="${legendY + 9}" font-size="10">${kind} (0 … ${maxMargin > 0 ? fmt(maxMargin) : '–'})</text>`,
    ].join('');
  };
  head.push(ramp('split', 10), ramp('prune', 220));
  head.push(`<rect x="430" y="${legendY}" width="14" height="10" fill="${ARCH_COLOURS.none}"/><text x="448" y="${legendY + 9}" font-size="10">margin ≤ 0</text>`);
  head.push(`<circle cx="527" cy="${legendY + 5}" r="3" fill="#111"/><text x="534" y="${legendY + 9}" font-size="10">applied</text>`);

  const width = Math.max(LEFT + plotW + 20, 600);
  const height = gTop + growth.length * rowH + 12;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" class="arch-figure" data-phase="${phase}">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    ...head,
    ...out,
    '</svg>',
    '',
  ].join('\n');
}

function path2name(dir: string): string {
  return dir.split(/[\\/]/).filter(Boolean).pop() ?? dir;
}
