// A config small enough for end-to-end tests of whole runs (a few seconds each on one thread): the
// VGG-19 family at 4 channels per conv on 640 training and 100 test images of the bundled sample.
import * as fs from 'fs';
import * as path from 'path';
import { ROOT } from './root';

/** Write the tiny config to `file`, with `grow` as the grow section's extra keys; returns `file`. */
export function writeTinyConfig(file: string, opts: { seed?: number; grow?: string; retrainEpochs?: number; threads?: number } = {}): string {
  fs.writeFileSync(
    file,
    [
      `seed: ${opts.seed ?? 7}`,
      'model: { family: vgg19, width: 4 }',
      'data:',
      '  dataset: fashion-mnist',
      `  path: ${path.join(ROOT, 'data', 'sample', 'fashion-mnist')}`,
      '  limit_train: 640',
      '  limit_test: 100',
      'train: { batch_size: 32, lr: 0.05, schedule: cosine }',
      `grow: { cycles: 2, phase_epochs: 1, theta_steps: 8, final_batches: 2, lambda_p: 1.0e-8, retrain_epochs: ${opts.retrainEpochs ?? 2}${opts.grow ? `, ${opts.grow}` : ''} }`,
      `runtime: { threads: ${opts.threads ?? 1} }`,
    ].join('\n') + '\n',
  );
  return file;
}
