import type { GradRule } from '../types';
import { attrInt } from '../types';

// Y = log softmax(X) along axis:  dX = dY − exp(Y) · Σ_axis dY
export const logSoftmaxGrad: GradRule = (b, n, [dY]) => {
  if (!dY) return [null];
  const axis = attrInt(n, 'axis', -1);
  const total = b.op1('ReduceSum', [dY, b.ints([axis])], { keepdims: 1 });
  const p = b.op1('Exp', [n.outputs[0]!], {}, { name: 'softmax' });
  return [b.op1('Sub', [dY, b.op1('Mul', [p, total])], {}, { name: 'dX' })];
};
