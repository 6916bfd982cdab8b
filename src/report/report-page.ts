// report.html: one self-contained page per run folder — the config, the result, the figures (inline
// SVG), the estimator statistics of every phase and relative links to every phase's files. No script,
// no external style sheet, font or image, so it opens offline in any browser and from a copied folder.
// Deterministic: no timestamp, so the same run folder gives the same bytes.
import * as fs from 'fs';
import * as path from 'path';
import type { MetricRecord } from './metrics';
import type { PhaseData, RunData } from './run-data';

export interface ReportFigures {
  /** the `plot run` chart */
  run: string;
  /** Figure 2 of every phase with estimates, in phase order */
  arch: Array<{ phase: number; svg: string }>;
}

export interface ReportExtras {
  /** MACs per image of the run's final architecture (arch.json), when known */
  macs: number | null;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
const int = (x: number) => x.toLocaleString('en-US');
const sci = (x: number) => (x === 0 ? '0' : Math.abs(x) >= 0.01 && Math.abs(x) < 1e4 ? Number(x.toPrecision(3)).toString() : x.toExponential(2));

/**
 * Make the ids of an inline SVG unique in the page: several figures on one page may define the same id
 * (vega's clip paths, the Figure 2 colour ramps), and ids are page-wide in HTML.
 */
export function prefixSvgIds(svg: string, prefix: string): string {
  return svg.replace(/\bid="([^"]+)"/g, `id="${prefix}-$1"`).replace(/url\(#([^)]+)\)/g, `url(#${prefix}-$1)`).replace(/href="#([^"]+)"/g, `href="#${prefix}-$1"`);
}

