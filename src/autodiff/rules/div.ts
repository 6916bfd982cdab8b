import type { GradRule } from '../types';

// Y = A / B:  dA = dY / B,  dB = -dY * Y / B
export const divGrad: GradRule = (b, n, [dY]) => {
  if (!dY) return [null, null];
  const [, B] = n.inputs as [string, string];
  const Y = n.outputs[0]!;
  const dA = b.op1('Div', [dY, B], {}, { name: 'dA' });
  const dB = b.op1('Neg', [b.op1('Div', [b.op1('Mul', [dY, Y]), B])], {}, { name: 'dB' });
  return [dA, dB];
};
