import type { GradRule } from '../types';

// Reshape, Flatten, Squeeze, Unsqueeze only move the same elements: dX = reshape(dY, shape(X))
export const reshapeGrad: GradRule = (b, n, [dY]) => {
  const out: (string | null)[] = n.inputs.map(() => null);
  if (dY) out[0] = b.op1('Reshape', [dY, b.ints(b.staticShape(n.inputs[0]!))], {}, { name: 'dX' });
  return out;
};
