// MNIST / Fashion-MNIST IDX loading: the real Fashion-MNIST files, generated raw and gzipped files,
// and every kind of broken file, whose errors must name the file.
import test, { ExecutionContext } from 'ava';
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { loadMnist } from '../../src/data/mnist';
import { channelStats } from '../../src/data/normalize';
import { DataError } from '../../src/data/errors';
import { FASHION_DIR, assertFashionMnistInstalled, idxBytes, pattern, tempDir, writeIdxSplit } from './fixtures';

test('real Fashion-MNIST: sizes, labels and the published train statistics', (t) => {
  assertFashionMnistInstalled();
  const train = loadMnist(FASHION_DIR, 'train', 'fashion-mnist');
  const testSplit = loadMnist(FASHION_DIR, 'test', 'fashion-mnist');
  t.is(train.n, 60000);
  t.is(testSplit.n, 10000);
  t.deepEqual(train.shape, [1, 28, 28]);
  t.is(train.images.length, 60000 * 784);
  t.is(train.classes, 10);
  t.is(train.classNames[9], 'Ankle boot');
  const counts = new Array(10).fill(0);
  for (const l of train.labels) counts[l]++;
  t.deepEqual(counts, new Array(10).fill(6000)); // Fashion-MNIST is exactly balanced
  const stats = channelStats(train);
  t.true(Math.abs(stats.mean[0] - 0.286) < 5e-4, `mean ${stats.mean[0]}`);
  t.true(Math.abs(stats.std[0] - 0.353) < 5e-4, `std ${stats.std[0]}`);
});

test('raw and gzipped IDX files load the same, labels and pixels intact', (t) => {
  const n = 5;
  const images = pattern(n, 6 * 4);
  const labels = Uint8Array.from([3, 1, 4, 1, 5]);
  const rawDir = tempDir(t);
  const gzDir = tempDir(t);
  writeIdxSplit(rawDir, 'test', images, labels, 6, 4, false);
  writeIdxSplit(gzDir, 'test', images, labels, 6, 4, true);
  const a = loadMnist(rawDir, 'test');
  const b = loadMnist(gzDir, 'test');
  t.deepEqual(a.shape, [1, 6, 4]);
  t.deepEqual(Array.from(a.images), Array.from(images));
  t.deepEqual(Array.from(a.labels), Array.from(labels));
  t.deepEqual(Array.from(b.images), Array.from(images));
  t.is(a.name, 'mnist');
  t.is(a.classNames[3], '3');
});

function brokenSplit(t: ExecutionContext): { dir: string; images: string; labels: string } {
  const dir = tempDir(t);
  writeIdxSplit(dir, 'train', pattern(4, 9), Uint8Array.from([0, 1, 2, 3]), 3, 3, false);
  return { dir, images: path.join(dir, 'train-images-idx3-ubyte'), labels: path.join(dir, 'train-labels-idx1-ubyte') };
}

test('missing files: the error names the file and how to get it', (t) => {
  const dir = tempDir(t);
  const e = t.throws(() => loadMnist(dir, 'train', 'fashion-mnist'), { instanceOf: DataError });
  t.true(e!.message.includes(path.join(dir, 'train-images-idx3-ubyte.gz')), e!.message);
  t.regex(e!.message, /not found/);
  t.regex(e!.message, /dataset-fashion-mnist/);
});

test('wrong magic number: names the file and suggests a swap', (t) => {
  const { dir, images, labels } = brokenSplit(t);
  const imageBytes = fs.readFileSync(images);
  fs.writeFileSync(images, fs.readFileSync(labels));
  fs.writeFileSync(labels, imageBytes);
  const e = t.throws(() => loadMnist(dir, 'train'), { instanceOf: DataError });
  t.true(e!.message.startsWith(images), e!.message);
  t.regex(e!.message, /wrong magic number 2049.*expected 2051/);
  t.regex(e!.message, /swapped/);
});

test('truncated and oversized files', (t) => {
  const { dir, images } = brokenSplit(t);
  const good = fs.readFileSync(images);
  fs.writeFileSync(images, good.subarray(0, good.length - 5));
  let e = t.throws(() => loadMnist(dir, 'train'), { instanceOf: DataError });
  t.true(e!.message.startsWith(images));
  t.regex(e!.message, /truncated: dims 4x3x3 need 36 data bytes, found 31/);
  fs.writeFileSync(images, good.subarray(0, 10));
  e = t.throws(() => loadMnist(dir, 'train'), { instanceOf: DataError });
  t.regex(e!.message, /header cut short/);
  fs.writeFileSync(images, Buffer.concat([good, Buffer.alloc(3)]));
  e = t.throws(() => loadMnist(dir, 'train'), { instanceOf: DataError });
  t.regex(e!.message, /wrong size.*3 extra/);
});

test('corrupt gzip names the file', (t) => {
  const dir = tempDir(t);
  const labels = zlib.gzipSync(idxBytes(2049, [4], Uint8Array.from([0, 1, 2, 3])));
  writeIdxSplit(dir, 'train', pattern(4, 9), Uint8Array.from([0, 1, 2, 3]), 3, 3, true);
  const file = path.join(dir, 'train-labels-idx1-ubyte.gz');
  fs.writeFileSync(file, labels.subarray(0, labels.length - 6));
  const e = t.throws(() => loadMnist(dir, 'train'), { instanceOf: DataError });
  t.true(e!.message.startsWith(file), e!.message);
  t.regex(e!.message, /gzip data is corrupt or truncated/);
});

test('bad label values and count mismatches', (t) => {
  let { dir, labels } = brokenSplit(t);
  fs.writeFileSync(labels, idxBytes(2049, [4], Uint8Array.from([0, 1, 12, 3])));
  let e = t.throws(() => loadMnist(dir, 'train'), { instanceOf: DataError });
  t.true(e!.message.startsWith(labels));
  t.regex(e!.message, /bad label value 12 at example 2, expected 0\.\.9/);
  ({ dir, labels } = brokenSplit(t));
  fs.writeFileSync(labels, idxBytes(2049, [3], Uint8Array.from([0, 1, 2])));
  e = t.throws(() => loadMnist(dir, 'train'), { instanceOf: DataError });
  t.regex(e!.message, /holds 3 labels but \/.*\/train-images-idx3-ubyte holds 4 images/);
});
