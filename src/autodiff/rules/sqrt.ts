import type { GradRule } from '../types';

// Y = sqrt(X):  dX = dY * 0.5 / Y
export const sqrtGrad: GradRule = (b, n, [dY]) => {
  if (!dY) return [null];
  return [b.op1('Div', [b.op1('Mul', [dY, b.floats([0.5])]), n.outputs[0]!], {}, { name: 'dX' })];
};
