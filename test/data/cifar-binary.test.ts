// CIFAR-10 / CIFAR-100 binary loading on generated files in the exact download format (CIFAR-100 is
// not obtainable on these machines), including the folder layouts and broken files.
import test from 'ava';
import * as fs from 'fs';
import * as path from 'path';
import { loadCifar100Binary, loadCifar10Binary } from '../../src/data/cifar-binary';
import { CIFAR100_COARSE_CLASSES, CIFAR100_FINE_CLASSES, CIFAR10_CLASSES } from '../../src/data/class-names';
import { DataError } from '../../src/data/errors';
import { cifarRecords, pattern, tempDir } from './fixtures';

/** cifar-10-batches-bin/ with 5 train batches of `per` records and a test batch of 2. */
function writeCifar10(root: string, per = 3): { dir: string; trainPixels: Uint8Array; trainLabels: number[] } {
  const dir = path.join(root, 'cifar-10-batches-bin');
  fs.mkdirSync(dir, { recursive: true });
  const trainPixels = pattern(5 * per, 3072, 1);
  const trainLabels = Array.from({ length: 5 * per }, (_, i) => (i * 7) % 10);
  for (let b = 0; b < 5; b++) {
    const labels = trainLabels.slice(b * per, (b + 1) * per).map((l) => [l]);
    fs.writeFileSync(path.join(dir, `data_batch_${b + 1}.bin`), cifarRecords(labels, trainPixels.subarray(b * per * 3072)));
  }
  fs.writeFileSync(path.join(dir, 'test_batch.bin'), cifarRecords([[9], [0]], pattern(2, 3072, 2)));
  return { dir, trainPixels, trainLabels };
}

test('CIFAR-10 binary: records split into labels and CHW pixels, batches in order', (t) => {
  const root = tempDir(t);
  const { dir, trainPixels, trainLabels } = writeCifar10(root);
  for (const p of [dir, root]) {
    const ds = loadCifar10Binary(p, 'train');
    t.is(ds.n, 15);
    t.deepEqual(ds.shape, [3, 32, 32]);
    t.deepEqual(Array.from(ds.labels), trainLabels);
    t.deepEqual(Buffer.compare(Buffer.from(ds.images), Buffer.from(trainPixels)), 0);
    t.deepEqual(ds.classNames, CIFAR10_CLASSES);
    t.is(ds.name, 'cifar10');
  }
  const testSplit = loadCifar10Binary(dir, 'test');
  t.deepEqual(Array.from(testSplit.labels), [9, 0]);
  // One example's red plane starts right after its label byte: pixel (c=0,y=0,x=0) is record byte 1.
  const raw = fs.readFileSync(path.join(dir, 'test_batch.bin'));
  t.is(testSplit.images[3072 + 0], raw[3073 + 1]);
  t.is(testSplit.images[3072 + 2 * 1024 + 5], raw[3073 + 1 + 2 * 1024 + 5]); // blue plane
});

test('CIFAR-10 binary: data.path naming one batch file is refused for both splits, naming the file and the folder to use', (t) => {
  const { dir } = writeCifar10(tempDir(t));
  // Loaded as it was once, a batch file would be both the training and the test set.
  for (const name of ['data_batch_1.bin', 'data_batch_2.bin', 'test_batch.bin']) {
    const file = path.join(dir, name);
    for (const split of ['train', 'test'] as const) {
      const e = t.throws(() => loadCifar10Binary(file, split), { instanceOf: DataError });
      t.true(e!.message.startsWith(`${file}: is a single file; data.path must be the folder holding all the cifar-10-batches-bin files`), e!.message);
      t.regex(e!.message, /testing the network on its training data/);
      t.true(e!.message.includes(`point data.path at ${dir} or the folder holding it`), e!.message);
    }
  }
});

test('CIFAR-10 binary: class names come from batches.meta.txt when present', (t) => {
  const { dir } = writeCifar10(tempDir(t));
  const names = CIFAR10_CLASSES.map((c) => c.toUpperCase());
  fs.writeFileSync(path.join(dir, 'batches.meta.txt'), `${names.join('\n')}\n\n`);
  t.deepEqual(loadCifar10Binary(dir, 'test').classNames, names);
  fs.writeFileSync(path.join(dir, 'batches.meta.txt'), 'a\nb\n');
  const e = t.throws(() => loadCifar10Binary(dir, 'test'), { instanceOf: DataError });
  t.true(e!.message.startsWith(path.join(dir, 'batches.meta.txt')));
});

