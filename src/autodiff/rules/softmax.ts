import type { GradRule } from '../types';
import { attrInt } from '../types';

// Y = softmax(X) along axis:  dX = Y · (dY − Σ_axis dY·Y)
export const softmaxGrad: GradRule = (b, n, [dY]) => {
  if (!dY) return [null];
  const y = n.outputs[0]!;
  const axis = attrInt(n, 'axis', -1);
  const dot = b.op1('ReduceSum', [b.op1('Mul', [dY, y]), b.ints([axis])], { keepdims: 1 });
  return [b.op1('Mul', [y, b.op1('Sub', [dY, dot])], {}, { name: 'dX' })];
};
