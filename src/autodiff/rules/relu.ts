import type { GradRule } from '../types';

// dX = dY * (Y > 0)   (Y > 0 exactly where X > 0; the kink at 0 gets gradient 0, as in PyTorch)
export const reluGrad: GradRule = (b, n, [dY]) => {
  if (!dY) return [null];
  const y = n.outputs[0]!;
  const mask = b.op1('Greater', [y, b.floats([0])], {}, { name: 'positive' });
  return [b.op1('Where', [mask, dY, b.floats([0])], {}, { name: 'dX' })];
};
