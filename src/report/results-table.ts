// `nasgrow table`: nasgrow's results beside the paper's Tables 1 and 2, as Markdown or CSV.
//
// The command (src/cli/table/table.ts) reads each finished run folder into RunResults — one per
// method the folder holds: the grown network ("gauss-newton"), its uniform baseline ("uniform"), or the
// network `nasgrow train` trained ("train") — and groups the results of one setting (the same config but
// for the seed). This file turns those groups into rows (mean ± sample std over the seeds) and puts the
// published rows beside them: the paper's own rows ("Ours") next to nasgrow's rows of the same seed
// network, dataset and λ_p, the other published rows after them.
import { csvRows } from './metrics';
import { formatDuration } from './format';
import { PAPER_BUDGET, PAPER_ROWS, PaperRow } from './paper-tables';
import { mean, sampleStd } from '../util/stats';

/** One method's result in one finished run folder. */
export interface RunResult {
  /** the run folder */
  dir: string;
  seed: number;
  /** the dataset kind (cifar10, cifar100, fashion-mnist, ...) and how it is shown (with any limit) */
  dataset: string;
  datasetLabel: string;
  /** the seed network: family and, when uniform, its width (null: per-layer widths) */
  family: string;
  width: number | null;
  /** grow.lambda_p; null for `nasgrow train` */
  lambdaP: number | null;
  /** grow.method of a run folder (gauss-newton, random, steepest, slimming), 'uniform' for its uniform
   *  baseline ('uniform (control of random)' in a baseline's run folder), 'train' for `nasgrow train`
   *  (or, for a run's architecture trained again, that run's method, 'uniform' or MACS_MATCHED) */
  method: string;
  /** fraction of test examples classified wrong */
  testError: number;
  params: number;
  mmacPerImage: number;
  wallSeconds: number;
  /** one line about the machine (src/util/hardware.ts describeHardware), or null when not recorded */
  hardware: string | null;
  /** whether the run ran on a GPU (its wall time is then also given as GPU days) */
  gpu: boolean;
  budgetEpochs: number;
  /** how the budget divides, e.g. "2×(1+1) + 3" */
  budget: string;
  /** `nasgrow run`'s method: the growing network's test error at the end of its last training phase,
   *  before the last morphisms and the retraining (null: not evaluated then, or not a growing run) */
  grownError?: number | null;
  /** `nasgrow train` of an architecture a `nasgrow run` left (its arch.json: the method's network; its
   *  uniform-baseline/arch.json: 'uniform'): the epochs it was trained for. Such results pair with each
   *  other, not with the run's own retraining (absent: not such a run) */
  retrainedEpochs?: number;
  /** what a result must share with Gauss-Newton's to be paired with it, beyond the dataset, seed
   *  network, λ_p and retraining epochs: the rest of the setting but for the method (src/cli/table
   *  pairingKey; e.g. grow.theta_steps). Absent: nothing more */
  pairing?: string;
}

/** A row of the table: a group of nasgrow's runs of one setting, or a published row. */
export interface TableRow {
  source: 'nasgrow' | 'paper, Table 1' | 'paper, Table 2';
  dataset: string;
  datasetLabel: string;
  /** "VGG-19 w=16"; '' for published rows of other methods */
  seedNetwork: string;
  lambdaP: number | null;
  method: string;
  /** nasgrow rows: the runs' seeds (n = their count), and folders */
  seeds: number[];
  runs: string[];
  /** test error in %, parameters in millions, MMAC per image: mean and sample std (NaN when n = 1); published rows: the printed text */
  errorPct: Stat | string;
  paramsM: Stat | string;
  mmac: Stat | null;
  wallSeconds: number | null;
  hardware: string;
  budgetEpochs: number | null;
  budget: string;
  /** GPU days: printed (paper) or wall time of a GPU run */
  gpuDays: string;
}

export interface Stat {
  mean: number;
  std: number;
}

const FAMILY_NAMES: Record<string, string> = { vgg19: 'VGG-19', mobilenetv1: 'MobileNetV1' };
const DATASET_NAMES: Record<string, string> = { cifar10: 'CIFAR-10', cifar100: 'CIFAR-100' };
const METHOD_ORDER = ['gauss-newton', 'random', 'steepest', 'slimming', 'uniform', 'train'];

/** The method of a found architecture's uniform control matched by compute instead of parameters: a
 *  `nasgrow train` of a run's arch.json with model.uniform_match: macs. */
export const MACS_MATCHED = 'uniform (matched MACs)';
// 'uniform (control of random)' and MACS_MATCHED sort with 'uniform'
const methodRank = (method: string) => METHOD_ORDER.indexOf(method.split(' ')[0]!);

