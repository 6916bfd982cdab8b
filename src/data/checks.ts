// Last checks on loaded datasets, on their own and as a training / test pair. Each loader checks its
// format in its own terms (IDX dims against the data length in idx.ts, whole CIFAR records in
// cifar-binary.ts, one image size in image-decode.ts); checkDataset is the guard every loader runs on
// its result, so no Dataset leaves the layer with bytes that disagree with its shape. checkSplitsMatch
// catches what no single split can: a test set padded to 32x32 next to a 28x28 training set loads
// fine split by split, and training would then read it with the training shape (a Fashion-MNIST run
// scored 11%, chance level).
import { Dataset } from './dataset';
import { DataError } from './errors';
import { checkLabelRange } from './labels-check';
import { plural } from '../util/plural';

const shapeText = (shape: readonly number[]) => shape.join('x');

/**
 * Checks that `ds` is what its fields say: at least one example, a shape of positive integers, n*C*H*W
 * image bytes, n labels all below `classes`, one class name per class.
 * @throws DataError naming `ds.source` and what disagrees.
 */
export function checkDataset(ds: Dataset): void {
  const where = ds.source;
  const hint = 'the data files are corrupt or of another kind; re-download or re-create them';
  if (!ds.shape.every((d) => Number.isInteger(d) && d > 0) || ds.shape.length !== 3) {
    throw new DataError(where, `image shape ${shapeText(ds.shape)} is not C x H x W with every size at least 1`, hint);
  }
  if (!Number.isInteger(ds.n) || ds.n <= 0) throw new DataError(where, 'holds no examples', 'point at a dataset with images in this split');
  const need = ds.n * ds.shape[0] * ds.shape[1] * ds.shape[2];
  if (ds.images.length !== need) {
    throw new DataError(where, `holds ${ds.images.length} image bytes, but ${ds.n} examples of ${shapeText(ds.shape)} need ${need}`, hint);
  }
  if (ds.labels.length !== ds.n) throw new DataError(where, `holds ${ds.labels.length} labels for ${ds.n} examples`, hint);
  if (!Number.isInteger(ds.classes) || ds.classes <= 0 || ds.classNames.length !== ds.classes) {
    throw new DataError(where, `lists ${ds.classNames.length} class names for ${ds.classes} classes`, hint);
  }
  checkLabelRange(ds.labels, ds.classes, where);
}

/**
 * Checks that a training and a test set can be used together: the same image shape [C, H, W] (so
 * the same channel count) and the same classes, by count and by name. Call it right after loading
 * both splits.
 * @throws DataError naming both sources (`Dataset.source`) and, for a shape mismatch, both shapes.
 */
export function checkSplitsMatch(train: Dataset, test: Dataset): void {
  const both = `training set ${train.source}; test set ${test.source}`;
  if (shapeText(train.shape) !== shapeText(test.shape)) {
    const channels = (c: number) => plural(c, 'channel');
    const differ = train.shape[0] !== test.shape[0] ? `: ${channels(test.shape[0])} against ${channels(train.shape[0])}` : '';
    throw new DataError(
      test.source,
      `test images are ${shapeText(test.shape)}, but training images are ${shapeText(train.shape)} (C x H x W${differ}); ${both}`,
      'both splits must come from one dataset with one image size and channel count: resize or re-export one of them',
    );
  }
  if (train.classes !== test.classes) {
    throw new DataError(test.source, `test set has ${test.classes} classes, but the training set has ${train.classes} classes; ${both}`, 'both splits must come from one dataset');
  }
  const differ = train.classNames.findIndex((name, i) => name !== test.classNames[i]);
  if (differ >= 0) {
    throw new DataError(
      test.source,
      `class names differ from label ${differ} on: test set has '${test.classNames[differ]}', training set '${train.classNames[differ]}'; ${both}`,
      'both splits must number the same classes the same way',
    );
  }
}