test('CIFAR-10 binary errors name the file: missing, truncated, bad label, CIFAR-100 data', (t) => {
  const { dir } = writeCifar10(tempDir(t));
  const file = path.join(dir, 'data_batch_3.bin');
  const good = fs.readFileSync(file);

  fs.rmSync(file);
  let e = t.throws(() => loadCifar10Binary(dir, 'train'), { instanceOf: DataError });
  t.true(e!.message.startsWith(file), e!.message);
  t.regex(e!.message, /file not found/);

  fs.writeFileSync(file, good.subarray(0, good.length - 100));
  e = t.throws(() => loadCifar10Binary(dir, 'train'), { instanceOf: DataError });
  t.true(e!.message.startsWith(file));
  t.regex(e!.message, /wrong size: 9119 bytes is not a whole number of 3073-byte records/);
  t.regex(e!.message, /truncated/);

  const bad = Buffer.from(good);
  bad[3073] = 10; // second record's label
  fs.writeFileSync(file, bad);
  e = t.throws(() => loadCifar10Binary(dir, 'train'), { instanceOf: DataError });
  t.true(e!.message.startsWith(file));
  t.regex(e!.message, /bad label value 10 at example 1, expected 0\.\.9/);

  fs.writeFileSync(file, cifarRecords([[1, 2], [3, 4], [5, 6]], pattern(3, 3072)));
  e = t.throws(() => loadCifar10Binary(dir, 'train'), { instanceOf: DataError });
  t.regex(e!.message, /looks like CIFAR-100 data/);

  const missingDir = path.join(dir, 'nope');
  e = t.throws(() => loadCifar10Binary(missingDir, 'train'), { instanceOf: DataError });
  t.true(e!.message.startsWith(missingDir));
});

function writeCifar100(root: string): { dir: string; coarse: number[]; fine: number[]; pixels: Uint8Array } {
  const dir = path.join(root, 'cifar-100-binary');
  fs.mkdirSync(dir, { recursive: true });
  const coarse = [19, 0, 7, 3];
  const fine = [99, 0, 42, 58];
  const pixels = pattern(4, 3072, 3);
  fs.writeFileSync(path.join(dir, 'train.bin'), cifarRecords(coarse.map((c, i) => [c, fine[i]]), pixels));
  fs.writeFileSync(path.join(dir, 'test.bin'), cifarRecords([[4, 5]], pattern(1, 3072, 4)));
  return { dir, coarse, fine, pixels };
}

test('CIFAR-100 binary: fine labels by default, coarse on request', (t) => {
  const root = tempDir(t);
  const { dir, coarse, fine, pixels } = writeCifar100(root);
  const ds = loadCifar100Binary(root, 'train');
  t.is(ds.n, 4);
  t.is(ds.classes, 100);
  t.deepEqual(Array.from(ds.labels), fine);
  t.is(ds.classNames[99], 'worm');
  t.is(ds.classNames.length, 100);
  t.is(Buffer.compare(Buffer.from(ds.images), Buffer.from(pixels)), 0);
  const c = loadCifar100Binary(dir, 'train', 'coarse');
  t.is(c.classes, 20);
  t.deepEqual(Array.from(c.labels), coarse);
  t.deepEqual(c.classNames, CIFAR100_COARSE_CLASSES);
  t.is(c.name, 'cifar100-coarse');
  t.deepEqual(Array.from(loadCifar100Binary(dir, 'test').labels), [5]);
  t.deepEqual(CIFAR100_FINE_CLASSES.length, 100);
});

test('CIFAR-100 binary: data.path naming train.bin or test.bin is refused for both splits', (t) => {
  const { dir } = writeCifar100(tempDir(t));
  for (const name of ['train.bin', 'test.bin']) {
    const file = path.join(dir, name);
    for (const split of ['train', 'test'] as const) {
      const e = t.throws(() => loadCifar100Binary(file, split), { instanceOf: DataError });
      t.true(e!.message.startsWith(`${file}: is a single file; data.path must be the folder holding all the cifar-100-binary files (train.bin, test.bin)`), e!.message);
      t.true(e!.message.includes(`point data.path at ${dir} or the folder holding it`), e!.message);
    }
  }
});

test('CIFAR-100 binary errors: bad fine or coarse label, CIFAR-10 data, label name files', (t) => {
  const { dir } = writeCifar100(tempDir(t));
  const file = path.join(dir, 'train.bin');
  fs.writeFileSync(file, cifarRecords([[1, 100]], pattern(1, 3072)));
  let e = t.throws(() => loadCifar100Binary(dir, 'train'), { instanceOf: DataError });
  t.true(e!.message.startsWith(file));
  t.regex(e!.message, /bad fine label value 100 at example 0, expected 0\.\.99/);
  // The unused coarse label is checked too.
  fs.writeFileSync(file, cifarRecords([[20, 1]], pattern(1, 3072)));
  e = t.throws(() => loadCifar100Binary(dir, 'train', 'fine'), { instanceOf: DataError });
  t.regex(e!.message, /bad coarse label value 20/);
  fs.writeFileSync(file, cifarRecords([[1], [2]], pattern(2, 3072)).subarray(0, 3073 * 2));
  e = t.throws(() => loadCifar100Binary(dir, 'train'), { instanceOf: DataError });
  t.regex(e!.message, /not a whole number of 3074-byte records/);

  fs.writeFileSync(file, cifarRecords([[1, 2]], pattern(1, 3072)));
  fs.writeFileSync(path.join(dir, 'fine_label_names.txt'), `${CIFAR100_FINE_CLASSES.map((c) => `x_${c}`).join('\n')}\n`);
  t.is(loadCifar100Binary(dir, 'train').classNames[0], 'x_apple');
});
