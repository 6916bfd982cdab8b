import type { GradRule } from '../types';

// Y = 1/X:  dX = -dY * Y²
export const reciprocalGrad: GradRule = (b, n, [dY]) => {
  if (!dY) return [null];
  const y = n.outputs[0]!;
  return [b.op1('Neg', [b.op1('Mul', [dY, b.op1('Mul', [y, y])])], {}, { name: 'dX' })];
};
