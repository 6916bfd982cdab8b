import type { GradRule } from '../types';
import { attrFloat, attrInt } from '../types';
import { scale } from '../emit';
import { float, type AttrInput } from '../../onnx/graph';

// Y = α·op(A)·op(B) + β·C, op = optional transpose.
//   no transA:  dA = α·dY·op(B)ᵀ          transA:  dA = α·op(B)·dYᵀ
//   no transB:  dB = α·op(A)ᵀ·dY          transB:  dB = α·dYᵀ·op(A)
//   dC = β·dY (walker reduces the broadcast)
export const gemmGrad: GradRule = (b, n, [dY], needs) => {
  if (!dY) return n.inputs.map(() => null);
  const [A, B] = n.inputs as [string, string];
  const tA = attrInt(n, 'transA', 0);
  const tB = attrInt(n, 'transB', 0);
  const alpha = attrFloat(n, 'alpha', 1);
  const beta = attrFloat(n, 'beta', 1);
  const a: Record<string, AttrInput> = alpha === 1 ? {} : { alpha: float(alpha) };
  const dA = !needs[0]
    ? null
    : tA
    ? b.op1('Gemm', [B, dY], { ...a, transA: tB, transB: 1 }, { name: 'dA' })
    : b.op1('Gemm', [dY, B], { ...a, transA: 0, transB: tB ? 0 : 1 }, { name: 'dA' });
  const dB = !needs[1]
    ? null
    : tB
    ? b.op1('Gemm', [dY, A], { ...a, transA: 1, transB: tA }, { name: 'dB' })
    : b.op1('Gemm', [A, dY], { ...a, transA: tA ? 0 : 1, transB: 0 }, { name: 'dB' });
  const out: (string | null)[] = [dA, dB];
  if (n.inputs[2]) out.push(!needs[2] ? null : beta === 1 ? dY : scale(b, dY, beta));
  return out;
};
