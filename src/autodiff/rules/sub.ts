import type { GradRule } from '../types';

// dA = dY, dB = -dY
export const subGrad: GradRule = (b, _n, [dY]) => (dY ? [dY, b.op1('Neg', [dY], {}, { name: 'dB' })] : [null, null]);
