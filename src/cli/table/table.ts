// `nasgrow table RUN|DIR...`: nasgrow's results beside the paper's Tables 1 and 2.
//
// Every argument is a run folder or a folder searched for run folders (src/report findRunFolders).
// Each finished folder gives one result per method it holds (src/report RunResult): `nasgrow run`
// the grown network ("gauss-newton") and, with grow.uniform_baseline, the uniform network
// ("uniform"); `nasgrow train` the network it trained ("train") — or, when its model.arch is a finished
// run's arch.json or uniform-baseline/arch.json, that run's method or "uniform" trained again (with
// model.uniform_match: macs, "uniform (matched MACs)", a control matched by compute), shown under the
// run's seed network and λ_p and paired only with such results. Results of one setting — the same
// config, data and seed network but for `seed` and where and how fast it ran — make one row, mean ±
// sample std over the seeds (src/report/results-table.ts renders it, beside the published rows).
// Unfinished runs among finished ones are left out with a warning; with none finished it is an error.
import * as fs from 'fs';
import * as path from 'path';
import { checkArch, configKeys, configValue, diffConfigs, loadArchFile, loadConfig, retrainEpochs, TrainConfig } from '../../config';
import type { ArchState } from '../../models/arch';
import { macCount, paramCount, type UniformMatchBy } from '../../models/params';
import {
  MACS_MATCHED,
  PaperRows,
  RunFolderError,
  RunResult,
  csvTable,
  datasetName,
  findRunFolders,
  groupRow,
  markdownTable,
  pairedMarkdown,
  pairedRows,
  partnerlessGaussNewton,
  unpairedResults,
  phaseDir,
  readJsonl,
  isRunFolder,
  readManifest,
  readRunProgress,
  readRunReport,
  runFolder,
  seedNetworkName,
  tableRows,
} from '../../report';
import { isImageTree } from '../../data';
import { writeFileAtomic } from '../../util/atomic-write';
import { describeHardware } from '../../util/hardware';
import { UsageError } from '../errors';
import { plural } from '../../util/plural';

/** The command line of `nasgrow table` (./command-object.ts). */
export interface TableArgs {
  paths: string[];
  format?: 'markdown' | 'csv';
  out?: string;
  paper: PaperRows;
}

/** Where the table and the warnings go (by default the terminal: stdout, and stderr for warnings). */
export interface TableOutput {
  stdout: (text: string) => void;
  warn: (line: string) => void;
}

const TERMINAL: TableOutput = {
  stdout: (text) => process.stdout.write(text),
  warn: (line) => process.stderr.write(`warning: ${line}\n`),
};

/**
 * `nasgrow table`: read the run folders, group them, print or write the table.
 * @throws UsageError naming a path that is not a run folder and holds none; RunFolderError when no run
 *   is finished (naming the unfinished ones and how to finish them); the readers' errors naming a
 *   damaged file.
 */
