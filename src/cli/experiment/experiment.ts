// `nasgrow experiment gn-accuracy`: validate the config, run the measurement, print the summary.
import * as fs from 'fs';
import * as path from 'path';
import { UserError } from '../../util/errors';
import { configName, loadConfig } from '../../config';
import { ProgressReporter } from '../../report';

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

/** `nasgrow experiment gn-accuracy`: check the config and the flags, run the measurement, print its table. */
export async function runExperiment(args: ExperimentArgs): Promise<void> {
  const cfg = loadConfig(args.config);
  const out = path.resolve(args.out ?? path.join('runs', `${configName(args.config)}-gn-accuracy`));
  const progress = new ProgressReporter();
  const { gnAccuracy, parseVariant } = await import('./gn-accuracy');
  const variants = args.variants ? args.variants.split(',').map(parseVariant) : [{ granularity: cfg.grow.granularity, thetaMaxNorm: cfg.grow.theta_max_norm }];
  const snapshots = (args.snapshots ?? '')
    .split(',')
    .filter((x) => x.trim() !== '')
    .map((x) => {
      const n = Number(x);
      if (!Number.isInteger(n) || n < 0) throw new UserError(`--snapshots: '${x}' is not a step count (a whole number ≥ 0)`);
      return n;
    });
  const summary = await gnAccuracy(cfg, out, {
    variants,
    snapshots,
    evalBatches: args['eval-batches'] ?? 8,
    finalBatches: args['final-batches'] ?? 20,
    log: (line) => progress.log(line),
    progress,
  });
  progress.log(fs.readFileSync(path.join(out, 'gn-accuracy.md'), 'utf8'));
  progress.log(`wrote gn-accuracy.csv, .json, .md and ${(summary.results as unknown[]).length} scatter PNGs to ${out}`);
}
