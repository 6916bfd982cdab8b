// The training images a growing phase learns θ on, and the held-out ones its final pass estimates on.
//
// The final pass (grow.estimate 'final') measures the morphisms the learned θ describes. Measured on
// batches θ was fitted to, the estimates carry that fit; so a fixed, seeded subset of the training set
// (grow.final_batches × batch_size images) never reaches θ learning and is the final pass's data.
// Training phases still use every training image: the subset is held out from θ, not from the model.
import { BatchLoader, Dataset, selectExamples } from '../data';
import type { DataSetup } from '../train/data-setup';
import { Rng } from '../util/rng';

export interface GrowData {
  /** training images minus the held-out ones, shuffled and augmented like training */
  growLoader: BatchLoader;
  /** the held-out images in a fixed order, not augmented; null when nothing is held out */
  heldOutLoader: BatchLoader | null;
  heldOut: number;
}

/** Indices of the `count` held-out examples of an `n`-example training set, sorted; seeded. */
export function heldOutIndices(n: number, count: number, seed: number): Uint32Array {
  const order = Rng.derive(seed, 'grow-held-out').shuffle(Uint32Array.from({ length: n }, (_, i) => i));
  return order.subarray(0, count).sort();
}

export function growData(data: DataSetup, batchSize: number, heldOutBatches: number, seed: number): GrowData {
  const count = heldOutBatches * batchSize;
  // keep at least one growing epoch of 2 batches; tiny datasets estimate on training batches
  if (count === 0 || data.train.n - count < 2 * batchSize) return { growLoader: data.trainLoader, heldOutLoader: null, heldOut: 0 };
  const held = heldOutIndices(data.train.n, count, seed);
  const isHeld = new Uint8Array(data.train.n);
  held.forEach((i) => (isHeld[i] = 1));
  const rest: number[] = [];
  for (let i = 0; i < data.train.n; i++) if (!isHeld[i]) rest.push(i);
  const subset = (idx: ArrayLike<number>, what: string): Dataset => selectExamples(data.train, idx, `${data.train.source} (${what})`);
  const growLoader = new BatchLoader(subset(rest, `minus ${count} held out from θ learning`), {
    batchSize,
    shuffle: true,
    dropLast: true,
    augment: data.trainLoader.augment,
    normalization: data.normalization,
    seed,
    prefetch: 'worker',
  });
  const heldOutLoader = new BatchLoader(subset(held, `${count} held out for the final pass`), { batchSize, shuffle: false, dropLast: true, normalization: data.normalization, seed });
  return { growLoader, heldOutLoader, heldOut: count };
}
