// From a config's data section to the training and test batch loaders.
import * as path from 'path';
import type { TrainConfig } from '../config';
import { BatchLoader, channelStats, checkNormalizationChannels, checkSplitsMatch, DataError, Dataset, isGreyAsRgb, loadDataset, Normalization } from '../data';
import { writeJsonFile } from '../util/atomic-write';
import { UserError } from '../util/errors';

export interface DataSetup {
  train: Dataset;
  test: Dataset;
  normalization: Normalization;
  trainLoader: BatchLoader;
  testLoader: BatchLoader;
  /** close both loaders (the training loader's worker thread); safe to call twice */
  close(): Promise<void>;
}

/**
 * Load a config's training and test sets and make their loaders: training batches of `batchSize`,
 * shuffled, augmented as data.augment says, the last partial batch dropped, prepared in a worker;
 * test batches of 256 in order. Normalisation: data.normalize, or the training set's per-channel
 * statistics ('auto'). An image folder is decoded to data.channels (null: 3); one of greyscale images
 * read as RGB gets a warning through `log` saying to set data.channels: 1.
 * @throws DataError (a UserError) for unreadable data, a data.limit_train or limit_test above the
 *         images the split holds, training and test sets that differ in image
 *         shape, channels or classes, a constant channel under 'auto' normalisation, or a
 *         normalisation of another channel count; UserError when the training set holds fewer
 *         images than one batch.
 */
export async function setupData(cfg: TrainConfig, log: (line: string) => void, batchSize = cfg.train.batch_size): Promise<DataSetup> {
  const common = {
    kind: cfg.data.dataset,
    path: cfg.data.path,
    cacheDir: cfg.data.cache_dir ?? (false as const),
    classOrder: cfg.data.classes ?? undefined,
    channels: cfg.data.channels ?? undefined,
    log,
  };
  const train = await loadDataset({ ...common, split: 'train', limit: cfg.data.limit_train ?? undefined });
  const test = await loadDataset({ ...common, split: 'test', limit: cfg.data.limit_test ?? undefined });
  // a limit above what the data hold would be recorded in config.yaml (and in `nasgrow table`'s
  // dataset label) as a size the run never had
  for (const [key, limit, ds, what] of [['limit_train', cfg.data.limit_train, train, 'training'], ['limit_test', cfg.data.limit_test, test, 'test']] as const) {
    if (limit !== null && limit > ds.n) {
      throw new DataError(cfg.data.path, `data.${key} ${limit} is more than the ${ds.n} ${what} images it holds`, `set data.${key} to at most ${ds.n}, or remove it to use them all`);
    }
  }
  log(`data: ${train.n} training and ${test.n} test images of ${train.shape.join('x')}, ${train.classes} classes (${train.source})`);
  // RGB is the default because a folder may mix grey and colour images; one of only grey images is
  // worth a hint, as reading it as RGB triples the input for nothing
  if (cfg.data.dataset === 'image-folder' && cfg.data.channels === null && isGreyAsRgb(train)) {
    log(`warning: every training image in ${cfg.data.path} is greyscale, read as RGB (3 equal channels): set data.channels: 1 to read them as one channel`);
  }
  if (train.n < batchSize) {
    throw new UserError(`data.path ${cfg.data.path}: only ${train.n} training images, fewer than one batch of train.batch_size ${batchSize}`);
  }
  // the test set is read with the training set's shape: they must agree (src/data/checks.ts)
  checkSplitsMatch(train, test);
  const normalization: Normalization = cfg.data.normalize === 'auto' ? channelStats(train) : { mean: cfg.data.normalize[0], std: cfg.data.normalize[1] };
  checkNormalizationChannels(normalization, train);
  const trainLoader = new BatchLoader(train, {
    batchSize,
    shuffle: true,
    dropLast: true,
    augment: { cropPadding: cfg.data.augment.crop ? 4 : 0, flip: cfg.data.augment.flip },
    normalization,
    seed: cfg.seed,
    // ORT's run() occupies the main thread, so only a worker overlaps batch preparation with a step
    prefetch: 'worker',
  });
  const testLoader = new BatchLoader(test, { batchSize: 256, shuffle: false, dropLast: false, normalization, seed: cfg.seed });
  return {
    train,
    test,
    normalization,
    trainLoader,
    testLoader,
    close: async () => {
      await trainLoader.close();
      await testLoader.close();
    },
  };
}

/** `<dir>/classes.json`: the class names in label order (label i is classNames[i]). */
export function writeClassNames(dir: string, classNames: readonly string[]): void {
  writeJsonFile(path.join(dir, 'classes.json'), classNames);
}

/** `<dir>/normalization.json`: the per-channel mean and std the inputs were normalised with. */
export function writeNormalization(dir: string, n: Normalization): void {
  writeJsonFile(path.join(dir, 'normalization.json'), n);
}
