// The training images a growing phase learns θ on, and the held-out ones its final pass estimates on.
//
// The final pass (grow.estimate 'final') measures the morphisms the learned θ describes. Measured on
// batches θ was fitted to, the estimates carry that fit; so a fixed, seeded subset of the training set
// (grow.final_batches × batch_size images, at most 10% of the set) never reaches θ learning and is the
// final pass's data.
// Training phases still use every training image: the subset is held out from θ, not from the model.
import type { TrainConfig } from '../config';
import { BatchLoader, Dataset, selectExamples } from '../data';
import type { DataSetup } from '../train/data-setup';
import { Rng } from '../util/rng';
import { STREAMS } from '../util/streams';

export interface GrowData {
  /** training images minus the held-out ones, shuffled and augmented like training */
  growLoader: BatchLoader;
  /** the held-out images, shuffled per epoch, not augmented; null when nothing is held out */
  heldOutLoader: BatchLoader | null;
  heldOut: number;
  /** where the final pass estimates: the held-out loader, or (nothing held out) the grow loader */
  finalLoader: BatchLoader;
  /** batches of the final pass: every held-out batch, or FALLBACK_FINAL_BATCHES training batches */
  finalBatches: number;
  /** closes the loaders this made (not the training loader it may share) */
  close(): Promise<void>;
}

/**
 * The weight of each mini-batch in the moving average of the estimates: grow.ema_weight, or for
 * 'auto' the paper's batch_size / (2 · N_train) (about the last two epochs; docs/method.md#ema-weight).
 */
export function emaWeightOf(cfg: Pick<TrainConfig, 'train' | 'grow'>, trainImages: number): number {
  return cfg.grow.ema_weight === 'auto' ? cfg.train.batch_size / (2 * trainImages) : cfg.grow.ema_weight;
}

/** Training batches of a final pass when nothing is held out (grow.final_batches 0, tiny datasets). */
export const FALLBACK_FINAL_BATCHES = 20;

/** Indices of the `count` held-out examples of an `n`-example training set, sorted; seeded. */
export function heldOutIndices(n: number, count: number, seed: number): Uint32Array {
  const order = Rng.derive(seed, STREAMS.heldOut).shuffle(Uint32Array.from({ length: n }, (_, i) => i));
  return order.subarray(0, count).sort();
}

/** At most this fraction of the training set is held out (small datasets get fewer final-pass batches). */
export const MAX_HELD_OUT_FRACTION = 0.1;

/**
 * How many of `asked` held-out batches of `batchSize` a training set of `trainImages` images gives:
 * at most MAX_HELD_OUT_FRACTION of the set (0: nothing is held out, the final pass reads training
 * batches).
 */
export function heldOutBatchCount(trainImages: number, batchSize: number, asked: number): number {
  return Math.min(asked, Math.floor((MAX_HELD_OUT_FRACTION * trainImages) / batchSize));
}

/**
 * Split the training set for the growing phases: `heldOutBatches` × `batchSize` images (at most
 * MAX_HELD_OUT_FRACTION of the set, seeded by `seed` on the 'grow-held-out' stream) are held out from θ
 * learning for the final pass; the rest, shuffled and augmented like training, teach θ. When nothing
 * can be held out the final pass reads FALLBACK_FINAL_BATCHES training batches. Call close() when done.
 */
export function growData(data: DataSetup, batchSize: number, heldOutBatches: number, seed: number): GrowData {
  const count = heldOutBatchCount(data.train.n, batchSize, heldOutBatches) * batchSize;
  // tiny datasets (under 10 batches) estimate on training batches
  if (count === 0) {
    return { growLoader: data.trainLoader, heldOutLoader: null, heldOut: 0, finalLoader: data.trainLoader, finalBatches: FALLBACK_FINAL_BATCHES, close: async () => {} };
  }
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
  // Shuffled (each final pass names its epoch, so the order is fixed by the seed): a dataset stored by
  // class (image folders) would otherwise give batches of one or two classes, whose batch-statistics
  // estimates are far off (on the CIFAR-10 copy: pooled Spearman 0.18 against 0.43 for the moving average).
  const heldOutLoader = new BatchLoader(subset(held, `${count} held out for the final pass`), { batchSize, shuffle: true, dropLast: true, normalization: data.normalization, seed });
  return {
    growLoader,
    heldOutLoader,
    heldOut: count,
    finalLoader: heldOutLoader,
    finalBatches: heldOutLoader.batchesPerEpoch,
    close: async () => {
      await growLoader.close();
      await heldOutLoader.close();
    },
  };
}
