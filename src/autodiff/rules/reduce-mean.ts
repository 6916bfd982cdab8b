import type { GradRule } from '../types';
import { attrInt, attrInts } from '../types';
import { expandLike, keepDims, normalizeAxes, scale } from '../emit';

// Y = ReduceMean(X, axes) over M elements:  dX = broadcast(dY) / M
export const reduceMeanGrad: GradRule = (b, n, [dY]) => {
  if (!dY) return [null];
  const x = n.inputs[0]!;
  const xs = b.staticShape(x);
  const axes = normalizeAxes(attrInts(n, 'axes'), xs.length);
  const count = axes.reduce((a, i) => a * xs[i]!, 1);
  const kept = attrInt(n, 'keepdims', 1) ? dY : keepDims(b, dY, xs, axes);
  return [expandLike(b, scale(b, kept, 1 / count), x)];
};
