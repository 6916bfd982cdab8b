// CIFAR-10 and CIFAR-100 in their "binary version" downloads. Each file is a run of fixed-size records:
//   CIFAR-10:  1 label byte,                          3072 pixel bytes
//   CIFAR-100: 1 coarse label byte, 1 fine label byte, 3072 pixel bytes
// The pixels are three 32x32 planes R, G, B, each row by row: one record is already one CHW example.
import * as fs from 'fs';
import * as path from 'path';
import { Dataset, Split } from './dataset';
import { checkDataset } from './checks';
import { DataError } from './errors';
import { checkLabelRange } from './labels-check';
import { CIFAR100_COARSE_CLASSES, CIFAR100_FINE_CLASSES, CIFAR10_CLASSES } from './class-names';
import { readFileBytes } from './read-bytes';

const PIXELS = 3 * 32 * 32;

interface RecordLayout {
  /** Label bytes in front of the pixels. */
  labelBytes: number;
  /** Which of those bytes is the label used. */
  labelIndex: number;
  classes: number;
}

/** Folder layouts tried when the caller gives a parent folder instead of the data folder itself. */
const CIFAR10_SUBDIR = 'cifar-10-batches-bin';
const CIFAR100_SUBDIR = 'cifar-100-binary';

function cifar10Files(split: Split): string[] {
  return split === 'train' ? [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`) : ['test_batch.bin'];
}

/**
 * The files of a split: `p` is the data folder (`subdir`, holding `all`) or the folder holding it.
 * A single file is refused: the other split would be read from that same file, so the network would
 * be tested on its own training data, and the numbers would look fine.
 * @throws DataError naming `p`: not found, or not a folder.
 */
function resolveFiles(p: string, names: string[], all: string[], subdir: string): { dir: string; files: string[] } {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(p);
  } catch {
    throw new DataError(p, 'not found', `expected the ${subdir} folder (${all.join(', ')}) or the folder holding it`);
  }
  const expected = `the folder holding all the ${subdir} files (${all.join(', ')})`;
  if (stat.isFile()) {
    throw new DataError(
      p,
      `is a single file; data.path must be ${expected}: given one file, training and testing would both read it, testing the network on its training data`,
      `point data.path at ${path.dirname(p)} or the folder holding it`,
    );
  }
  if (!stat.isDirectory()) throw new DataError(p, `is neither a folder nor a file (a device, FIFO or socket); data.path must be ${expected}`);
  let dir = p;
  if (!fs.existsSync(path.join(dir, names[0])) && fs.existsSync(path.join(dir, subdir, names[0]))) dir = path.join(dir, subdir);
  return { dir, files: names.map((n) => path.join(dir, n)) };
}

/** Class names from the dataset's own meta file when present, else the built-in list. */
function classNamesFrom(dir: string, metaName: string, fallback: string[]): string[] {
  const metaFile = path.join(dir, metaName);
  if (!fs.existsSync(metaFile)) return [...fallback];
  const names = readFileBytes(metaFile).toString('utf8').split(/\r?\n/).map((s) => s.trim()).filter((s) => s.length > 0);
  if (names.length !== fallback.length) {
    throw new DataError(metaFile, `lists ${names.length} class names, expected ${fallback.length}`, 'wrong or corrupt meta file');
  }
  return names;
}

/** Parses the records of every file into one dataset. */
function readRecords(files: string[], layout: RecordLayout, hint: string): { images: Uint8Array; labels: Uint8Array } {
  const recordSize = layout.labelBytes + PIXELS;
  const buffers = files.map((f) => {
    const buf = readFileBytes(f, hint);
    if (buf.length === 0 || buf.length % recordSize !== 0) {
      const otherSize = (layout.labelBytes === 1 ? 2 : 1) + PIXELS;
      const looksOther = buf.length > 0 && buf.length % otherSize === 0;
      throw new DataError(
        f,
        `wrong size: ${buf.length} bytes is not a whole number of ${recordSize}-byte records (${layout.labelBytes} label byte${layout.labelBytes > 1 ? 's' : ''} + ${PIXELS} pixels)`,
        looksOther ? `it looks like ${layout.labelBytes === 1 ? 'CIFAR-100' : 'CIFAR-10'} data; check the dataset kind` : 'the file is truncated or not CIFAR binary data; re-download it',
      );
    }
    return { file: f, buf };
  });
  const n = buffers.reduce((s, b) => s + b.buf.length / recordSize, 0);
  const images = new Uint8Array(n * PIXELS);
  const labels = new Uint8Array(n);
  let k = 0;
  for (const { file, buf } of buffers) {
    const count = buf.length / recordSize;
    const fileLabels = new Uint8Array(count);
    for (let r = 0; r < count; r++) {
      const off = r * recordSize;
      fileLabels[r] = buf[off + layout.labelIndex];
      images.set(buf.subarray(off + layout.labelBytes, off + recordSize), (k + r) * PIXELS);
    }
    checkLabelRange(fileLabels, layout.classes, file, layout.labelBytes === 1 ? 'label' : layout.labelIndex === 0 ? 'coarse label' : 'fine label');
    if (layout.labelBytes === 2) {
      // The label not used is still checked: a bad byte there means the file is not what it claims.
      const other = new Uint8Array(count);
      const otherIndex = 1 - layout.labelIndex;
      const otherClasses = otherIndex === 0 ? CIFAR100_COARSE_CLASSES.length : CIFAR100_FINE_CLASSES.length;
      for (let r = 0; r < count; r++) other[r] = buf[r * recordSize + otherIndex];
      checkLabelRange(other, otherClasses, file, otherIndex === 0 ? 'coarse label' : 'fine label');
    }
    labels.set(fileLabels, k);
    k += count;
  }
  return { images, labels };
}

/**
 * CIFAR-10 binary: `p` is `cifar-10-batches-bin/` or its parent.
 * @throws DataError naming the file: `p` a single file (see resolveFiles), missing or unreadable,
 *   not whole records (or CIFAR-100 records), a label outside 0..9, a batches.meta.txt without 10 names.
 */
export function loadCifar10Binary(p: string, split: Split): Dataset {
  const { dir, files } = resolveFiles(p, cifar10Files(split), [...cifar10Files('train'), ...cifar10Files('test')], CIFAR10_SUBDIR);
  const hint = 'expected the CIFAR-10 binary version: data_batch_1..5.bin and test_batch.bin';
  const { images, labels } = readRecords(files, { labelBytes: 1, labelIndex: 0, classes: 10 }, hint);
  return checked({
    name: 'cifar10',
    images,
    labels,
    n: labels.length,
    shape: [3, 32, 32],
    classes: 10,
    classNames: classNamesFrom(dir, 'batches.meta.txt', CIFAR10_CLASSES),
    source: files.length === 1 ? files[0] : `${dir} (${files.map((f) => path.basename(f)).join(', ')})`,
  });
}

export type Cifar100LabelKind = 'fine' | 'coarse';

/**
 * CIFAR-100 binary: `p` is `cifar-100-binary/` or its parent.
 * @throws DataError naming the file: `p` a single file such as train.bin (see resolveFiles), missing
 *   or unreadable, not whole records (or CIFAR-10 records), a coarse label outside 0..19 or a fine
 *   label outside 0..99, a label names file of the wrong length.
 */
export function loadCifar100Binary(p: string, split: Split, labelKind: Cifar100LabelKind = 'fine'): Dataset {
  const { dir, files } = resolveFiles(p, [`${split}.bin`], ['train.bin', 'test.bin'], CIFAR100_SUBDIR);
  const hint = 'expected the CIFAR-100 binary version: train.bin and test.bin';
  const fine = labelKind === 'fine';
  const fallback = fine ? CIFAR100_FINE_CLASSES : CIFAR100_COARSE_CLASSES;
  const { images, labels } = readRecords(files, { labelBytes: 2, labelIndex: fine ? 1 : 0, classes: fallback.length }, hint);
  return checked({
    name: fine ? 'cifar100' : 'cifar100-coarse',
    images,
    labels,
    n: labels.length,
    shape: [3, 32, 32],
    classes: fallback.length,
    classNames: classNamesFrom(dir, fine ? 'fine_label_names.txt' : 'coarse_label_names.txt', fallback),
    source: `${files[0]} (${labelKind} labels)`,
  });
}

/** `ds` after the final guard of checks.ts. */
function checked(ds: Dataset): Dataset {
  checkDataset(ds);
  return ds;
}
