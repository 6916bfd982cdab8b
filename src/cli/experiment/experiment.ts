// `nasgrow experiment gn-accuracy`: check the flags, the config, the device, the output folder and the
// data before any work, then run the measurement (src/grow/gn-accuracy.ts) and print its table.
import * as fs from 'fs';
import * as path from 'path';
import { loadConfig, resolveArch } from '../../config';
import { evalSetsFit, gnAccuracy, parseVariant } from '../../grow/gn-accuracy';
import { ProgressReporter } from '../../report';
import { checkDevice } from '../../runtime/session';
import { setupData } from '../../train/data-setup';
import { checkFolder } from '../../util/folders';
import { UsageError } from '../errors';

/** The command line of `nasgrow experiment` (see ./command-object.ts). */
export interface ExperimentArgs {
  name: string;
  config: string;
  out?: string;
  variants?: string;
  snapshots?: string;
  'eval-batches'?: number;
  'final-batches'?: number;
}

/** `flag`'s value as a whole number ≥ min; yargs reads `--eval-batches abc` as NaN. */
function wholeNumber(value: number | undefined, flag: string, min: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) throw new UsageError(`${flag} must be a whole number >= ${min}, got ${value}`);
  return value;
}

/** `nasgrow experiment gn-accuracy`: check the config and the flags, run the measurement, print its table. */
export async function runExperiment(args: ExperimentArgs): Promise<void> {
  const cfg = loadConfig(args.config);
  const evalBatches = wholeNumber(args['eval-batches'], '--eval-batches', 1, 8);
  const finalBatches = wholeNumber(args['final-batches'], '--final-batches', 0, cfg.grow.final_batches);
  const variants = args.variants ? args.variants.split(',').map(parseVariant) : [{ granularity: cfg.grow.granularity, thetaMaxNorm: cfg.grow.theta_max_norm }];
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
  checkDevice(cfg.runtime.device);
  checkFolder(out, '--out');

  const progress = new ProgressReporter();
  const log = (line: string) => progress.log(line);
  const data = await setupData(cfg, log);
  try {
    const arch = resolveArch(cfg, { inputShape: data.train.shape, classes: data.train.classes });
    if (!evalSetsFit(data.test.n, cfg.train.batch_size, evalBatches)) {
      throw new UsageError(
        `the test split (${data.test.n} images) holds fewer than 2 × --eval-batches ${evalBatches} batches of train.batch_size ${cfg.train.batch_size}: lower --eval-batches`,
      );
    }
    const summary = await gnAccuracy(cfg, data, arch, out, { variants, snapshots, evalBatches, finalBatches, log, progress });
    progress.log(fs.readFileSync(path.join(out, 'gn-accuracy.md'), 'utf8'));
    progress.log(`wrote gn-accuracy.csv, .json, .md and ${(summary.results as unknown[]).length} scatter PNGs to ${out}`);
  } finally {
    await data.close();
  }
}
