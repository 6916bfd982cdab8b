import type { GradRule } from '../types';

// Y = log(X):  dX = dY / X
export const logGrad: GradRule = (b, n, [dY]) => [dY ? b.op1('Div', [dY, n.inputs[0]!], {}, { name: 'dX' }) : null];
