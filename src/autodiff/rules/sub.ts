import type { GradRule } from '../types';

// dA = dY, dB = -dY
export const subGrad: GradRule = (b, _n, [dY], needs) => (dY ? [needs[0] ? dY : null, needs[1] ? b.op1('Neg', [dY], {}, { name: 'dB' }) : null] : [null, null]);
