import type { GradRule } from '../types';
import { attrInt, attrInts } from '../types';
import { keepDims, normalizeAxes } from '../emit';

// Y = Σ X²:  dX = 2 X * broadcast(dY)
export const reduceSumSquareGrad: GradRule = (b, n, [dY]) => {
  if (!dY) return [null];
  const x = n.inputs[0]!;
  const xs = b.staticShape(x);
  const axes = normalizeAxes(attrInts(n, 'axes'), xs.length);
  const kept = attrInt(n, 'keepdims', 1) ? dY : keepDims(b, dY, xs, axes);
  return [b.op1('Mul', [b.op1('Mul', [x, b.floats([2])]), kept], {}, { name: 'dX' })];
};
