import type { GradRule } from '../types';

// dX = dY * (Y > 0)   (Y > 0 exactly where X > 0; the kink at 0 gets gradient 0, as in PyTorch)
// Y = max(X, 0) ≥ 0, so (Y > 0) = sign(Y): one Mul by Sign(Y) instead of Greater + Where (one pass
// over the activations fewer).
export const reluGrad: GradRule = (b, n, [dY]) => {
  if (!dY) return [null];
  const y = n.outputs[0]!;
  return [b.op1('Mul', [dY, b.op1('Sign', [y], {}, { name: 'positive' })], {}, { name: 'dX' })];
};