export async function runTable(args: TableArgs, output: TableOutput = TERMINAL): Promise<void> {
  const folders = runFolders(args.paths);
  const finished: FinishedRun[] = [];
  const unfinished: Unfinished[] = [];
  for (const dir of folders) {
    const r = readRun(dir, output.warn);
    if ('why' in r) unfinished.push(r);
    else finished.push(r);
  }
  // a run folder's own config.yaml resolves to its data and to the folder itself
  const howToFinish = (u: Unfinished) => {
    const resume = `\`nasgrow ${u.command} ${path.join(u.dir, 'config.yaml')} --resume ${u.dir}\``;
    if (fs.existsSync(path.join(u.dir, '.lock'))) return `${u.dir} (${u.why}; a process is writing it now, or was killed: wait for it to finish, or resume it with ${resume})`;
    // a run that stopped on an error (a diverged loss, a full disk) would stop again on a plain resume
    const error = lastLoggedError(u.dir);
    if (error) return `${u.dir} (${u.why}; it stopped with an error, the last line of its train.log: "${error}"; remove the cause, then resume it with ${resume})`;
    return `${u.dir} (${u.why}; finish it with ${resume})`;
  };
  if (finished.length === 0) {
    throw new RunFolderError(
      [`no finished run to tabulate: ${unfinished.length === 1 ? 'the run folder is' : 'every run folder is'} unfinished`, ...unfinished.map((u) => `  ${howToFinish(u)}`)].join('\n'),
    );
  }
  for (const u of unfinished) output.warn(`left out the unfinished run ${howToFinish(u)}`);

  const groups = groupRuns(finished, output.warn);
  const rows = tableRows(groups.map(groupRow), args.paper);
  const format = args.format ?? (args.out === undefined || /\.(md|markdown)$/i.test(args.out) ? 'markdown' : 'csv');
  const seedNetwork = (r: RunResult) => seedNetworkName(r.family, r.width);
  const paired = pairedMarkdown(pairedRows(groups, seedNetwork), unpairedResults(groups, seedNetwork), partnerlessGaussNewton(groups, seedNetwork));
  const text = format === 'csv' ? csvTable(rows) : markdownTable(rows) + paired;
  if (args.out === undefined) output.stdout(text);
  else {
    writeFileAtomic(path.resolve(args.out), text);
    output.stdout(`wrote ${plural(rows.length, 'row')} (${groups.length} from ${plural(finished.length, 'run folder')}) to ${args.out}\n`);
  }
}

/** The error a run stopped with: its train.log's last line when that is one (README "The run folder"), shortened; else null. */
function lastLoggedError(dir: string): string | null {
  let text: string;
  try {
    text = fs.readFileSync(runFolder(dir).log, 'utf8');
  } catch {
    return null;
  }
  const lines = text.trimEnd().split('\n');
  const m = /^\S+ error: (.*)$/.exec(lines[lines.length - 1] ?? '');
  if (!m) return null;
  return m[1]!.length > 200 ? `${m[1]!.slice(0, 200)}…` : m[1]!;
}

/**
 * Every run folder the arguments name or hold, each once.
 * @throws UsageError naming an argument that does not exist, is a file, or is a folder with no run folder in it.
 */
export function runFolders(paths: string[]): string[] {
  const what = 'name a run folder of `nasgrow run` or `nasgrow train` (its --out), or a folder that holds some';
  const all = new Set<string>();
  for (const p of paths) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(p);
    } catch {
      throw new UsageError(`${p} does not exist: ${what}`);
    }
    if (!stat.isDirectory()) throw new UsageError(`${p} is a file, not a run folder: ${what}`);
    const found = findRunFolders(p);
    if (found.length === 0) throw new UsageError(`${p} is not a run folder (it has no config.yaml with a run.json beside it) and holds none: ${what}`);
    for (const f of found) all.add(f);
  }
  return [...all].sort();
}

/** A finished run folder: its config, data fingerprints and seed network (what a setting is), and results. */
interface FinishedRun {
  dir: string;
  command: 'train' | 'run';
  cfg: TrainConfig;
  data: { train: string; test: string } | null;
  seedArch: ArchState;
  /** `nasgrow train` of a run's architecture (archSource): that run's folder and config */
  source?: { dir: string; cfg: TrainConfig };
  results: RunResult[];
}

/** A run folder whose run has not finished, and why not. */
interface Unfinished {
  dir: string;
  command: 'train' | 'run';
  why: string;
}

/**
 * The results of run folder `dir`, or why it is unfinished.
 * @throws the readers' user errors naming a damaged run.json, config.yaml, progress.json, report.json,
 *   metrics.jsonl or architecture.
 */
