// MNIST and Fashion-MNIST from their four IDX files (gzipped as downloaded, or already un-gzipped):
//   train-images-idx3-ubyte[.gz]  train-labels-idx1-ubyte[.gz]
//   t10k-images-idx3-ubyte[.gz]   t10k-labels-idx1-ubyte[.gz]
// Images are 28x28 grey, one channel, stored row by row, which is already NCHW with C = 1.
import * as path from 'path';
import { Dataset, Split } from './dataset';
import { checkDataset } from './checks';
import { DataError } from './errors';
import { IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, parseIdx } from './idx';
import { checkLabelRange } from './labels-check';
import { FASHION_MNIST_CLASSES, MNIST_CLASSES } from './class-names';
import { compactView, findFirstExisting, readMaybeGzipped } from './read-bytes';

export type MnistVariant = 'mnist' | 'fashion-mnist';

/** Candidate names of one IDX file, preferred first (the dotted form is how some mirrors rename them). */
function idxCandidates(dir: string, split: Split, kind: 'images' | 'labels'): string[] {
  const prefix = split === 'train' ? 'train' : 't10k';
  const dims = kind === 'images' ? 'idx3' : 'idx1';
  const names = [`${prefix}-${kind}-${dims}-ubyte`, `${prefix}-${kind}.${dims}-ubyte`];
  return names.flatMap((n) => [path.join(dir, `${n}.gz`), path.join(dir, n)]);
}

/**
 * Loads one split from a folder holding the IDX files.
 * @throws DataError naming the file: missing, unreadable, corrupt gzip, wrong magic number, dims that
 *   disagree with the data length, no images or images of 0 pixels, label and image counts that differ
 *   (naming both files), a label outside 0..9.
 */
export function loadMnist(dir: string, split: Split, variant: MnistVariant = 'mnist'): Dataset {
  const hint = variant === 'fashion-mnist'
    ? 'on Debian: apt-get install dataset-fashion-mnist puts them in /usr/share/datasets/fashion-mnist/'
    : 'expected the four IDX files of the original download in this folder';
  const imagesFile = findFirstExisting(idxCandidates(dir, split, 'images'), `${split} images file`, hint);
  const labelsFile = findFirstExisting(idxCandidates(dir, split, 'labels'), `${split} labels file`, hint);
  const images = parseIdx(readMaybeGzipped(imagesFile), IDX_IMAGES_MAGIC, imagesFile);
  const labels = parseIdx(readMaybeGzipped(labelsFile), IDX_LABELS_MAGIC, labelsFile);
  if (images.dims.length !== 3) throw new DataError(imagesFile, `expected 3 dimensions (n, rows, cols), found ${images.dims.length}`);
  if (labels.dims.length !== 1) throw new DataError(labelsFile, `expected 1 dimension (n), found ${labels.dims.length}`);
  const [n, h, w] = images.dims;
  // A zero dimension passes parseIdx (0 elements, 0 bytes) but is no dataset.
  if (n === 0) throw new DataError(imagesFile, 'holds no images (its first dimension is 0)', 'the file is truncated or corrupt; re-download it');
  if (h === 0 || w === 0) throw new DataError(imagesFile, `holds images of ${h}x${w} pixels`, 'the file is corrupt; re-download it');
  if (labels.dims[0] !== n) {
    // Either file may be the wrong one, so both are named by path.
    throw new DataError(labelsFile, `holds ${labels.dims[0]} labels but ${imagesFile} holds ${n} images`, 'files from different downloads or splits?');
  }
  const classNames = variant === 'fashion-mnist' ? FASHION_MNIST_CLASSES : MNIST_CLASSES;
  checkLabelRange(labels.data, classNames.length, labelsFile);
  const ds: Dataset = {
    name: variant,
    images: compactView(images.data),
    labels: compactView(labels.data),
    n,
    shape: [1, h, w],
    classes: classNames.length,
    classNames: [...classNames],
    source: `${imagesFile} + ${path.basename(labelsFile)}`,
  };
  checkDataset(ds);
  return ds;
}
