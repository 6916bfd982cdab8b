// One entry point from a config's dataset section to a Dataset.
import * as fs from 'fs';
import * as path from 'path';
import { checkDataset } from './checks';
import { DataError } from './errors';
import { Dataset, Split, selectExamples } from './dataset';
import { CIFAR10_CLASSES } from './class-names';
import { Cifar100LabelKind, loadCifar100Binary, loadCifar10Binary } from './cifar-binary';
import { loadImageFolder } from './image-folder';
import { isArchivePath } from './image-tree';
import { LimitMode, limitIndices } from './limit';
import { loadMnist } from './mnist';

import type { DatasetKind } from './kinds';
export type { DatasetKind };

export interface DatasetSpec {
  kind: DatasetKind;
  /**
   * cifar10: the binary folder (cifar-10-batches-bin/ or its parent; a single batch file is refused,
   *          as both splits would read it), OR an image tree {train,test}/<class>/*.jpg as a folder
   *          or .tar.gz (e.g. cifar10-jpeg.tar.gz);
   * cifar100: cifar-100-binary/ (or its parent; train.bin or test.bin alone is refused);
   * mnist, fashion-mnist: the folder with the four IDX files (.gz or not);
   * image-folder: a folder or .tar / .tgz / .tar.gz with {train,test}/<class>/*.{jpg,jpeg,png}.
   */
  path: string;
  split: Split;
  /** Use only this many examples (see limit.ts; image folders then decode only those). */
  limit?: number;
  limitMode?: LimitMode;
  /** cifar100: fine (100 classes, default) or coarse (20 superclasses) labels. */
  cifar100Labels?: Cifar100LabelKind;
  /** image-folder: 3 (RGB, default) or 1 (greyscale). */
  channels?: 1 | 3;
  /** image-folder: class folder names in label order (default: sorted by name). */
  classOrder?: string[];
  /** image-folder: Dataset.name (default: the folder / archive name). */
  name?: string;
  /** Image trees: decode cache folder, or false for none (default <cwd>/.cache/nasgrow-data). */
  cacheDir?: string | false;
  /** Image trees: decodes in flight at once. */
  concurrency?: number;
  /** Progress messages (image decoding can take a minute) and warnings (lines starting 'warning:'). */
  log?: (message: string) => void;
}

/** A CIFAR-10 path that holds an image tree rather than the binary batches. */
/** Whether `p` holds a split as an image tree (`<split>/<class>/*`, or an archive of one) rather than a binary release. */
export function isImageTree(p: string, split: Split): boolean {
  if (isArchivePath(p)) return true;
  const splitDir = path.join(p, split);
  return fs.existsSync(splitDir) && fs.statSync(splitDir).isDirectory();
}

/**
 * `load()`, a loader of a kind with files of its own format; when it fails on a path that holds an
 * image tree (a folder with train/ and test/ of class folders, or an archive), the likely slip is
 * data.dataset, which the error then names.
 * @throws DataError naming the path, what it holds and the data.dataset values that read it; else the
 *   loader's own error.
 */
function orImageTreeHint(spec: DatasetSpec, reads: string, load: () => Dataset): Dataset {
  try {
    return load();
  } catch (e) {
    if (!(e instanceof DataError) || !isImageTree(spec.path, spec.split)) throw e;
  }
  const what = isArchivePath(spec.path) ? 'is an archive (image-folder and cifar10 read image trees from one)' : `holds ${spec.split}/ as an image tree (class folders of images)`;
  throw new DataError(spec.path, `${what}, but data.dataset ${spec.kind} reads ${reads}`, 'set data.dataset to image-folder, or cifar10 for CIFAR-10 as image files; or point data.path at the right files');
}

function applyLimit(ds: Dataset, spec: DatasetSpec): Dataset {
  if (spec.limit === undefined || spec.limit >= ds.n) return ds;
  const mode = spec.limitMode ?? 'stratified';
  return selectExamples(ds, limitIndices(ds.labels, ds.classes, spec.limit, mode), `${ds.source} (limit ${spec.limit}, ${mode})`);
}

/**
 * One split of a dataset, as the spec describes it (src/data/README.md has the formats). The result
 * has passed checkDataset (checks.ts); check the two splits against each other with checkSplitsMatch.
 * @throws DataError naming the file or folder when the data is missing, truncated, corrupt or not of
 *   the kind said (see each loader).
 */
export async function loadDataset(spec: DatasetSpec): Promise<Dataset> {
  const ds = await loadUnchecked(spec);
  checkDataset(ds);
  return ds;
}

async function loadUnchecked(spec: DatasetSpec): Promise<Dataset> {
  const imageFolderOptions = {
    path: spec.path,
    split: spec.split,
    channels: spec.channels,
    limit: spec.limit,
    limitMode: spec.limitMode,
    cacheDir: spec.cacheDir,
    concurrency: spec.concurrency,
    log: spec.log,
  };
  switch (spec.kind) {
    case 'cifar10': {
      if (!isImageTree(spec.path, spec.split)) return applyLimit(loadCifar10Binary(spec.path, spec.split), spec);
      // Labels must be the official ones whatever order the folders list in.
      const ds = await loadImageFolder({ ...imageFolderOptions, name: 'cifar10', classOrder: CIFAR10_CLASSES });
      return { ...ds, source: `${ds.source} [CIFAR-10 from image files: pixels as decoded from them, not the original binary release]` };
    }
    case 'cifar100':
      return applyLimit(orImageTreeHint(spec, 'the binary release (cifar-100-binary/)', () => loadCifar100Binary(spec.path, spec.split, spec.cifar100Labels)), spec);
    case 'mnist':
    case 'fashion-mnist': {
      const kind = spec.kind;
      return applyLimit(orImageTreeHint(spec, 'the four IDX files', () => loadMnist(spec.path, spec.split, kind)), spec);
    }
    case 'image-folder':
      return loadImageFolder({ ...imageFolderOptions, name: spec.name, classOrder: spec.classOrder });
    default:
      throw new Error(`unknown dataset kind '${(spec as { kind: string }).kind}' (expected cifar10, cifar100, mnist, fashion-mnist or image-folder)`);
  }
}