function readRun(dir: string, warn: (line: string) => void): FinishedRun | Unfinished {
  const run = runFolder(dir);
  const manifest = readManifest(dir);
  // paths in a run folder's config are relative to the folder; its data need not be here any more
  const cfg = loadConfig(run.config, { checkPaths: false, cwd: dir });
  const metrics = readJsonl(run.metricsJsonl);
  const { seedArch, width } = seedNetworkOf(dir, manifest);
  const hardware =
    'hardware' in manifest && manifest.hardware
      ? describeHardware(manifest.hardware)
      : `not recorded (${cfg.runtime.device}, ${plural(cfg.runtime.threads, 'thread')})`;
  const limits = [cfg.data.limit_train && `${cfg.data.limit_train.toLocaleString('en-US')} train`, cfg.data.limit_test && `${cfg.data.limit_test.toLocaleString('en-US')} test`].filter(Boolean);
  const common = {
    dir,
    seed: cfg.seed,
    dataset: cfg.data.dataset,
    // CIFAR-10 read from image files (the JPEG copy) is not the binary release: its pixels differ
    datasetLabel: datasetName(cfg.data.dataset) + (cfg.data.dataset === 'cifar10' && isImageTree(cfg.data.path, 'train') ? ' from image files' : '') + (limits.length ? ` (${limits.join(', ')} images)` : ''),
    family: seedArch.family,
    width,
    hardware,
    gpu: cfg.runtime.device === 'cuda',
  };
  const seconds = (kind: string) => metrics.filter((r) => r.kind === kind && typeof r.seconds === 'number').reduce((s, r) => s + (r.seconds as number), 0);
  const base = { dir, command: manifest.command, cfg, data: manifest.data, seedArch };
  const finished = (results: RunResult[]): FinishedRun => ({ ...base, results });

  if (manifest.command === 'train') {
    const E = cfg.train.epochs;
    const last = metrics.find((r) => r.kind === 'train' && r.epoch === E && typeof r.test_acc === 'number');
    if (!last) {
      const done = Math.max(0, ...metrics.map((r) => (typeof r.epoch === 'number' ? r.epoch : 0)));
      return { dir, command: 'train', why: `${done} of ${E} epochs trained` };
    }
    const result: RunResult = {
      ...common,
      lambdaP: null,
      method: 'train',
      testError: 1 - (last.test_acc as number),
      params: paramCount(seedArch),
      mmacPerImage: macCount(seedArch) / 1e6,
      wallSeconds: seconds('train'),
      budgetEpochs: E,
      budget: `${E} training`,
    };
    // an architecture a `nasgrow run` found, or its uniform control, trained again (a longer
    // retraining): shown and paired as that run's method, under the run's seed network and λ_p
    const archFile = cfg.model.arch === null ? null : path.resolve(dir, cfg.model.arch);
    const source = archSource(archFile, cfg.model.uniform_match);
    if (typeof source === 'string') warn(`${dir} trains ${archFile}, ${source}: it is shown as a plain \`nasgrow train\`, not paired with the run's other architecture`);
    else if (source) {
      const s = source.run;
      if (s.cfg.seed !== cfg.seed) warn(`${dir} trains the architecture of ${s.dir} (seed ${s.cfg.seed}) with seed ${cfg.seed}: it is paired by its own seed, ${cfg.seed}, with the other trainings of seed ${cfg.seed}`);
      const what = source.method === 'uniform' ? 'its uniform control' : source.method === MACS_MATCHED ? 'its uniform control matched by MACs' : 'the architecture it found';
      const own = { ...result, family: s.family, width: s.width, lambdaP: s.lambdaP, method: source.method, retrainedEpochs: E, budget: `${E} training (${what}, from a run)` };
      return { ...base, seedArch: s.seedArch, source: { dir: s.dir, cfg: s.cfg }, results: [own] };
    }
    return finished([result]);
  }

  const g = cfg.grow;
  const progress = readRunProgress(path.join(dir, 'progress.json'));
  const report = readRunReport(path.join(dir, 'report.json'));
  if (!progress.retrainDone || !report) {
    return { dir, command: 'run', why: progress.completedPhases < g.cycles ? `${progress.completedPhases} of ${g.cycles} growing cycles done` : 'its retraining has not finished' };
  }
  const P = g.phase_epochs;
  const R = retrainEpochs(g);
  const thetaCap = g.theta_steps === null ? '' : `, growing phases ≤ ${g.theta_steps} θ steps`;
  const baselineSeconds = seconds('baseline');
  const growing = (report.method ?? 'gauss-newton') === 'gauss-newton';
  // the growing network at the end of its last training phase: where methods that retrain the same
  // architecture (random, steepest and their Gauss-Newton reference) differ
  const lastPhase = metrics.filter((r) => r.kind === 'train' && r.phase === g.cycles && typeof r.test_acc === 'number').pop();
  const results: RunResult[] = [
    {
      ...common,
      grownError: lastPhase ? 1 - (lastPhase.test_acc as number) : null,
      lambdaP: g.lambda_p,
      // reports from before grow.method are Gauss-Newton runs
      method: report.method ?? 'gauss-newton',
      testError: report.test_error,
      params: report.params,
      mmacPerImage: report.mmac_per_image,
      // the uniform baseline is trained in the same process, but it is not the method's cost
      wallSeconds: report.wall_seconds - baselineSeconds,
      // only Gauss-Newton has growing phases (θ learning); random, steepest and slimming train through the
      // cycles (steepest's splitting-matrix passes, 28 × grow.final_batches batches a phase, are not counted)
      budgetEpochs: growing ? g.cycles * 2 * P + R : g.cycles * P + R,
      budget: growing ? `${g.cycles}×(${P}+${P}) + ${R}${thetaCap}` : `${g.cycles}×${P} + ${R}`,
    },
  ];
  const u = report.uniform_baseline;
  if (u) {
    results.push({
      ...common,
      lambdaP: g.lambda_p,
      // a baseline's run trains its own copy of the control: named, so that its row is not taken for
      // the Gauss-Newton run's
      method: growing ? 'uniform' : `uniform (control of ${report.method})`,
      testError: u.test_error,
      params: u.params,
      mmacPerImage: u.mmac_per_image,
      wallSeconds: baselineSeconds,
      budgetEpochs: R,
      budget: `${R} training`,
    });
  }
  return finished(results);
}

