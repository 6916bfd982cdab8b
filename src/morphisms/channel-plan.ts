// What the morphisms of one layer do to its channels: an old → new channel map.
//
// Layout (deterministic): new channels keep the old order; a split channel c is followed directly
// by its copy, so old channel c becomes new channels (c', c'+1) carrying +θ and −θ; a pruned
// channel leaves no new channel. Example, width 4, split 1, prune 2:
//   old  0  1   1   3
//   sign 0  +1  −1  0        → new width 4 + 1 − 1 = 4
import { Morphism } from './types';

export interface ChannelPlan {
  /** per new channel: the old channel it comes from */
  source: number[];
  /** per new channel: +1 / −1 for the two halves of a split (the sign θ is added with), 0 otherwise */
  sign: number[];
  /** per old channel: how many new channels it became (0 pruned, 1 kept, 2 split) */
  copies: number[];
}

/**
 * The plan of a layer of `width` channels under `morphisms` (all of this layer). Throws on a channel
 * out of range, two morphisms on one channel, or prunes that would leave fewer than `minWidth` of the
 * layer's original channels. Splits do not count towards the minimum (the copy of a split channel is
 * not a distinct feature yet); this differs from "final width ≥ minWidth" only when minWidth > 1.
 * A layer already narrower than `minWidth` is not pruned, but it may be split or left as it is.
 */
export function planChannels(layer: string, width: number, morphisms: readonly Morphism[], minWidth: number): ChannelPlan {
  const copies = new Array<number>(width).fill(1);
  for (const m of morphisms) {
    if (!Number.isInteger(m.channel) || m.channel < 0 || m.channel >= width) {
      throw new Error(`${m.kind} of ${layer} channel ${m.channel}: the layer has channels 0..${width - 1}`);
    }
    if (copies[m.channel] !== 1) throw new Error(`${layer} channel ${m.channel} has more than one morphism`);
    copies[m.channel] = m.kind === 'split' ? 2 : 0;
  }
  const kept = copies.filter((n) => n > 0).length;
  // only prunes are held to the minimum: a seed layer narrower than grow.min_width must still pass
  // through a round that prunes none of its channels
  if (kept < width && kept < minWidth) {
    throw new Error(`pruning ${width - kept} of ${layer}'s ${width} channels would leave ${kept}, below the minimum width ${minWidth}`);
  }
  const source: number[] = [];
  const sign: number[] = [];
  copies.forEach((n, c) => {
    if (n === 1) {
      source.push(c);
      sign.push(0);
    } else if (n === 2) {
      source.push(c, c);
      sign.push(1, -1);
    }
  });
  return { source, sign, copies };
}
