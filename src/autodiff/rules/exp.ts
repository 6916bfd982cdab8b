import type { GradRule } from '../types';

// Y = exp(X):  dX = dY * Y
export const expGrad: GradRule = (b, n, [dY]) => [dY ? b.op1('Mul', [dY, n.outputs[0]!], {}, { name: 'dX' }) : null];