/**
 * The seed network of run folder `dir`: run.json's, or in a folder of an earlier version the first
 * phase's arch.json (`run`) or the trained arch.json (`train`); and its width when every layer has the
 * same (null: per-layer widths).
 * @throws the architecture readers' errors naming run.json or the arch.json.
 */
function seedNetworkOf(dir: string, manifest: ReturnType<typeof readManifest>): { seedArch: ArchState; width: number | null } {
  const run = runFolder(dir);
  const seedArch =
    'arch' in manifest
      ? checkArch(manifest.arch, run.manifest)
      : loadArchFile(manifest.command === 'run' ? path.join(phaseDir(dir, 1), 'arch.json') : run.arch);
  const widths = new Set(seedArch.layers.map((l) => l.width));
  return { seedArch, width: widths.size === 1 ? seedArch.layers[0]!.width : null };
}

/**
 * When `archFile` is a finished `nasgrow run`'s arch.json (the architecture its method found) or its
 * uniform-baseline/arch.json (the uniform control's), that run and which of the two; null when it is
 * not a run's file; a reason (for a warning) when it names one that cannot be used: missing (the folders
 * moved apart), unfinished or unreadable. The train run is then shown as a plain `nasgrow train`.
 * With `match` (the train run's model.uniform_match) the network trained is a uniform control of that
 * file's architecture: matched by parameters it is the run's own control ("uniform", the network of
 * uniform-baseline/arch.json); matched by MACs a control of its own (MACS_MATCHED). A uniform
 * architecture is its own match either way.
 */
