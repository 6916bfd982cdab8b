// The random streams of one epoch, derived from (seed, epoch) alone: epoch k's shuffle and
// augmentation are the same whether or not epochs 0..k-1 ran in this process, so a resumed run sees
// exactly the batches an uninterrupted one would have.
import { Rng } from '../util/rng';

export function shuffleRng(seed: number, epoch: number): Rng {
  return Rng.derive(seed, `data/shuffle/epoch=${epoch}`);
}

export function augmentRng(seed: number, epoch: number): Rng {
  return Rng.derive(seed, `data/augment/epoch=${epoch}`);
}

/** The example order of `epoch`: `base` (the examples in use) shuffled, or as is. */
export function epochOrder(base: Uint32Array, seed: number, epoch: number, shuffle: boolean): Uint32Array {
  const order = Uint32Array.from(base);
  return shuffle ? shuffleRng(seed, epoch).shuffle(order) : order;
}
