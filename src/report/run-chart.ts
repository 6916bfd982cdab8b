// The `nasgrow plot run` figure: training loss, test accuracy, parameters and MACs for every epoch
// record of the run (training and growing phases, retraining, the uniform baseline), and the
// per-layer widths of every phase — one vega-lite chart (src/report/vega.ts).
//
// Every drawn point carries an aria-label (vega-lite's `description` channel) of the form
// "<series> | <kind> | <x> | <value>", so the SVG says which value each mark stands for: the tests
// read the series back from it, and screen readers get them too.
import type { MetricRecord } from './metrics';
import type { RunData } from './run-data';
import { growthRows } from './arch-figure';

export const KIND_COLOURS: Record<string, string> = { train: '#1f77b4', grow: '#ff7f0e', retrain: '#2ca02c', baseline: '#7f7f7f' };

/** One point of an epoch series; `step` is the record's position in metrics.jsonl (1-based). */
export interface SeriesPoint {
  series: 'train loss' | 'test accuracy' | 'parameters' | 'MACs';
  kind: string;
  step: number;
  value: number;
  phase: number | null;
}

/**
 * The points of the four epoch series. `macsOf(record)` gives the multiply-accumulates per image of the
 * architecture the record trained (the report layer cannot count them: src/models does), or null.
 */
export function epochSeries(records: MetricRecord[], macsOf: (r: MetricRecord) => number | null): SeriesPoint[] {
  const out: SeriesPoint[] = [];
  records.forEach((r, i) => {
    const kind = typeof r.kind === 'string' ? r.kind : 'train';
    const phase = typeof r.phase === 'number' ? r.phase : null;
    const add = (series: SeriesPoint['series'], v: unknown) => {
      if (typeof v === 'number' && Number.isFinite(v)) out.push({ series, kind, step: i + 1, value: v, phase });
    };
    add('train loss', r.train_loss);
    add('test accuracy', r.test_acc);
    add('parameters', r.params);
    add('MACs', macsOf(r));
  });
  return out;
}

const label = (p: SeriesPoint) => `${p.series} | ${p.kind} | ${p.step} | ${p.value}`;

function epochPanel(points: SeriesPoint[], series: SeriesPoint['series'], yTitle: string, format: string, kinds: string[]): object {
  const mine = points.filter((p) => p.series === series).map((p) => ({ ...p, desc: label(p), phaseLabel: p.phase === null ? '' : `phase ${p.phase}` }));
  return {
    title: series === 'MACs' ? 'MACs per image' : series,
    width: 300,
    height: 170,
    data: { values: mine },
    layer: [
      { mark: { type: 'line', strokeWidth: 1.5, aria: false }, encoding: { x: { field: 'step', type: 'quantitative' }, y: { field: 'value', type: 'quantitative' }, color: { field: 'kind' } } },
      {
        mark: { type: 'point', filled: true, size: 30 },
        encoding: {
          x: { field: 'step', type: 'quantitative', title: 'epoch record (run order)', axis: { tickMinStep: 1, format: 'd' } },
          y: { field: 'value', type: 'quantitative', title: yTitle, scale: { zero: false }, axis: { format } },
          color: { field: 'kind', type: 'nominal', title: 'kind', scale: { domain: kinds, range: kinds.map((k) => KIND_COLOURS[k] ?? '#000') } },
          description: { field: 'desc' },
        },
      },
    ],
  };
}

/**
 * The vega-lite spec of the `plot run` figure of `run`: four epoch panels (train loss, test accuracy,
 * parameters, MACs per image) coloured by record kind, and for a growing run the per-layer widths of
 * every phase (one line per phase, and the found architecture).
 */
export function runChartSpec(run: RunData, macsOf: (r: MetricRecord) => number | null): object {
  const points = epochSeries(run.metrics, macsOf);
  // the retraining and the uniform baseline are evaluated once, at their ends: report.json has those
  // test errors, the epoch records do not
  const atEnd = (kind: 'retrain' | 'baseline', testError: number | undefined) => {
    const last = run.metrics.reduce((at, r, i) => (r.kind === kind ? i + 1 : at), 0);
    if (typeof testError === 'number' && last > 0 && !points.some((p) => p.series === 'test accuracy' && p.kind === kind)) {
      points.push({ series: 'test accuracy', kind, step: last, value: 1 - testError, phase: null });
    }
  };
  atEnd('retrain', run.report?.test_error);
  atEnd('baseline', run.report?.uniform_baseline?.test_error);
  const kinds = Object.keys(KIND_COLOURS).filter((k) => points.some((p) => p.kind === k));
  const name = run.dir.split(/[\\/]/).filter(Boolean).pop() ?? run.dir;
  const rows: object[] = [
    { hconcat: [epochPanel(points, 'train loss', 'loss (nats)', '.3f', kinds), epochPanel(points, 'test accuracy', 'accuracy', '.0%', kinds)] },
    { hconcat: [epochPanel(points, 'parameters', 'parameters', '~s', kinds), epochPanel(points, 'MACs', 'MACs per image', '~s', kinds)] },
  ];
  const growth = run.phases.length > 0 ? growthRows(run, -1) : [];
  if (growth.length > 0) {
    const layers = run.phases[0]!.arch.layers.map((l) => l.name);
    const values = growth.flatMap((g, k) => g.widths.map((w, i) => ({ state: g.label, order: k, layer: layers[i], li: i, width: w, desc: `width | ${g.label} | ${layers[i]} | ${w}` })));
    rows.push({
      title: 'per-layer widths across phases (each phase before its morphisms; found: after the last)',
      width: Math.max(640, 40 * layers.length),
      height: 200,
      data: { values },
      encoding: {
        x: { field: 'layer', type: 'ordinal', sort: layers, title: 'layer', axis: { labelAngle: -45 } },
        y: { field: 'width', type: 'quantitative', title: 'channels' },
        color: { field: 'state', type: 'ordinal', sort: growth.map((g) => g.label), title: 'state', scale: { scheme: 'viridis' } },
      },
      layer: [{ mark: { type: 'line', aria: false } }, { mark: { type: 'point', filled: true, size: 25 }, encoding: { description: { field: 'desc' } } }],
    });
  }
  // the kind colours and the phase colours are separate scales, each with its own legend
  return { title: { text: `${name}: nasgrow ${run.command}`, offset: 12 }, vconcat: rows, spacing: 24, resolve: { scale: { color: 'independent' } } };
}