function archSource(archFile: string | null, match: UniformMatchBy | null): { run: { dir: string; cfg: TrainConfig; seedArch: ArchState; family: string; width: number | null; lambdaP: number }; method: string } | string | null {
  if (archFile === null || path.basename(archFile) !== 'arch.json') return null;
  const parent = path.dirname(archFile);
  const uniform = path.basename(parent) === 'uniform-baseline';
  const dir = uniform ? path.dirname(parent) : parent;
  // an arch.json beside a run's files that is not there (any more): the run folder moved
  if (!fs.existsSync(archFile)) return fs.existsSync(dir) ? null : `which is not there (moved, with the run folder ${dir}?)`;
  try {
    if (!isRunFolder(dir)) return null;
    const manifest = readManifest(dir);
    if (manifest.command !== 'run') return null;
    const report = readRunReport(path.join(dir, 'report.json'));
    if (!report) return `but the run ${dir} has not finished`;
    const cfg = loadConfig(runFolder(dir).config, { checkPaths: false, cwd: dir });
    const { seedArch, width } = seedNetworkOf(dir, manifest);
    const run = { dir, cfg, seedArch, family: seedArch.family, width, lambdaP: cfg.grow.lambda_p };
    const method = uniform || match === 'params' ? 'uniform' : match === 'macs' ? MACS_MATCHED : (report.method ?? 'gauss-newton');
    return { run, method };
  } catch (e) {
    return `but the run folder ${dir} could not be read (${(e as Error).message.split('\n')[0]})`;
  }
}

/**
 * Config keys that do not make another setting: the seed (what the rows average over), a baseline's
 * reference run (each seed names the Gauss-Newton run of its own seed), where a run's
 * files and data are (the data's fingerprints are compared instead), how fast it ran, and how often it
 * evaluated, checkpointed, or whether it also trained a baseline.
 */
const NOT_THE_SETTING = ['grow.reference', 'seed', 'output.dir', 'runtime.device', 'runtime.threads', 'data.path', 'data.cache_dir', 'model.arch', 'train.eval_every', 'train.checkpoint_every', 'grow.uniform_baseline'];

/** Config keys in which a method's setting may differ from the Gauss-Newton runs it is paired with:
 *  the method and its own settings (a baseline's), and what a control is matched by. */
const METHOD_KEYS = ['grow.method', 'grow.steepest_scale', 'grow.slimming_width', 'grow.target_params', 'model.uniform_match'];

/**
 * What a run's results must share with Gauss-Newton's to be paired with them (RunResult.pairing): its
 * setting (settingDiff's keys) but for the method (METHOD_KEYS) and the command — a baseline's run
 * pairs with the Gauss-Newton run of the same settings, a `nasgrow train` of a run's architecture with
 * the other trainings of that run's architectures (through the run's config, its source). Two
 * Gauss-Newton settings that differ only in, say, grow.theta_steps each pair with their own controls.
 */
function pairingKey(run: FinishedRun): string {
  const flat = (cfg: TrainConfig, command: FinishedRun['command']) => configKeys().filter((k) => !notTheSetting(command, k) && !METHOD_KEYS.includes(k)).map((k) => [k, configValue(cfg, k)]);
  return JSON.stringify([run.data, run.seedArch, flat(run.cfg, run.command), run.source ? flat(run.source.cfg, 'run') : null]);
}

/** Whether config key `k` of a `command` run is outside its setting: NOT_THE_SETTING, and what the
 *  command does not read — `train` ignores grow.*, and `run` counts its epochs in grow.* instead of
 *  train.epochs. */
function notTheSetting(command: FinishedRun['command'], k: string): boolean {
  return NOT_THE_SETTING.includes(k) || (command === 'train' ? k.startsWith('grow.') : k === 'train.epochs');
}

