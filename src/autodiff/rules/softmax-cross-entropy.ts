import type { GradRule } from '../types';
import { UnsupportedGradient } from '../types';

// loss = mean_n −log softmax(z_n)[y_n]   (reduction 'mean', no weights, no ignore_index)
//   dz = dloss · (softmax(z) − onehot(y)) / N
// 'sum' drops the 1/N; 'none' takes a per-sample dloss[n]. Needs the log_prob output.
export const softmaxCrossEntropyGrad: GradRule = (b, n, [dLoss]) => {
  if (!dLoss) return [null, null];
  if (n.outputs.length < 2) throw new UnsupportedGradient(n, 'emit it with its log_prob output');
  if (n.inputs[2]) throw new UnsupportedGradient(n, 'class weights');
  const red = n.attrs.get('reduction');
  const reduction = red && red.kind === 'string' ? red.value : 'mean';
  const [z, labels] = n.inputs as [string, string];
  const [N, K] = b.staticShape(z) as [number, number];
  const p = b.op1('Exp', [n.outputs[1]!], {}, { name: 'softmax' });
  const onehot = b.op1('OneHot', [labels, b.ints([K], []), b.floats([0, 1])], { axis: -1 }, { name: 'onehot' });
  let d = b.op1('Sub', [p, onehot], {}, { name: 'p_minus_y' });
  if (reduction === 'none') {
    d = b.op1('Mul', [d, b.op1('Unsqueeze', [dLoss, b.ints([1])])]);
  } else {
    const factor = reduction === 'mean' ? b.op1('Mul', [dLoss, b.floats([1 / N])]) : dLoss;
    d = b.op1('Mul', [d, factor], {}, { name: 'dZ' });
  }
  return [d, null];
};
