// Re-arranging one axis of a dense row-major tensor according to a ChannelPlan.
import { ChannelPlan } from './channel-plan';

export interface ShapedTensor {
  data: Float32Array;
  shape: readonly number[];
}

export interface RemapOptions {
  /** 'outgoing' axes: both copies of a split channel get ½ of its slice (Σ over the copies = the
   *  original, so the next dense op sees the same sum when the copies are equal) */
  halveSplits: boolean;
  /** only for axis 0: per split channel, θ with one slice's length, added to the copy with sign ±1 */
  theta?: ReadonlyMap<number, Float32Array>;
}

/**
 * A new tensor whose `axis` has plan.source.length entries: entry i is the old entry plan.source[i]
 * (times ½ for a split channel when halving; plus sign[i]·θ when θ is given). Returns the new data and
 * shape; `data` is never modified.
 */
export function remapAxis(data: Float32Array, shape: readonly number[], axis: number, plan: ChannelPlan, opts: RemapOptions): ShapedTensor {
  const oldN = shape[axis]!;
  if (oldN !== plan.copies.length) throw new Error(`axis ${axis} of a [${shape.join(',')}] tensor has ${oldN} channels, the plan ${plan.copies.length}`);
  if (opts.theta && axis !== 0) throw new Error('θ is added along axis 0 only (the incoming kernel rows)');
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const newN = plan.source.length;
  const out = new Float32Array(outer * newN * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < newN; i++) {
      const c = plan.source[i]!;
      const scale = opts.halveSplits && plan.copies[c] === 2 ? 0.5 : 1;
      const theta = plan.sign[i] !== 0 ? opts.theta?.get(c) : undefined;
      const src = (o * oldN + c) * inner;
      const dst = (o * newN + i) * inner;
      for (let k = 0; k < inner; k++) out[dst + k] = scale * data[src + k]! + (theta ? plan.sign[i]! * theta[k]! : 0);
    }
  }
  const newShape = [...shape];
  newShape[axis] = newN;
  return { data: out, shape: newShape };
}