/** The config keys in which two runs' settings differ (none: the same setting). */
function settingDiff(a: FinishedRun, b: FinishedRun): string[] {
  if (a.command !== b.command) return ['the command (run or train)'];
  const keys: string[] = [];
  // a run's architectures trained again: the runs they came from are part of the setting
  if ((a.source === undefined) !== (b.source === undefined)) keys.push("model.arch (one trains a run's architecture, the other does not)");
  if (a.source && b.source) keys.push(...diffConfigs(a.source.cfg, b.source.cfg).map((d) => d.key).filter((k) => !NOT_THE_SETTING.includes(k)).map((k) => `${k} of the run whose architecture is trained`));
  if (JSON.stringify(a.data) !== JSON.stringify(b.data)) keys.push('the data (fingerprints in run.json)');
  if (JSON.stringify(a.seedArch) !== JSON.stringify(b.seedArch)) keys.push('the seed network (run.json)');
  keys.push(...diffConfigs(a.cfg, b.cfg).map((d) => d.key).filter((k) => !notTheSetting(a.command, k)));
  return keys;
}

/**
 * The results grouped by method and setting (each group the runs of one setting, one per seed). Warns
 * about two runs of one setting with the same seed (the same run twice, which narrows the spread) and
 * about two settings that would show as the same row (naming the keys that tell them apart).
 */
function groupRuns(runs: FinishedRun[], warn: (line: string) => void): RunResult[][] {
  const settings: FinishedRun[][] = [];
  for (const run of runs) {
    const same = settings.find((s) => settingDiff(s[0]!, run).length === 0);
    if (same) same.push(run);
    else settings.push([run]);
  }
  for (const s of settings) {
    // per method: a run's found architecture and its uniform control, each trained again, are one setting
    const bySeed = new Map<string, { seed: number; dirs: string[] }>();
    for (const r of s) {
      for (const m of new Set(r.results.map((x) => x.method))) {
        const key = `${m} ${r.cfg.seed}`;
        const at = bySeed.get(key) ?? { seed: r.cfg.seed, dirs: [] };
        at.dirs.push(r.dir);
        bySeed.set(key, at);
      }
    }
    for (const { seed, dirs } of bySeed.values()) if (dirs.length > 1) warn(`${dirs.join(' and ')} are runs of one setting with the same seed ${seed}: each counts as a seed of its row`);
  }
  for (const s of settings) {
    const pairing = pairingKey(s[0]!);
    for (const r of s) for (const x of r.results) x.pairing = pairing;
  }
  // a baseline's run was made to be compared with its reference (grow.reference, a Gauss-Newton run of
  // the same seed): it pairs as that run does when the run is tabulated, whatever keys only one of the
  // two methods reads (θ's, the final pass's batches)
  const byDir = new Map(runs.map((r) => [path.resolve(r.dir), r]));
  for (const r of runs) {
    const reference = r.command === 'run' ? r.cfg.grow.reference : null;
    const target = reference ? byDir.get(path.resolve(r.dir, reference)) : undefined;
    if (target) for (const x of r.results) x.pairing = target.results[0]?.pairing;
  }
  const groups: { setting: FinishedRun[]; results: RunResult[] }[] = [];
  for (const s of settings) {
    const methods = [...new Set(s.flatMap((r) => r.results.map((x) => x.method)))];
    for (const m of methods) groups.push({ setting: s, results: s.flatMap((r) => r.results.filter((x) => x.method === m)) });
  }
  // how a row shows its setting: rows of different settings that show alike are told apart by the warning
  const shown = (r: RunResult) => JSON.stringify([r.datasetLabel, seedNetworkName(r.family, r.width), r.lambdaP, r.budget, r.method]);
  for (let i = 0; i < groups.length; i++) {
    for (let j = i + 1; j < groups.length; j++) {
      const [a, b] = [groups[i]!, groups[j]!];
      if (a.setting !== b.setting && shown(a.results[0]!) === shown(b.results[0]!)) {
        warn(`${a.results[0]!.dir} and ${b.results[0]!.dir} are in different rows that look alike (dataset, seed network, λ_p, budget, method): their settings differ in ${settingDiff(a.setting[0]!, b.setting[0]!).join(', ')}`);
      }
    }
  }
  return groups.map((g) => g.results);
}
