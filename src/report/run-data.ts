// Reading a run folder back for figures and the report page: its manifest, config, metrics, the
// per-phase architectures and estimates, and the result. Only what `nasgrow train` / `nasgrow run`
// wrote is read (README "The run folder"); nothing is written here.
//
// The report layer sits below models, so architectures are read as the plain JSON they are on disk
// (layer names and widths are all a figure needs); whoever needs parameter or MAC counts computes them
// from `json` with src/models.
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'csv-parse/sync';
import { parse as parseYaml } from 'yaml';
import { RunFileError } from './json-file';
import { MetricRecord, readJsonl } from './metrics';
import { isRunFolder, readManifest, RunFolderError, runFolder } from './run-folder';
import { readRunReport, RunReport } from './run-report';

/** One row of a phase's estimates.csv (src/grow/decisions.ts writes it): one channel of one layer. */
export interface EstimateRow {
  layer: string;
  channel: number;
  /** estimated ΔL of splitting / pruning this channel (loss units, nats per example) */
  split_dl: number | null;
  prune_dl: number | null;
  /** the better of the two by tradeoff margin; null when none was decided */
  chosen: 'split' | 'prune' | null;
  /** parameters the chosen morphism adds (negative: removes) */
  delta_params: number | null;
  /** −ΔL − λ_p·ΔR_p − λ_f·ΔR_f of the chosen morphism: > 0 means a positive loss-resource tradeoff */
  margin: number | null;
  applied: boolean;
  /** applied | tradeoff-not-positive | over-top-fraction | min-width | estimate-not-finite */
  reason: string | null;
}

/** An architecture as written in arch.json: its layer names and widths, and the JSON itself. */
export interface ArchInfo {
  layers: Array<{ name: string; width: number }>;
  json: unknown;
}

export interface PhaseData {
  /** 1-based, as the log and the folder names count */
  phase: number;
  /** relative to the run folder, with forward slashes: phases/phase-01 */
  rel: string;
  /** the architecture the phase trained and estimated on (before its morphisms) */
  arch: ArchInfo;
  /** null when the phase has no estimates.csv yet (a run stopped inside its growing phase) */
  estimates: EstimateRow[] | null;
  /** the files in the phase folder, sorted */
  files: string[];
}

export interface RunData {
  /** absolute path */
  dir: string;
  command: 'train' | 'run';
  nasgrow: string | null;
  /** config.yaml as written, and parsed (null when missing) */
  configYaml: string | null;
  config: Record<string, unknown> | null;
  metrics: MetricRecord[];
  phases: PhaseData[];
  /** arch.json at the top: the trained architecture (`train`) or the found one (`run`) */
  arch: ArchInfo | null;
  /** report.json of a finished `nasgrow run` */
  report: RunReport | null;
}

const REMEDY = 'it is written by nasgrow; restore it from a copy of the run folder or run the command again';

/**
 * Whether `dir` is a run folder, checked before anything is read or written.
 * @throws RunFolderError naming `flag` (e.g. "RUN") and the path when it does not exist, is not a
 *   folder, or is not a run folder (run-folder.ts isRunFolder).
 */
export function checkRunFolderToRead(dir: string, flag: string): void {
  const abs = path.resolve(dir);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(abs);
  } catch {
    throw new RunFolderError(`${flag} ${dir}: no such folder: name the folder \`nasgrow run\` or \`nasgrow train\` wrote (its --out)`);
  }
  if (!stat.isDirectory()) throw new RunFolderError(`${flag} ${dir} is a file, not a run folder: name the folder \`nasgrow run\` or \`nasgrow train\` wrote (its --out)`);
  if (!isRunFolder(abs)) {
    throw new RunFolderError(`${flag} ${dir} is not a run folder (it has no config.yaml beside a run.json, metrics.jsonl or progress.json): name the folder \`nasgrow run\` or \`nasgrow train\` wrote (its --out)`);
  }
}

function readArch(file: string): ArchInfo | null {
  if (!fs.existsSync(file)) return null;
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new RunFileError(file, `is not JSON (${(e as Error).message})`, `${file}: the architecture is not JSON (${(e as Error).message}); ${REMEDY}`);
  }
  const layers = (json as { layers?: unknown })?.layers;
  const ok = Array.isArray(layers) && layers.every((l) => typeof l?.name === 'string' && Number.isInteger(l?.width) && l.width >= 1);
  if (!ok) throw new RunFileError(file, 'is not an architecture', `${file}: not an architecture (a "layers" list of {name, width}); ${REMEDY}`);
  return { layers: (layers as Array<{ name: string; width: number }>).map((l) => ({ name: l.name, width: l.width })), json };
}