/** "VGG-19 w=16", or "VGG-19 (per-layer widths)" for a network of uneven widths. */
export function seedNetworkName(family: string, width: number | null): string {
  const name = FAMILY_NAMES[family] ?? family;
  return width === null ? `${name} (per-layer widths)` : `${name} w=${width}`;
}

/** The dataset's name as the paper writes it (CIFAR-10), or its kind as the config does. */
export function datasetName(kind: string): string {
  return DATASET_NAMES[kind] ?? kind;
}

const stat = (values: number[]): Stat => ({ mean: mean(values), std: sampleStd(values) });

/**
 * The row of one group: the results of one method in runs of one setting that differ only in their
 * seed (the caller groups them). Test error, parameters and MMAC as mean ± sample std over the runs;
 * wall time as the mean; the hardware of every run (distinct lines joined by "; "); seeds and run
 * folders in seed order.
 */
export function groupRow(group: RunResult[]): TableRow {
  // seeds and folders listed in seed order (folders come in the order they were found: seed-10 before seed-2)
  const results = [...group].sort((a, b) => a.seed - b.seed || (a.dir < b.dir ? -1 : a.dir > b.dir ? 1 : 0));
  const first = results[0];
  if (!first) throw new Error('groupRow: an empty group');
  const hardware = [...new Set(results.map((r) => r.hardware ?? 'not recorded'))].join('; ');
  const wall = mean(results.map((r) => r.wallSeconds));
  const budgets = [...new Set(results.map((r) => r.budget))];
  return {
    source: 'nasgrow',
    dataset: first.dataset,
    datasetLabel: first.datasetLabel,
    seedNetwork: seedNetworkName(first.family, first.width),
    lambdaP: first.lambdaP,
    method: first.method,
    seeds: results.map((r) => r.seed),
    runs: results.map((r) => r.dir),
    errorPct: stat(results.map((r) => 100 * r.testError)),
    paramsM: stat(results.map((r) => r.params / 1e6)),
    mmac: stat(results.map((r) => r.mmacPerImage)),
    wallSeconds: wall,
    hardware,
    budgetEpochs: first.budgetEpochs,
    budget: budgets.join('; '),
    gpuDays: results.every((r) => r.gpu) ? (wall / 86400).toPrecision(2) : '',
  };
}

/** A published row as a table row. */
export function paperRow(p: PaperRow): TableRow {
  return {
    source: p.table === 1 ? 'paper, Table 1' : 'paper, Table 2',
    dataset: p.dataset,
    datasetLabel: datasetName(p.dataset),
    seedNetwork: p.ours ? seedNetworkName(p.ours.family, p.ours.width) : '',
    lambdaP: p.ours?.lambdaP ?? null,
    method: p.ours ? 'gauss-newton' : `${p.reference} (${p.type})`,
    seeds: [],
    runs: [],
    errorPct: p.error,
    paramsM: p.paramsM,
    mmac: null,
    wallSeconds: null,
    hardware: '',
    budgetEpochs: null,
    budget: p.ours ? PAPER_BUDGET : '',
    gpuDays: p.gpuDays,
  };
}

/** Which published rows go in the table: all of Tables 1 and 2, the paper's own method's, or none. */
export type PaperRows = 'all' | 'ours' | 'none';

/**
 * nasgrow's rows and the published ones in one order: by dataset (CIFAR-10, CIFAR-100, then the others
 * by name); within a dataset the rows of a seed network by family, λ_p and method, the paper's row of a
 * setting just above nasgrow's; then the other published rows in the paper's order.
 */
export function tableRows(groups: TableRow[], paper: PaperRows): TableRow[] {
  const published = PAPER_ROWS.filter((p) => paper === 'all' || (paper === 'ours' && p.ours)).map(paperRow);
  const rows = [...published, ...groups];
  const datasets = [...new Set(rows.map((r) => r.dataset))].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const out: TableRow[] = [];
  for (const d of datasets) {
    const here = rows.filter((r) => r.dataset === d);
    const seeded = here.filter((r) => r.seedNetwork !== '');
    seeded.sort(
      (a, b) =>
        a.seedNetwork.localeCompare(b.seedNetwork) ||
        (a.lambdaP ?? Infinity) - (b.lambdaP ?? Infinity) ||
        methodRank(a.method) - methodRank(b.method) ||
        a.method.localeCompare(b.method) ||
        (a.source === 'nasgrow' ? 1 : 0) - (b.source === 'nasgrow' ? 1 : 0) ||
        a.datasetLabel.localeCompare(b.datasetLabel) ||
        a.budget.localeCompare(b.budget),
    );
    out.push(...seeded, ...here.filter((r) => r.seedNetwork === ''));
  }
  return out;
}

function rank(dataset: string): number {
  const i = ['cifar10', 'cifar100'].indexOf(dataset);
  return i < 0 ? 2 : i;
}

