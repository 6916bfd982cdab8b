import type { GradRule } from '../types';
import { attrInts } from '../types';

// Y = transpose(X, perm):  dX = transpose(dY, perm⁻¹)
export const transposeGrad: GradRule = (b, n, [dY]) => {
  if (!dY) return [null];
  const rank = b.staticShape(n.inputs[0]!).length;
  const perm = attrInts(n, 'perm') ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
  const inverse = new Array<number>(rank);
  perm.forEach((p, i) => (inverse[p] = i));
  return [b.op1('Transpose', [dY], { perm: inverse }, { name: 'dX' })];
};
