// Bad input the person running nasgrow can fix must end in a DataError that names the file or folder
// and says what to do, never in silently wrong data or an unnamed crash. One section per kind of
// fault: splits of different shapes, empty class folders, undecodable images, OS leftovers in image
// trees, image-folder archives, constant channels, label ranges.
import test, { ExecutionContext } from 'ava';
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { Dataset } from '../../src/data/dataset';
import { DataError } from '../../src/data/errors';
import { checkDataset, checkSplitsMatch } from '../../src/data/checks';
import { loadDataset } from '../../src/data/load-dataset';
import { loadMnist } from '../../src/data/mnist';
import * as dataIndex from '../../src/data';
import { SAMPLE_DIR, idxBytes, pattern, tempDir, writeIdxSplit } from './fixtures';

function tiny(over: Partial<Dataset> = {}): Dataset {
  const n = 3;
  return {
    name: 'tiny',
    images: Uint8Array.from({ length: n * 12 }, (_, i) => i),
    labels: Uint8Array.from([0, 1, 2]),
    n,
    shape: [3, 2, 2],
    classes: 3,
    classNames: ['a', 'b', 'c'],
    source: '/data/tiny',
    ...over,
  };
}

// ---- 1. training and test splits of different shapes -------------------------------------------

/** The bundled Fashion-MNIST sample with its test images zero-padded from 28x28 to 32x32. */
function paddedFashionMnist(t: ExecutionContext): string {
  const src = path.join(SAMPLE_DIR, 'fashion-mnist');
  const dir = tempDir(t);
  for (const f of ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-labels-idx1-ubyte.gz']) fs.copyFileSync(path.join(src, f), path.join(dir, f));
  const idx = zlib.gunzipSync(fs.readFileSync(path.join(src, 't10k-images-idx3-ubyte.gz')));
  const n = idx.readUInt32BE(4);
  const padded = new Uint8Array(n * 32 * 32);
  for (let i = 0; i < n; i++) {
    for (let y = 0; y < 28; y++) padded.set(idx.subarray(16 + i * 784 + y * 28, 16 + i * 784 + (y + 1) * 28), i * 1024 + (y + 2) * 32 + 2);
  }
  fs.writeFileSync(path.join(dir, 't10k-images-idx3-ubyte.gz'), zlib.gzipSync(idxBytes(2051, [n, 32, 32], padded)));
  return dir;
}

test('1: a test split of another image shape is refused, naming both sources and both shapes', async (t) => {
  const dir = paddedFashionMnist(t);
  const train = await loadDataset({ kind: 'fashion-mnist', path: dir, split: 'train' });
  const testSplit = await loadDataset({ kind: 'fashion-mnist', path: dir, split: 'test' });
  const e = t.throws(() => checkSplitsMatch(train, testSplit), { instanceOf: DataError });
  for (const part of [train.source, testSplit.source, '1x28x28', '1x32x32']) t.true(e!.message.includes(part), `${part} missing from: ${e!.message}`);
  t.notThrows(() => checkSplitsMatch(train, train));
  // The caller (src/train/data-setup.ts) imports it from the layer's index.
  t.is(dataIndex.checkSplitsMatch, checkSplitsMatch);
});

test('1: channel count, class count and class names must agree across splits', (t) => {
  const train = tiny({ source: '/data/train' });
  const cases: [Partial<Dataset>, RegExp][] = [
    [{ shape: [1, 2, 2], images: new Uint8Array(12), labels: Uint8Array.from([0, 1, 2]) }, /1 channel.*3 channels|3x2x2.*1x2x2|1x2x2.*3x2x2/],
    [{ classes: 4, classNames: ['a', 'b', 'c', 'd'] }, /4 classes.*3 classes|3 classes.*4 classes/],
    [{ classNames: ['a', 'c', 'b'] }, /class names/],
  ];
  for (const [over, re] of cases) {
    const other = tiny({ source: '/data/test', ...over });
    const e = t.throws(() => checkSplitsMatch(train, other), { instanceOf: DataError });
    t.regex(e!.message, re);
    t.true(e!.message.includes('/data/train') && e!.message.includes('/data/test'), e!.message);
  }
});

test('1: no loader returns a dataset whose bytes disagree with its shape', (t) => {
  // The final guard every loader runs.
  const cases: [Partial<Dataset>, RegExp][] = [
    [{ images: new Uint8Array(35) }, /35 image bytes.*3 examples of 3x2x2 need 36/],
    [{ labels: Uint8Array.from([0, 1]) }, /2 labels for 3 examples/],
    [{ n: 0, images: new Uint8Array(0), labels: new Uint8Array(0) }, /no examples/],
    [{ shape: [3, 0, 2], images: new Uint8Array(0) }, /image shape 3x0x2/],
    [{ classNames: ['a', 'b'] }, /2 class names for 3 classes/],
    [{ labels: Uint8Array.from([0, 3, 1]) }, /bad label value 3 at example 1/],
  ];
  for (const [over, re] of cases) {
    const e = t.throws(() => checkDataset(tiny(over)), { instanceOf: DataError });
    t.true(e!.message.startsWith('/data/tiny'), e!.message);
    t.regex(e!.message, re);
  }
  t.notThrows(() => checkDataset(tiny()));
});

test('1: IDX files with a zero dimension are refused, not loaded as an empty dataset', (t) => {
  for (const [dims, re] of [[[0, 3, 3], /holds no images/], [[2, 0, 3], /images of 0x3 pixels/]] as const) {
    const dir = tempDir(t);
    writeIdxSplit(dir, 'train', pattern(2, 9), Uint8Array.from([0, 1]), 3, 3, false);
    const file = path.join(dir, 'train-images-idx3-ubyte');
    fs.writeFileSync(file, idxBytes(2051, [...dims], new Uint8Array(0)));
    if (dims[0] === 0) fs.writeFileSync(path.join(dir, 'train-labels-idx1-ubyte'), idxBytes(2049, [0], new Uint8Array(0)));
    const e = t.throws(() => loadMnist(dir, 'train'), { instanceOf: DataError });
    t.true(e!.message.startsWith(file), e!.message);
    t.regex(e!.message, re);
  }
});

test('1: a label count mismatch names both IDX files by path', (t) => {
  const dir = tempDir(t);
  writeIdxSplit(dir, 'train', pattern(4, 9), Uint8Array.from([0, 1, 2, 3]), 3, 3, false);
  fs.writeFileSync(path.join(dir, 'train-labels-idx1-ubyte'), idxBytes(2049, [3], Uint8Array.from([0, 1, 2])));
  const e = t.throws(() => loadMnist(dir, 'train'), { instanceOf: DataError });
  t.true(e!.message.includes(path.join(dir, 'train-images-idx3-ubyte')), e!.message);
});

// ---- 7. labels ----------------------------------------------------------------------------------

test('7: image-folder and IDX and CIFAR loaders all run the label check', async (t) => {
  const dir = tempDir(t);
  writeIdxSplit(dir, 'test', pattern(2, 4), Uint8Array.from([1, 10]), 2, 2, true);
  const e = await t.throwsAsync(loadDataset({ kind: 'mnist', path: dir, split: 'test' }), { instanceOf: DataError });
  t.true(e!.message.startsWith(path.join(dir, 't10k-labels-idx1-ubyte.gz')), e!.message);
  t.regex(e!.message, /bad label value 10 at example 1, expected 0\.\.9/);
  const c10 = path.join(dir, 'c10.bin');
  fs.writeFileSync(c10, Buffer.concat([Buffer.from([12]), Buffer.alloc(3072)]));
  const e2 = await t.throwsAsync(loadDataset({ kind: 'cifar10', path: c10, split: 'test' }), { instanceOf: DataError });
  t.true(e2!.message.startsWith(c10), e2!.message);
  t.regex(e2!.message, /bad label value 12/);
});
