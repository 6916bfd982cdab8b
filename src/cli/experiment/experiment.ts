// `nasgrow experiment gn-accuracy|morphism-quality`: check the flags, the config, the device, the output
// folder and the data before any work, then run the measurement (src/grow/gn-accuracy.ts,
// src/grow/morphism-quality.ts) and print its table.
import * as fs from 'fs';
import * as path from 'path';
import { datasetShape, loadConfig, resolveArch, TrainConfig } from '../../config';
import type { ArchState } from '../../models/arch';
import { morphismQuality } from '../../grow/morphism-quality';
import { evalSetsFit, gnAccuracy, parseVariant, thetaStepsOf, variantName } from '../../grow/gn-accuracy';
import { FALLBACK_FINAL_BATCHES, heldOutBatchCount, MAX_HELD_OUT_FRACTION } from '../../grow/grow-data';
import { enclosingRunFolder, ProgressReporter } from '../../report';
import { checkDevice } from '../../runtime/session';
import { DataSetup, setupData } from '../../train/data-setup';
import { checkFolder } from '../../util/folders';
import { UsageError, wholeNumber } from '../errors';

/** The command line of `nasgrow experiment` (see ./command-object.ts). */
export interface ExperimentArgs {
  name: string;
  config: string;
  out?: string;
  layer?: string;
  variants?: string;
  snapshots?: string;
  'eval-batches'?: number;
  'final-batches'?: number;
  /** override runtime.threads (as train and run take it) */
  threads?: number;
}

/** Refuses a --layer that is not one of `arch`'s dense layers, listing them. */
function checkLayer(arch: ArchState, layer: string): void {
  if (!arch.layers.some((l) => l.name === layer)) throw new UsageError(`--layer ${layer}: no such dense layer in this network; the layers are ${arch.layers.map((l) => l.name).join(', ')}`);
}

/** `--out` checked: a folder that may be created and lies outside every run folder. */
function checkOut(out: string): void {
  checkFolder(out, '--out');
  const run = enclosingRunFolder(out);
  if (run) throw new UsageError(`--out ${out} is ${run.runDir === out ? 'a' : 'inside the'} run folder ${run.runDir} (it holds ${run.mark}): the experiment's files do not belong among a run's; choose a folder outside it`);
}

/** What an experiment runs with: the data (closed after it), the seed architecture for them, and the progress display. */
interface ExperimentSession {
  data: DataSetup;
  arch: ArchState;
  progress: ProgressReporter;
  log: (line: string) => void;
}

/**
 * The start both experiments share: check the device and `out`, read the data, resolve the seed
 * architecture for them, run `work`, and close the data whatever happens.
 * @throws UserError for the device or `out` (before the data are read), DataError, and what `work` throws.
 */
async function withExperimentData(cfg: TrainConfig, out: string, work: (s: ExperimentSession) => Promise<void>): Promise<void> {
  checkDevice(cfg.runtime.device);
  checkOut(out);
  const progress = new ProgressReporter();
  const log = (line: string) => progress.log(line);
  const data = await setupData(cfg, log);
  try {
    const arch = resolveArch(cfg, { inputShape: data.train.shape, classes: data.train.classes });
    await work({ data, arch, progress, log });
  } finally {
    await data.close();
  }
}

/** `nasgrow experiment morphism-quality`: check the flags, the layer (before the data when the seed's shape is known), run, print the summary. */
async function runMorphismQuality(args: ExperimentArgs, cfg: TrainConfig): Promise<void> {
  const layer = args.layer;
  if (layer === undefined) throw new UsageError('morphism-quality needs --layer NAME: the dense layer whose channels are split (e.g. conv5)');
  const unused = (['variants', 'snapshots'] as const).filter((k) => args[k] !== undefined && args[k] !== '');
  if (unused.length > 0) throw new UsageError(`${unused.map((k) => `--${k}`).join(', ')}: gn-accuracy only; morphism-quality learns θ as grow.* says`);
  const evalBatches = wholeNumber(args['eval-batches'], '--eval-batches', 1, 8);
  const finalBatches = wholeNumber(args['final-batches'], '--final-batches', 0, cfg.grow.final_batches);
  if (cfg.model.arch !== null || datasetShape(cfg.data.dataset)) checkLayer(resolveArch(cfg), layer);
  const out = path.resolve(args.out ?? `${cfg.output.dir}-morphism-quality`);
  await withExperimentData(cfg, out, async ({ data, arch, progress, log }) => {
    checkLayer(arch, layer);
    if (Math.floor(data.test.n / cfg.train.batch_size) < evalBatches) {
      throw new UsageError(`the test split (${data.test.n} images) holds fewer than --eval-batches ${evalBatches} batches of train.batch_size ${cfg.train.batch_size}: lower --eval-batches`);
    }
    await morphismQuality(cfg, data, arch, out, { layer, evalBatches, finalBatches, log, progress });
    progress.log(fs.readFileSync(path.join(out, 'morphism-quality.md'), 'utf8'));
    progress.log(`wrote morphism-quality.csv, .json, .md, .svg and .png to ${out}`);
  });
}

