// The random draws of one pass over a dataset, derived from (seed, stream, epoch) alone: the stream
// names what the pass is for (src/util/streams.ts: 'train', 'retrain', 'grow', ...), the epoch which
// pass of that stream it is. Epoch k's shuffle and augmentation are the same whether or not epochs
// 0..k-1 ran in this process, so a resumed run sees exactly the batches an uninterrupted one would.
import { Rng } from '../util/rng';

/** The generator of the example order of pass `epoch` of `stream`. */
export function shuffleRng(seed: number, stream: string, epoch: number): Rng {
  return Rng.derive(seed, `data/${stream}/shuffle/epoch=${epoch}`);
}

/** The generator of the augmentation draws (crop offsets, flips) of pass `epoch` of `stream`. */
export function augmentRng(seed: number, stream: string, epoch: number): Rng {
  return Rng.derive(seed, `data/${stream}/augment/epoch=${epoch}`);
}

/** The example order of pass `epoch` of `stream`: `base` (the examples in use) shuffled, or as is. */
export function epochOrder(base: Uint32Array, seed: number, stream: string, epoch: number, shuffle: boolean): Uint32Array {
  const order = Uint32Array.from(base);
  return shuffle ? shuffleRng(seed, stream, epoch).shuffle(order) : order;
}
