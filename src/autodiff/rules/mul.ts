import type { GradRule } from '../types';

// dA = dY * B, dB = dY * A
export const mulGrad: GradRule = (b, n, [dY], needs) => {
  if (!dY) return [null, null];
  const [A, B] = n.inputs as [string, string];
  return [needs[0] ? b.op1('Mul', [dY, B], {}, { name: 'dA' }) : null, needs[1] ? b.op1('Mul', [dY, A], {}, { name: 'dB' }) : null];
};
