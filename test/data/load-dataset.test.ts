// The loadDataset dispatcher: each kind reaches its loader, limits apply, unknown kinds are refused.
import test from 'ava';
import * as fs from 'fs';
import * as path from 'path';
import { DatasetKind, loadDataset } from '../../src/data/load-dataset';
import { cifarRecords, pattern, tempDir, writeIdxSplit } from './fixtures';

test('cifar10 binary and cifar100 through the dispatcher, with limits', async (t) => {
  const dir = tempDir(t);
  const c10 = path.join(dir, 'cifar-10-batches-bin');
  fs.mkdirSync(c10);
  fs.writeFileSync(path.join(c10, 'test_batch.bin'), cifarRecords([[0], [0], [1], [2]], pattern(4, 3072)));
  const a = await loadDataset({ kind: 'cifar10', path: dir, split: 'test' });
  t.is(a.n, 4);
  const limited = await loadDataset({ kind: 'cifar10', path: dir, split: 'test', limit: 3 });
  t.deepEqual(Array.from(limited.labels), [0, 1, 2]); // stratified: one per class present
  t.regex(limited.source, /limit 3, stratified/);
  const first = await loadDataset({ kind: 'cifar10', path: dir, split: 'test', limit: 2, limitMode: 'first' });
  t.deepEqual(Array.from(first.labels), [0, 0]);

  const c100 = path.join(dir, 'cifar-100-binary');
  fs.mkdirSync(c100);
  fs.writeFileSync(path.join(c100, 'train.bin'), cifarRecords([[3, 30], [4, 40]], pattern(2, 3072)));
  t.deepEqual(Array.from((await loadDataset({ kind: 'cifar100', path: dir, split: 'train' })).labels), [30, 40]);
  t.deepEqual(Array.from((await loadDataset({ kind: 'cifar100', path: dir, split: 'train', cifar100Labels: 'coarse' })).labels), [3, 4]);
});

test('mnist and image-folder through the dispatcher; unknown kind', async (t) => {
  const dir = tempDir(t);
  writeIdxSplit(dir, 'train', pattern(3, 4), Uint8Array.from([7, 8, 9]), 2, 2, true);
  const m = await loadDataset({ kind: 'mnist', path: dir, split: 'train' });
  t.is(m.name, 'mnist');
  t.deepEqual(Array.from(m.labels), [7, 8, 9]);
  t.is((await loadDataset({ kind: 'fashion-mnist', path: dir, split: 'train' })).classNames[7], 'Sneaker');
  await t.throwsAsync(loadDataset({ kind: 'svhn' as DatasetKind, path: dir, split: 'train' }), { message: /unknown dataset kind 'svhn'/ });
});

test('an IDX or CIFAR-100 kind pointed at an image tree names data.dataset and the kinds that read it', async (t) => {
  const dir = tempDir(t);
  fs.mkdirSync(path.join(dir, 'train', 'cat'), { recursive: true });
  for (const kind of ['fashion-mnist', 'mnist', 'cifar100'] as const) {
    await t.throwsAsync(loadDataset({ kind, path: dir, split: 'train' }), {
      message: new RegExp(`^${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: holds train/ as an image tree \\(class folders of images\\), but data\\.dataset ${kind} reads .* \\(set data\\.dataset to image-folder, or cifar10 for CIFAR-10 as image files`),
    });
  }
  // IDX files beside a train/ folder are read as before
  writeIdxSplit(dir, 'train', pattern(3, 4), Uint8Array.from([1, 2, 3]), 2, 2, true);
  t.is((await loadDataset({ kind: 'mnist', path: dir, split: 'train' })).n, 3);
});
