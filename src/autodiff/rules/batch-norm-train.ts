import type { CompositeRule } from '../types';
import { float, GraphBuilder } from '../../onnx/graph';

// BatchNorm in training mode, as a composite of standard ops with its own gradient rule.
//
// Forward (per channel c, over the M = N·H·W values of the batch):
//   μ = mean(x),  xc = x − μ,  σ² = mean(xc²) (biased, as PyTorch normalises),  ŷ = xc / √(σ²+ε)
//   y = γ·ŷ + β   — emitted as ONNX BatchNormalization in inference form fed with the batch μ, σ²,
//   so ORT applies it in one fused pass.
// Outputs: y, μ [C], σ² [C] (the caller updates running statistics with them).
//
// Per-channel sums over (N, H, W) are taken in two stages — over H·W, then over N — instead of one
// ReduceSum over axes [0,2,3]: ORT accumulates a reduction sequentially in float32, and with N·H·W in
// the tens of thousands that alone put early-layer gradients ~1e-3 off PyTorch's (cascade-summed) ones.

/** Σ over axes (0, 2, 3) of an NCHW tensor in two stages; `square` sums x² instead of x. Shape [1,C,1,1]. */
export function channelSum(b: GraphBuilder, x: string, square = false, name = 'channel_sum'): string {
  const inner = b.op1(square ? 'ReduceSumSquare' : 'ReduceSum', square ? [x] : [x, b.ints([2, 3])], square ? { axes: [2, 3], keepdims: 1 } : { keepdims: 1 });
  return b.op1('ReduceSum', [inner, b.ints([0])], { keepdims: 1 }, { name });
}
/**
 * BatchNorm in training mode on NCHW `x` (static shape) with scale `gamma` and shift `beta` [C], emitted
 * as the composite above so autodiff uses its rule below. Returns y (shaped as x) and the batch mean and
 * biased variance [C].
 */
export function batchNormTrain(b: GraphBuilder, x: string, gamma: string, beta: string, eps = 1e-5): { y: string; mean: string; variance: string } {
  const [N, C, H, W] = b.staticShape(x) as [number, number, number, number];
  const M = N * H * W;
  const [y, mean, variance] = b.composite('BatchNormTrain', [x, gamma, beta], { eps, count: M }, () => {
    const mean4 = b.op1('Mul', [channelSum(b, x), b.floats([1 / M])], {}, { name: 'batch_mean' });
    const xc = b.op1('Sub', [x, mean4], {}, { name: 'centered' });
    const sumsq = channelSum(b, xc, true, 'sum_sq');
    const var4 = b.op1('Mul', [sumsq, b.floats([1 / M])], {}, { name: 'batch_var' });
    const invstd = b.op1('Reciprocal', [b.op1('Sqrt', [b.op1('Add', [var4, b.floats([eps])])])], {}, { name: 'inv_std' });
    const meanC = b.op1('Reshape', [mean4, b.ints([C])], {}, { name: 'mean' });
    const varC = b.op1('Reshape', [var4, b.ints([C])], {}, { name: 'var' });
    const out = b.op1('BatchNormalization', [x, gamma, beta, meanC, varC], { epsilon: float(eps) }, { name: 'normalize' });
    return { outputs: [out, meanC, varC], saved: { xc, invstd, gamma } };
  }) as [string, string, string];
  return { y, mean, variance };
}

// Backward, with ŷ = xc·s, s = 1/√(σ²+ε):
//   dβ = Σ dy,   dγ = s·Σ dy·xc
//   dx = γs·(dy − dβ/M − xc·s²·Σ(dy·xc)/M)  =  k1·dy + k2·xc + k3   per channel, where
//   k1 = γs,  k2 = −γs³·Σ(dy·xc)/M,  k3 = −γs·dβ/M
// The μ and σ² outputs feed only running statistics, which are not differentiated.
export const batchNormTrainGrad: CompositeRule = (b, c, [dy], needs) => {
  if (!dy) return [null, null, null];
  const [needX, needGamma, needBeta] = needs as [boolean, boolean, boolean];
  const { xc, invstd, gamma } = c.saved as { xc: string; invstd: string; gamma: string };
  const M = c.params.count!;
  const C = b.staticShape(gamma)[0]!;
  const flat = (v: string, name: string) => b.op1('Reshape', [v, b.ints([C])], {}, { name });
  // Σ dy feeds dβ and k3; Σ dy·xc and s feed dγ and k2: each is emitted only if one of them is needed.
  const dBeta = needBeta || needX ? flat(channelSum(b, dy), 'dBeta') : null;
  const dyXc = needGamma || needX ? flat(channelSum(b, b.op1('Mul', [dy, xc])), 'sum_dy_xc') : null;
  const s = needGamma || needX ? b.op1('Reshape', [invstd, b.ints([C])]) : null;
  const dGamma = needGamma ? b.op1('Mul', [dyXc!, s!], {}, { name: 'dGamma' }) : null;
  if (!needX) return [null, dGamma, needBeta ? dBeta : null];
  const gs = b.op1('Mul', [gamma, s!]);
  const k1 = gs;
  const k2 = b.op1('Mul', [b.op1('Mul', [gs, b.op1('Mul', [s!, s!])]), b.op1('Mul', [dyXc!, b.floats([-1 / M])])], {}, { name: 'k2' });
  const k3 = b.op1('Mul', [gs, b.op1('Mul', [dBeta!, b.floats([-1 / M])])], {}, { name: 'k3' });
  const as4 = (v: string) => b.op1('Reshape', [v, b.ints([1, C, 1, 1])]);
  const dx = b.op1('Add', [b.op1('Add', [b.op1('Mul', [dy, as4(k1)]), b.op1('Mul', [xc, as4(k2)])]), as4(k3)], {}, { name: 'dX' });
  return [dx, dGamma, needBeta ? dBeta : null];
};
