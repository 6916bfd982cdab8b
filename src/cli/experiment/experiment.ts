// `nasgrow experiment gn-accuracy`: validate the config, run the measurement, print the summary.
import * as path from 'path';
import { configName, loadConfig } from '../../config';
import { ProgressReporter } from '../../report';
import type { ExperimentArgs } from './command-object';

export async function runExperiment(args: ExperimentArgs): Promise<void> {
  const cfg = loadConfig(args.config);
  const out = path.resolve(args.out ?? path.join('runs', `${configName(args.config)}-gn-accuracy`));
  const progress = new ProgressReporter();
  const { gnAccuracy } = await import('../../grow/experiment-gn-accuracy');
  const summary = await gnAccuracy(cfg, out, {
    granularity: args.granularity ?? cfg.grow.granularity,
    evalBatches: args['eval-batches'] ?? 8,
    finalBatches: args['final-batches'] ?? 20,
    log: (line) => progress.log(line),
    progress,
  });
  progress.log(`pooled: ${JSON.stringify(summary.pooled)}`);
  progress.log(`wrote ${path.join(out, 'gn-accuracy.csv')} and gn-accuracy.json`);
}
