import type { GradRule } from '../types';
import { UnsupportedGradient } from '../types';
import { DType } from '../../onnx/graph';

// Y, I = MaxPool(X): I holds, per output, the flat (N·C·H·W) index of the chosen input element.
//   dX = scatter-add of dY into zeros at I   (each gradient goes to exactly the element that won,
//   so ties after ReLU do not split or duplicate it)
export const maxPoolGrad: GradRule = (b, n, [dY]) => {
  if (!dY) return [null];
  if (n.outputs.length < 2) throw new UnsupportedGradient(n, 'emit MaxPool with its Indices output');
  const xs = b.staticShape(n.inputs[0]!);
  const total = xs.reduce((a, d) => a * d, 1);
  const zeros = b.op1('ConstantOfShape', [b.ints([total])], { value: { kind: 'tensor', value: { dtype: DType.FLOAT, shape: [1], data: new Float32Array([0]) } } }, { name: 'zeros' });
  const idx = b.op1('Reshape', [n.outputs[1]!, b.ints([-1])]);
  const upd = b.op1('Reshape', [dY, b.ints([-1])]);
  const flat = b.op1('ScatterElements', [zeros, idx, upd], { axis: 0, reduction: 'add' }, { name: 'scatter' });
  return [b.op1('Reshape', [flat, b.ints(xs)], {}, { name: 'dX' })];
};