function table(head: string[], rows: string[][], cls = ''): string {
  return [
    `<table${cls ? ` class="${cls}"` : ''}>`,
    `<thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead>`,
    '<tbody>',
    ...rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`),
    '</tbody></table>',
  ].join('\n');
}

function resultRows(run: RunData, extras: ReportExtras): string[][] {
  const rows: string[][] = [];
  const r = run.report;
  const last = [...run.metrics].reverse().find((m) => typeof m.test_acc === 'number');
  if (r && run.command === 'run') {
    if (typeof r.test_error === 'number') rows.push(['test error', pct(r.test_error)]);
    if (typeof r.test_loss === 'number') rows.push(['test loss', r.test_loss.toFixed(4)]);
    if (typeof r.params === 'number') rows.push(['parameters', `${int(r.params)}${typeof r.seed_params === 'number' ? ` (seed ${int(r.seed_params)})` : ''}`]);
    if (typeof r.mmac_per_image === 'number') rows.push(['MMAC per image', r.mmac_per_image.toFixed(2)]);
    if (Array.isArray(r.widths)) rows.push(['found widths', r.widths.join(', ')]);
    if (typeof r.retrained === 'boolean') rows.push(['retrained from scratch', r.retrained ? 'yes' : 'no']);
    if (typeof r.wall_seconds === 'number') rows.push(['wall time', `${r.wall_seconds.toFixed(0)} s`]);
    const u = r.uniform_baseline;
    if (u) rows.push(['uniform baseline', `width ${u.width}: ${int(u.params)} parameters, ${u.mmac_per_image.toFixed(2)} MMAC per image, test error ${pct(u.test_error)}, test loss ${u.test_loss.toFixed(4)}`]);
  } else {
    if (run.command === 'run') rows.push(['status', 'not finished (no report.json yet)']);
    if (last) {
      rows.push(['test accuracy', `${pct(last.test_acc as number)} (error ${pct(1 - (last.test_acc as number))}) after ${describeRecord(last)}`]);
      if (typeof last.test_loss === 'number') rows.push(['test loss', last.test_loss.toFixed(4)]);
    }
    const end = run.metrics[run.metrics.length - 1];
    if (end && typeof end.params === 'number') rows.push(['parameters', int(end.params)]);
    if (extras.macs !== null) rows.push(['MMAC per image', (extras.macs / 1e6).toFixed(2)]);
    if (run.arch) rows.push(['widths', run.arch.layers.map((l) => l.width).join(', ')]);
    rows.push(['epochs recorded', String(run.metrics.length)]);
  }
  return rows;
}

function describeRecord(m: MetricRecord): string {
  const kind = typeof m.kind === 'string' ? m.kind : 'train';
  const ph = typeof m.phase === 'number' ? `phase ${m.phase}, ` : '';
  return `${ph}${kind} epoch ${m.epoch ?? ''}`.trim();
}

const median = (xs: number[]) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Per phase: what was estimated and decided, from its estimates.csv. */
function estimatorRows(phases: PhaseData[]): string[][] {
  return phases
    .filter((p) => p.estimates)
    .map((p) => {
      const e = p.estimates!;
      const finite = (xs: Array<number | null>) => xs.filter((x): x is number => x !== null && Number.isFinite(x));
      const positive = e.filter((r) => r.margin !== null && r.margin > 0);
      const reasons = new Map<string, number>();
      for (const r of e) if (r.reason) reasons.set(r.reason, (reasons.get(r.reason) ?? 0) + 1);
      return [
        String(p.phase),
        String(e.length),
        `${positive.filter((r) => r.chosen === 'split').length} / ${positive.filter((r) => r.chosen === 'prune').length}`,
        `${e.filter((r) => r.applied && r.chosen === 'split').length} / ${e.filter((r) => r.applied && r.chosen === 'prune').length}`,
        sci(median(finite(e.map((r) => r.split_dl)))),
        sci(median(finite(e.map((r) => r.prune_dl)))),
        positive.length ? sci(Math.max(...positive.map((r) => r.margin!))) : '–',
        [...reasons.entries()].sort((a, b) => a[0].localeCompare(b[0])).map(([k, v]) => `${esc(k)} ${v}`).join(', '),
      ];
    });
}

/** Relative links (forward slashes) to the files of `rel` under `dir` that exist, sorted; [] when none. The page itself is left out, so that rewriting it gives the same bytes. */
function fileLinks(dir: string, rel: string): string[] {
  const abs = path.join(dir, rel);
  if (!fs.existsSync(abs) || !fs.statSync(abs).isDirectory()) return [];
  return fs
    .readdirSync(abs)
    .filter((n) => !n.startsWith('.') && !(rel === '' && n === 'report.html') && fs.statSync(path.join(abs, n)).isFile())
    .sort()
    .map((n) => `<a href="${esc(rel ? `${rel}/${n}` : n)}">${esc(n)}</a>`);
}

const CSS = `
body { font-family: sans-serif; margin: 24px auto; max-width: 1300px; padding: 0 16px; color: #222; line-height: 1.4; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 18px; margin-top: 32px; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; font-size: 13px; margin: 8px 0; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f4f4f4; }
pre { background: #f7f7f7; border: 1px solid #e4e4e4; padding: 8px; font-size: 12px; overflow-x: auto; }
figure { margin: 12px 0; overflow-x: auto; } figcaption { font-size: 13px; color: #555; max-width: 900px; }
details { margin: 6px 0; } summary { cursor: pointer; font-weight: bold; }
.files a { margin-right: 10px; } .note { color: #555; font-size: 13px; }
`;

/**
 * The HTML text of a run's report page. `figures` holds the SVG texts to inline (their ids are made
 * unique here); links are relative to the run folder, so the page must be written there (report.html).
 */
export function reportPageHtml(run: RunData, figures: ReportFigures, extras: ReportExtras): string {
  const name = path.basename(run.dir);
  const out: string[] = [];
  out.push('<!DOCTYPE html>', '<html lang="en">', '<head>', '<meta charset="utf-8">', `<title>${esc(name)} — nasgrow ${run.command}</title>`, `<style>${CSS}</style>`, '</head>', '<body>');
  out.push(`<h1>${esc(name)}</h1>`);
  out.push(`<p class="note">A run folder of <code>nasgrow ${run.command}</code>${run.nasgrow ? ` (nasgrow ${esc(run.nasgrow)})` : ''}. Regenerate this page with <code>nasgrow report DIR</code>, DIR being this page's folder (${esc(name)}); the figures alone with <code>nasgrow plot run</code> / <code>nasgrow plot arch</code>.</p>`);

  out.push('<h2 id="result">Result</h2>', table(['', 'value'], resultRows(run, extras).map(([k, v]) => [esc(k!), v!]), 'result'));

  out.push('<h2 id="training">Training</h2>');
  out.push(`<figure class="figure" id="figure-run">${prefixSvgIds(figures.run, 'run')}<figcaption>Training loss, test accuracy, parameters and MACs per image for every epoch record in metrics.jsonl, in run order, coloured by kind (train and grow phases, retrain, baseline)${run.phases.length ? '; below, the per-layer widths of every phase' : ''}.</figcaption></figure>`);

  if (figures.arch.length > 0) {
    out.push('<h2 id="architecture">Architecture and morphisms per phase (Figure 2)</h2>');
    out.push('<p class="note">One column per dense layer, one cell per channel. Red: splitting the channel has a positive loss-resource tradeoff (deeper red: larger margin −ΔL − λ·ΔR); blue: pruning it has; grey: neither. A dot marks a morphism that was applied after the phase (at most top_fraction of a layer\'s channels, never below min_width).</p>');
    const lastPhase = figures.arch[figures.arch.length - 1]!.phase;
    for (const f of figures.arch) {
      out.push(`<details${f.phase === lastPhase ? ' open' : ''}><summary>phase ${f.phase}</summary><figure class="figure" id="figure-arch-${f.phase}">${prefixSvgIds(f.svg, `arch${f.phase}`)}</figure></details>`);
    }
  }

  const est = estimatorRows(run.phases);
  if (est.length > 0) {
    out.push('<h2 id="estimates">Estimator statistics</h2>');
    out.push('<p class="note">Per phase, from its estimates.csv: ΔL in loss units (nats per example; negative: the loss is estimated to fall); positive margin: −ΔL exceeds λ·ΔR.</p>');
    out.push(table(['phase', 'channels', 'positive margin: split / prune', 'applied: split / prune', 'median split ΔL', 'median prune ΔL', 'largest margin', 'decisions'], est, 'estimates'));
  }
  const gn = path.join(run.dir, 'gn-accuracy.md');
  if (fs.existsSync(gn)) out.push('<h3>Estimate against true ΔL (gn-accuracy.md)</h3>', `<pre>${esc(fs.readFileSync(gn, 'utf8'))}</pre>`);

  out.push('<h2 id="files">Files</h2>');
  const groups: Array<[string, string]> = [
    ['run folder', ''],
    ['graphs', 'graphs'],
    ...run.phases.map((p): [string, string] => [`phase ${p.phase}`, p.rel]),
    ['retrain', 'retrain/graphs'],
    ['uniform baseline', 'uniform-baseline'],
    ['uniform baseline graphs', 'uniform-baseline/graphs'],
    ['figures', 'figures'],
  ];
  const rows = groups.map(([label, rel]) => [label, fileLinks(run.dir, rel)] as const).filter(([, links]) => links.length > 0);
  out.push(table(['', 'files (relative links; .onnx opens in Netron)'], rows.map(([l, links]) => [esc(l), `<span class="files">${links.join(' ')}</span>`]), 'files'));

  out.push('<h2 id="config">Config</h2>', run.configYaml === null ? '<p>no config.yaml</p>' : `<pre>${esc(run.configYaml)}</pre>`);
  out.push('</body>', '</html>', '');
  return out.join('\n');
}