/** `nasgrow experiment NAME`: check the config and the flags, run the measurement, print its table. */
export async function runExperiment(args: ExperimentArgs): Promise<void> {
  const cfg = loadConfig(args.config, { overrides: args.threads === undefined ? [] : [{ key: 'runtime.threads', value: args.threads, origin: '--threads' }] });
  if (args.name === 'morphism-quality') return runMorphismQuality(args, cfg);
  if (args.layer !== undefined) throw new UsageError('--layer: morphism-quality only');
  const evalBatches = wholeNumber(args['eval-batches'], '--eval-batches', 1, 8);
  const finalBatches = wholeNumber(args['final-batches'], '--final-batches', 0, cfg.grow.final_batches);
  const variants = args.variants ? args.variants.split(',').map(parseVariant) : [{ granularity: cfg.grow.granularity, thetaMaxNorm: cfg.grow.theta_max_norm }];
  // a variant twice would be measured twice under one name: duplicate CSV rows, one PNG overwriting the other
  const names = variants.map(variantName);
  const twice = names.filter((n, i) => names.indexOf(n) !== i);
  if (twice.length > 0) throw new UsageError(`--variants ${args.variants}: ${[...new Set(twice)].join(', ')} is given more than once: list each variant once`);
  const snapshots = (args.snapshots ?? '')
    .split(',')
    .filter((x) => x.trim() !== '')
    .map((x) => {
      const n = Number(x);
      if (!Number.isInteger(n) || n < 0) throw new UsageError(`--snapshots: '${x}' is not a step count (a whole number ≥ 0)`);
      return n;
    });
  // default: beside the config's run folder (output.dir, runs/<config name>)
  const out = path.resolve(args.out ?? `${cfg.output.dir}-gn-accuracy`);
  await withExperimentData(cfg, out, async ({ data, arch, progress, log }) => {
    const batch = cfg.train.batch_size;
    const heldOut = heldOutBatchCount(data.train.n, batch, finalBatches);
    if (heldOut < finalBatches) {
      const asked = args['final-batches'] === undefined ? `grow.final_batches ${finalBatches}` : `--final-batches ${finalBatches}`;
      const pass = heldOut > 0 ? `the final pass uses ${heldOut}` : `nothing is held out, and the final pass reads ${FALLBACK_FINAL_BATCHES} training batches`;
      log(`note: ${asked}: at most ${heldOut} batches of ${batch} (${100 * MAX_HELD_OUT_FRACTION}% of the ${data.train.n} training images) can be held out; ${pass}`);
    }
    const steps = thetaStepsOf(cfg, data.train.n, finalBatches);
    const beyond = snapshots.filter((s) => s > steps);
    if (beyond.length > 0) {
      const cap = cfg.grow.theta_steps !== null && cfg.grow.theta_steps <= steps ? `grow.theta_steps ${cfg.grow.theta_steps}` : `grow.phase_epochs ${cfg.grow.phase_epochs} over the training batches not held out`;
      throw new UsageError(`--snapshots ${beyond.join(',')}: θ learning takes ${steps} Adam steps here (${cap}): choose step counts up to ${steps} (the last step is always a snapshot)`);
    }
    if (!evalSetsFit(data.test.n, cfg.train.batch_size, evalBatches)) {
      throw new UsageError(
        `the test split (${data.test.n} images) holds fewer than 2 × --eval-batches ${evalBatches} batches of train.batch_size ${cfg.train.batch_size}: lower --eval-batches`,
      );
    }
    const summary = await gnAccuracy(cfg, data, arch, out, { variants, snapshots, evalBatches, finalBatches, log, progress });
    progress.log(fs.readFileSync(path.join(out, 'gn-accuracy.md'), 'utf8'));
    progress.log(`wrote gn-accuracy.csv, .json, .md and ${(summary.results as unknown[]).length} scatter PNGs to ${out}`);
  });
}
