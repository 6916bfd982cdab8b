import type { GradRule } from '../types';
import { attrInt, UnsupportedGradient } from '../types';
import { expandLike, keepDims, normalizeAxes } from '../emit';

// Y = ReduceSum(X, axes):  dX = broadcast(dY) to X's shape
export const reduceSumGrad: GradRule = (b, n, [dY]) => {
  if (!dY) return [null, null];
  const x = n.inputs[0]!;
  const xs = b.staticShape(x);
  const axesConst = n.inputs[1] ? b.graph.constants.get(n.inputs[1]) : undefined;
  if (n.inputs[1] && !axesConst) throw new UnsupportedGradient(n, 'axes must be a constant');
  if (attrInt(n, 'noop_with_empty_axes', 0)) throw new UnsupportedGradient(n, 'noop_with_empty_axes=1');
  const axes = normalizeAxes(axesConst ? Array.from(axesConst.data as BigInt64Array, Number) : undefined, xs.length);
  const kept = attrInt(n, 'keepdims', 1) ? dY : keepDims(b, dY, xs, axes);
  return [expandLike(b, kept, x), null];
};
