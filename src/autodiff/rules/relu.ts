import type { GradRule } from '../types';
import { DType } from '../../onnx/ir';

// dX = dY * (Y > 0)   (Y > 0 exactly where X > 0; the kink at 0 gets gradient 0, as in PyTorch)
// The mask is Cast(Greater(Y, 0)) to float: measured faster than Mul by Sign(Y) (ORT's Sign is not
// vectorised) and than Where(Greater(Y, 0), dY, 0): 4.3 against 5.6 and 5.8 ms on [64,32,32,32]
// (docs/performance.md#relu-mask).
export const reluGrad: GradRule = (b, n, [dY]) => {
  if (!dY) return [null];
  const y = n.outputs[0]!;
  const positive = b.op1('Cast', [b.op1('Greater', [y, b.floats([0])])], { to: DType.FLOAT }, { name: 'positive' });
  return [b.op1('Mul', [dY, positive], {}, { name: 'dX' })];
};
