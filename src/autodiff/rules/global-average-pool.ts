import type { GradRule } from '../types';
import { expandLike, scale } from '../emit';

// Y[n,c] = mean_{h,w} X[n,c,h,w]:  dX = broadcast(dY) / (H·W)
export const globalAveragePoolGrad: GradRule = (b, n, [dY]) => {
  if (!dY) return [null];
  const x = n.inputs[0]!;
  const spatial = b.staticShape(x).slice(2).reduce((a, d) => a * d, 1);
  return [expandLike(b, scale(b, dY, 1 / spatial), x)];
};
