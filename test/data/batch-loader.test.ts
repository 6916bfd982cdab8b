// Batching: per-epoch order from (seed, epoch) only, reproducibility, dropLast, resume mid-epoch,
// limits, buffer reuse, and worker prefetch giving the very same batches.
import test from 'ava';
import * as crypto from 'crypto';
import { Batch, BatchLoader, BatchLoaderOptions } from '../../src/data/batch-loader';
import { PAPER_AUGMENT } from '../../src/data/augment';
import { Dataset } from '../../src/data/dataset';

/** n examples of 1x2x2 whose every pixel is the example's index; label = index % 3. */
function indexed(n: number): Dataset {
  const images = new Uint8Array(n * 4);
  for (let i = 0; i < n; i++) images.fill(i, 4 * i, 4 * i + 4);
  return { name: 'idx', images, labels: Uint8Array.from({ length: n }, (_, i) => i % 3), n, shape: [1, 2, 2], classes: 3, classNames: ['a', 'b', 'c'], source: 'test' };
}

/** Normalisation that maps pixel v to v exactly (mean 0, std 1/255). */
const IDENTITY = { mean: [0], std: [1 / 255] };
const opts = (o: Partial<BatchLoaderOptions> = {}): BatchLoaderOptions => ({ batchSize: 4, shuffle: true, dropLast: false, normalization: IDENTITY, seed: 42, ...o });

/** Example indices of a batch, read back from its pixels. */
const ids = (b: Batch) => Array.from({ length: b.size }, (_, k) => Math.round(b.images[4 * k]));
/** A batch's contents, copied (buffers are reused) and hashed (deepEqual of big arrays is slow). */
const copy = (b: Batch) => ({
  images: crypto.createHash('sha256').update(new Uint8Array(b.images.buffer, b.images.byteOffset, b.images.byteLength)).digest('hex'),
  labels: Array.from(b.labels),
  size: b.size,
  index: b.index,
  dims: b.dims,
});
/** Copies each batch as it is produced: collecting the Batch objects first would see reused buffers. */
const collect = (batches: Iterable<Batch>) => Array.from(batches, copy);
const epochIds = (l: BatchLoader, e: number) => Array.from(l.batches('train', e), ids);

