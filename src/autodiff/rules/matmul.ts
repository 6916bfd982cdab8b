import { UnsupportedGradient, type GradRule } from '../types';
import type { GraphBuilder } from '../../onnx/graph';

function swapLast(b: GraphBuilder, v: string): string {
  const r = b.staticShape(v).length;
  const perm = Array.from({ length: r }, (_, i) => i);
  perm[r - 1] = r - 2;
  perm[r - 2] = r - 1;
  return b.op1('Transpose', [v], { perm });
}

// Y = A·B (batched over leading axes):  dA = dY·Bᵀ,  dB = Aᵀ·dY   (walker sums broadcast batch axes)
export const matmulGrad: GradRule = (b, n, [dY], needs) => {
  if (!dY) return [null, null];
  const [A, B] = n.inputs as [string, string];
  if (b.staticShape(A).length < 2 || b.staticShape(B).length < 2) throw new UnsupportedGradient(n, '1-D operands (give both operands at least two dimensions)');
  return [needs[0] ? b.op1('MatMul', [dY, swapLast(b, B)], {}, { name: 'dA' }) : null, needs[1] ? b.op1('MatMul', [swapLast(b, A), dY], {}, { name: 'dB' }) : null];
};
