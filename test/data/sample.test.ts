// The bundled sample in data/sample/ loads through loadDataset, as a fresh clone would use it, and is
// what PROVENANCE.md says it is.
import test from 'ava';
import * as fs from 'fs';
import * as path from 'path';
import { loadDataset } from '../../src/data/load-dataset';
import { listImageTree } from '../../src/data/image-tree';
import { loadMnist } from '../../src/data/mnist';
import { channelStats } from '../../src/data/normalize';
import { classCounts } from '../../src/data/dataset';
import { CIFAR10_CLASSES } from '../../src/data/class-names';
import { FASHION_DIR, SAMPLE_DIR, assertFashionMnistInstalled, tempDir } from './fixtures';

test('Fashion-MNIST sample: 6000 + 1000 examples, the first ones of the real files', async (t) => {
  const dir = path.join(SAMPLE_DIR, 'fashion-mnist');
  const train = await loadDataset({ kind: 'fashion-mnist', path: dir, split: 'train' });
  const testSplit = await loadDataset({ kind: 'fashion-mnist', path: dir, split: 'test' });
  t.is(train.n, 6000);
  t.is(testSplit.n, 1000);
  t.deepEqual(train.shape, [1, 28, 28]);
  const stats = channelStats(train);
  t.true(Math.abs(stats.mean[0] - 0.286) < 0.01 && Math.abs(stats.std[0] - 0.353) < 0.01, JSON.stringify(stats));
  assertFashionMnistInstalled();
  const real = loadMnist(FASHION_DIR, 'test', 'fashion-mnist');
  t.is(Buffer.compare(Buffer.from(testSplit.images), Buffer.from(real.images.subarray(0, 1000 * 784))), 0);
  t.deepEqual(Array.from(testSplit.labels), Array.from(real.labels.subarray(0, 1000)));
});

test('CIFAR-10 sample: 200 + 50 JPEGs per class, official class order', async (t) => {
  const dir = path.join(SAMPLE_DIR, 'cifar10');
  const cacheDir = tempDir(t);
  const train = await loadDataset({ kind: 'cifar10', path: dir, split: 'train', cacheDir });
  const testSplit = await loadDataset({ kind: 'cifar10', path: dir, split: 'test', cacheDir });
  t.is(train.n, 2000);
  t.is(testSplit.n, 500);
  t.deepEqual(train.shape, [3, 32, 32]);
  t.deepEqual(train.classNames, CIFAR10_CLASSES);
  t.deepEqual(classCounts(train), new Array(10).fill(200));
  t.deepEqual(classCounts(testSplit), new Array(10).fill(50));
  t.regex(train.source, /not the original binary/);
  // The official order is alphabetical, so a plain image-folder load numbers the classes the same way.
  t.deepEqual((await listImageTree(dir, 'train')).classNames, CIFAR10_CLASSES);
  // Decoded statistics are CIFAR-like (full-set means 0.491 0.482 0.447).
  const stats = channelStats(train);
  stats.mean.forEach((m, c) => t.true(Math.abs(m - [0.491, 0.482, 0.447][c]) < 0.03, `mean ${stats.mean}`));
  // The limit picks a balanced subset.
  const small = await loadDataset({ kind: 'cifar10', path: dir, split: 'test', limit: 20, cacheDir: false });
  t.deepEqual(classCounts(small), new Array(10).fill(2));
});

test('PROVENANCE.md is there and lists the source checksums', (t) => {
  const text = fs.readFileSync(path.join(SAMPLE_DIR, 'PROVENANCE.md'), 'utf8');
  t.regex(text, /41d457d67322e21e3d9371c40f30d103f7bacab898db8a386036175deec09328/); // cifar10-jpeg.tar.gz
  t.regex(text, /b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7/); // train-images-idx3-ubyte.gz
  t.regex(text, /make-sample/);
});
