import type { GradRule } from '../types';

// dA = dY * B, dB = dY * A
export const mulGrad: GradRule = (b, n, [dY]) => {
  if (!dY) return [null, null];
  const [A, B] = n.inputs as [string, string];
  return [b.op1('Mul', [dY, B], {}, { name: 'dA' }), b.op1('Mul', [dY, A], {}, { name: 'dB' })];
};