const num = (s: string | undefined): number | null => (s === undefined || s === '' ? null : Number(s));

/**
 * The rows of estimates.csv `file`, checked against the phase's architecture: every layer present,
 * one row per channel 0..width-1.
 * @throws RunFileError naming the file and what is wrong.
 */
export function readEstimates(file: string, arch: ArchInfo): EstimateRow[] {
  let records: Array<Record<string, string>>;
  try {
    records = parse(fs.readFileSync(file, 'utf8'), { columns: true, skip_empty_lines: true }) as Array<Record<string, string>>;
  } catch (e) {
    throw new RunFileError(file, `cannot be read as CSV (${(e as Error).message})`, `${file}: cannot be read as CSV (${(e as Error).message}); ${REMEDY}`);
  }
  const rows = records.map((r): EstimateRow => ({
    layer: r.layer ?? '',
    channel: Number(r.channel),
    split_dl: num(r.split_dl),
    prune_dl: num(r.prune_dl),
    chosen: r.chosen === 'split' || r.chosen === 'prune' ? r.chosen : null,
    delta_params: num(r.delta_params),
    margin: num(r.margin),
    applied: r.applied === '1',
    reason: r.reason ? r.reason : null,
  }));
  for (const l of arch.layers) {
    const mine = rows.filter((r) => r.layer === l.name).map((r) => r.channel);
    const expected = Array.from({ length: l.width }, (_, c) => c);
    if (mine.length !== l.width || mine.some((c, i) => c !== expected[i])) {
      throw new RunFileError(file, `layer ${l.name} has ${mine.length} rows`, `${file}: layer ${l.name} has ${mine.length} rows where the phase's arch.json has ${l.width} channels; ${REMEDY}`);
    }
  }
  return rows;
}

/**
 * Everything figures and the report page need from run folder `dir`.
 * @throws RunFolderError when `dir` is not a run folder (checkRunFolderToRead, naming `flag`); RunFileError
 *   naming the file when one of the files read is damaged.
 */
export function readRunData(dir: string, flag = 'RUN'): RunData {
  checkRunFolderToRead(dir, flag);
  const f = runFolder(dir);
  const manifest = readManifest(f.dir);
  const configYaml = fs.existsSync(f.config) ? fs.readFileSync(f.config, 'utf8') : null;
  let config: Record<string, unknown> | null = null;
  try {
    const v = configYaml === null ? null : (parseYaml(configYaml) as unknown);
    config = typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : null;
  } catch {
    config = null; // shown as text on the page all the same
  }
  const phasesDir = path.join(f.dir, 'phases');
  const phases: PhaseData[] = [];
  if (fs.existsSync(phasesDir)) {
    const names = fs.readdirSync(phasesDir).filter((n) => /^phase-\d+$/.test(n));
    names.sort((a, b) => Number(a.slice(6)) - Number(b.slice(6)));
    for (const name of names) {
      const pdir = path.join(phasesDir, name);
      const arch = readArch(path.join(pdir, 'arch.json'));
      if (!arch) continue; // a phase folder a killed run left before its arch.json
      const est = path.join(pdir, 'estimates.csv');
      phases.push({
        phase: Number(name.slice(6)),
        rel: `phases/${name}`,
        arch,
        estimates: fs.existsSync(est) ? readEstimates(est, arch) : null,
        files: fs.readdirSync(pdir).filter((n) => !n.startsWith('.')).sort(),
      });
    }
  }
  // one reader of report.json (run-report.ts), which checks its shape
  const report = readRunReport(path.join(f.dir, 'report.json'));
  return {
    dir: f.dir,
    command: manifest.command,
    nasgrow: manifest.nasgrow,
    configYaml,
    config,
    metrics: readJsonl(f.metricsJsonl),
    phases,
    arch: readArch(f.arch),
    report,
  };
}

/** The phases with estimates (those a Figure 2 can be drawn for), in order. */
export function estimatedPhases(run: RunData): PhaseData[] {
  return run.phases.filter((p) => p.estimates !== null);
}