test('each epoch visits every example once; labels and dims match', (t) => {
  const ds = indexed(10);
  const loader = new BatchLoader(ds, opts());
  t.is(loader.batchesPerEpoch, 3);
  const seen: number[] = [];
  const sizes: number[] = [];
  for (const b of loader.batches('train', 0)) {
    sizes.push(b.size);
    t.deepEqual(b.dims, [b.size, 1, 2, 2]);
    t.is(b.images.length, 4 * b.size);
    t.is(b.labels.length, b.size);
    ids(b).forEach((id, k) => t.is(b.labels[k], BigInt(id % 3)));
    seen.push(...ids(b));
  }
  t.deepEqual(sizes, [4, 4, 2]);
  t.deepEqual([...seen].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

test('dropLast drops the partial batch; no shuffle keeps dataset order', (t) => {
  const loader = new BatchLoader(indexed(10), opts({ dropLast: true, shuffle: false }));
  t.is(loader.batchesPerEpoch, 2);
  t.deepEqual(epochIds(loader, 0), [[0, 1, 2, 3], [4, 5, 6, 7]]);
  t.deepEqual(epochIds(loader, 5), [[0, 1, 2, 3], [4, 5, 6, 7]]);
});

test('same seed gives the same batches; other epochs, streams and seeds give other orders', (t) => {
  const ds = indexed(64);
  const a = new BatchLoader(ds, opts({ augment: PAPER_AUGMENT }));
  const b = new BatchLoader(ds, opts({ augment: PAPER_AUGMENT }));
  t.deepEqual(collect(a.batches('train', 3)), collect(b.batches('train', 3)));
  t.notDeepEqual(epochIds(a, 0), epochIds(a, 1));
  t.notDeepEqual(epochIds(a, 0), epochIds(new BatchLoader(ds, opts({ seed: 43 })), 0));
  // the same epoch number of two named streams (training and retraining, say) draws independently
  t.notDeepEqual(Array.from(a.batches('retrain', 0), ids), epochIds(a, 0));
  t.notDeepEqual(collect(a.batches('retrain', 3)).map((x) => x.images), collect(a.batches('train', 3)).map((x) => x.images));
});

test("epoch k does not depend on whether earlier epochs ran (resume)", (t) => {
  const ds = indexed(40);
  const full = new BatchLoader(ds, opts({ augment: PAPER_AUGMENT }));
  const seen: ReturnType<typeof copy>[][] = [];
  for (let e = 0; e < 3; e++) seen.push(collect(full.batches('train', e)));
  const fresh = new BatchLoader(ds, opts({ augment: PAPER_AUGMENT }));
  t.deepEqual(collect(fresh.batches('train', 2)), seen[2]);
  // Resuming mid-epoch gives the rest of the epoch unchanged, augmentation included.
  t.deepEqual(collect(fresh.batches('train', 2, 7)), seen[2].slice(7));
});

test('batch buffers are preallocated and used in turn', (t) => {
  const loader = new BatchLoader(indexed(16), opts({ dropLast: true }));
  const arrays = [...loader.batches('train', 0)].map((b) => b.images);
  t.is(arrays[0], arrays[2]);
  t.is(arrays[1], arrays[3]);
  t.not(arrays[0], arrays[1]);
});

test('limit: stratified keeps classes balanced, first takes a prefix', (t) => {
  const ds = indexed(30); // labels 0,1,2,0,1,2,...
  const strat = new BatchLoader(ds, opts({ limit: 7, shuffle: false, batchSize: 7 }));
  t.deepEqual(Array.from(strat.examples), [0, 1, 2, 3, 4, 5, 6]);
  const skewed: Dataset = { ...indexed(12), labels: Uint8Array.from([0, 0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 2]) };
  const l = new BatchLoader(skewed, opts({ limit: 6, shuffle: false }));
  t.deepEqual(Array.from(l.examples), [0, 1, 6, 7, 9, 10]);
  t.is(l.size, 6);
  t.deepEqual(Array.from(new BatchLoader(skewed, opts({ limit: 6, limitMode: 'first' })).examples), [0, 1, 2, 3, 4, 5]);
});

test('augmentation is applied and reproducible on a 3x32x32 dataset', (t) => {
  const n = 16;
  const images = new Uint8Array(n * 3072).map((_, i) => 1 + (i % 250));
  const ds: Dataset = { name: 'c', images, labels: new Uint8Array(n), n, shape: [3, 32, 32], classes: 1, classNames: ['x'], source: 't' };
  const first = (o: Partial<BatchLoaderOptions>) => new BatchLoader(ds, opts({ batchSize: 16, shuffle: false, normalization: { mean: [0, 0, 0], std: [1 / 255, 1 / 255, 1 / 255] }, ...o })).batches('train', 0).next().value as Batch;
  const plain = first({});
  const aug = first({ augment: PAPER_AUGMENT });
  t.notDeepEqual(copy(plain).images, copy(aug).images);
  t.deepEqual(copy(first({ augment: PAPER_AUGMENT })), copy(aug));
  t.notDeepEqual(copy(first({ augment: PAPER_AUGMENT, seed: 1 })), copy(aug));
  // Some example was shifted, so some pixel is padding: raw 0, i.e. exactly 0 under IDENTITY.
  t.true(aug.images.some((v) => v === 0));
  t.false(plain.images.some((v) => v === 0));
});

test('worker prefetch yields exactly the batches of the synchronous path', async (t) => {
  const n = 50;
  const images = new Uint8Array(n * 3072).map((_, i) => (i * 7) & 0xff);
  const ds: Dataset = { name: 'c', images, labels: Uint8Array.from({ length: n }, (_, i) => i % 10), n, shape: [3, 32, 32], classes: 10, classNames: [], source: 't' };
  const norm = { mean: [0.5, 0.4, 0.3], std: [0.2, 0.25, 0.3] };
  const base = { batchSize: 8, shuffle: true, dropLast: false, augment: PAPER_AUGMENT, normalization: norm, seed: 5 };
  const sync = new BatchLoader(ds, base);
  const worker = new BatchLoader(ds, { ...base, prefetch: 'worker' });
  t.teardown(() => worker.close());
  for (const epoch of [0, 1]) {
    const expected = collect(sync.batches('train', epoch));
    const got: ReturnType<typeof copy>[] = [];
    for await (const b of worker.epoch('train', epoch)) got.push(copy(b));
    t.deepEqual(got, expected);
  }
  // Leaving an epoch early, then starting another, still gives the right batches.
  for await (const b of worker.epoch('train', 2)) {
    t.is(b.index, 0);
    break;
  }
  const again: ReturnType<typeof copy>[] = [];
  for await (const b of worker.epoch('train', 3, 2)) again.push(copy(b));
  t.deepEqual(again, collect(sync.batches('train', 3, 2)));
  // The synchronous path works on the same loader afterwards too.
  t.deepEqual(collect(worker.batches('train', 1)), collect(sync.batches('train', 1)));
});

test('bad options are rejected', (t) => {
  t.throws(() => new BatchLoader(indexed(4), opts({ batchSize: 0 })), { message: /batchSize must be a positive integer/ });
  t.throws(() => new BatchLoader(indexed(4), opts({ augment: { cropPadding: 1.5, flip: false } })), { message: /cropPadding/ });
  t.throws(() => new BatchLoader(indexed(4), opts({ normalization: { mean: [0, 0], std: [1, 1] } })), { message: /for 1 channel/ });
});
