// A config small enough for end-to-end tests of whole runs (a few seconds each on one thread): the
// VGG-19 family at 4 channels per conv on 640 training and 100 test images of the bundled sample.
import * as fs from 'fs';
import * as path from 'path';
import { ROOT } from './root';

/** The tiny config's grow section; a test replaces keys with `grow` (null writes null: the key's default). */
const GROW = { cycles: 2, phase_epochs: 1, theta_steps: 8, final_batches: 2, lambda_p: '1.0e-8', retrain_epochs: 2 };

export interface TinyConfigOptions {
  seed?: number;
  /** the model section as inline YAML (default `{ family: vgg19, width: 4 }`) */
  model?: string;
  /** grow keys that replace or join GROW, values as YAML */
  grow?: Record<string, string | number | boolean | null>;
  /** more grow keys as inline YAML, e.g. `method: random, reference: /runs/gn` */
  growExtra?: string;
}

/** Write the tiny config to `file` (see TinyConfigOptions); returns `file`. */
export function writeTinyConfig(file: string, opts: TinyConfigOptions = {}): string {
  const grow = Object.entries({ ...GROW, ...opts.grow }).map(([k, v]) => `${k}: ${v === null ? 'null' : v}`);
  if (opts.growExtra) grow.push(opts.growExtra);
  fs.writeFileSync(
    file,
    [
      `seed: ${opts.seed ?? 7}`,
      `model: ${opts.model ?? '{ family: vgg19, width: 4 }'}`,
      'data:',
      '  dataset: fashion-mnist',
      `  path: ${path.join(ROOT, 'data', 'sample', 'fashion-mnist')}`,
      '  limit_train: 640',
      '  limit_test: 100',
      'train: { batch_size: 32, lr: 0.05, schedule: cosine }',
      `grow: { ${grow.join(', ')} }`,
      'runtime: { threads: 1 }',
    ].join('\n') + '\n',
  );
  return file;
}