/** A budget as the table's column shows it: its epochs and how they divide, "12 (2×(2+2) + 4, ...)". */
export function budgetText(r: { budgetEpochs: number | null; budget: string }): string {
  return r.budgetEpochs === null ? r.budget : `${r.budgetEpochs} (${r.budget})`;
}

/** "3e-7" as the paper writes λ_p values; '' for none. */
export function lambdaText(l: number | null): string {
  return l === null ? '' : l.toExponential().replace(/\.?0*e\+?/, 'e');
}

/**
 * "mean ± std" (the mean alone for one run) with `digits` decimals, or, with `digits` null, as many as
 * give the mean 3 significant digits: parameters span 0.001 M (a test's network) to 20 M.
 */
function statText(s: Stat | string | null, digits: number | null): string {
  if (s === null) return '';
  if (typeof s === 'string') return s;
  const d = digits ?? (s.mean === 0 || !Number.isFinite(s.mean) ? 2 : Math.min(8, Math.max(0, 2 - Math.floor(Math.log10(Math.abs(s.mean))))));
  return Number.isNaN(s.std) ? s.mean.toFixed(d) : `${s.mean.toFixed(d)} ± ${s.std.toFixed(d)}`;
}

const escapeCell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/**
 * The rows as one Markdown table (test error in %, parameters in millions, as the paper gives them),
 * with a caption saying what the numbers are.
 */
export function markdownTable(rows: TableRow[]): string {
  const header = ['dataset', 'seed network', 'λ_p', 'method', 'source', 'n', 'test error (%)', 'params (M)', 'MMAC', 'wall time', 'hardware', 'budget (epochs)', 'GPU days'];
  const lines = [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`];
  for (const r of rows) {
    const budget = budgetText(r);
    const cells = [
      r.datasetLabel,
      r.seedNetwork,
      lambdaText(r.lambdaP),
      r.method,
      r.source,
      r.source === 'nasgrow' ? `${r.seeds.length} (seed${r.seeds.length === 1 ? '' : 's'} ${r.seeds.join(', ')})` : '',
      statText(r.errorPct, 2),
      statText(r.paramsM, null),
      statText(r.mmac, null),
      r.wallSeconds === null ? '' : formatDuration(r.wallSeconds),
      r.hardware,
      budget,
      r.gpuDays,
    ];
    lines.push(`| ${cells.map(escapeCell).join(' | ')} |`);
  }
  const caption = [
    '',
    'nasgrow rows: mean ± sample standard deviation over the n seeds of one setting (one config but for its seed); wall time: the mean per run,',
    "growing and retraining (the uniform baseline's epochs not counted), or the baseline's and `nasgrow train`'s epochs;",
    'budget: training and growing epochs, cycles×(training+growing) + retraining. Paper rows: Tables 1 (CIFAR-10) and 2 (CIFAR-100) as published',
    '(the paper does not state its retraining epochs).',
  ];
  return lines.join('\n') + '\n' + caption.join('\n') + '\n';
}

/** The CSV columns, one per number (means and standard deviations apart, full precision). */
export const CSV_COLUMNS = [
  'dataset',
  'dataset_label',
  'seed_network',
  'lambda_p',
  'method',
  'source',
  'n',
  'seeds',
  'test_error_pct_mean',
  'test_error_pct_std',
  'params_m_mean',
  'params_m_std',
  'mmac_mean',
  'mmac_std',
  'wall_seconds_mean',
  'hardware',
  'budget_epochs',
  'budget',
  'gpu_days',
  'runs',
] as const;

/**
 * The rows as CSV (csv-stringify, through csvRows): a header of CSV_COLUMNS, then one line per row;
 * published numbers as printed, a standard deviation of one run empty; seeds and run folders
 * separated by ";".
 */
export function csvTable(rows: TableRow[]): string {
  const num = (s: Stat | string | null, part: 'mean' | 'std') => (s === null ? null : typeof s === 'string' ? (part === 'mean' ? s : null) : Number.isNaN(s[part]) ? null : s[part]);
  return csvRows([
    [...CSV_COLUMNS],
    ...rows.map((r) => [
      r.dataset,
      r.datasetLabel,
      r.seedNetwork,
      // as the paper writes it (1e-6, where formatNumber would write 0.000001); a number all the same
      lambdaText(r.lambdaP),
      r.method,
      r.source,
      r.source === 'nasgrow' ? r.seeds.length : null,
      r.seeds.join(';'),
      num(r.errorPct, 'mean'),
      num(r.errorPct, 'std'),
      num(r.paramsM, 'mean'),
      num(r.paramsM, 'std'),
      num(r.mmac, 'mean'),
      num(r.mmac, 'std'),
      r.wallSeconds,
      r.hardware,
      r.budgetEpochs,
      r.budget,
      r.gpuDays,
      r.runs.join(';'),
    ]),
  ]);
}
