import type { GradRule } from '../types';

// dX = -dY
export const negGrad: GradRule = (b, _n, [dY]) => [dY ? b.op1('Neg', [dY]) : null];
