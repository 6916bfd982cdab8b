import type { GradRule } from '../types';

// Y = A / B:  dA = dY / B,  dB = -dY * Y / B
export const divGrad: GradRule = (b, n, [dY], needs) => {
  if (!dY) return [null, null];
  const [, B] = n.inputs as [string, string];
  const Y = n.outputs[0]!;
  const dA = needs[0] ? b.op1('Div', [dY, B], {}, { name: 'dA' }) : null;
  const dB = needs[1] ? b.op1('Neg', [b.op1('Div', [b.op1('Mul', [dY, Y]), B])], {}, { name: 'dB' }) : null;
  return [dA, dB];
};
