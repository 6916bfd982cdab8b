import type { GradRule } from '../types';
import { attrInt, attrInts, UnsupportedGradient } from '../types';
import { DType, GraphBuilder, Node } from '../../onnx/graph';

// Y = conv(X, W) (+ bias), X [N,C,H,W], W [O, C/g, kh, kw], strides s, pads p, groups g.
//
// dX: stride 1 — a full correlation of dY with the flipped, in/out-transposed kernel:
//       dX = conv(dY, flip(Wᵀ), pads = k−1−p)      (measured faster than ConvTranspose here)
//     stride > 1 — ConvTranspose(dY, W) with output_padding restoring X's extent.
// dW: dW[o,c,i,j] = Σ_{n,y,x} dY[n,o,y,x] · Xpad[n,c,s·y+i,s·x+j]
//     1x1 stride 1: one batched MatMul  dW = Σ_n dY_n · X_nᵀ
//     depthwise:    one depthwise conv over N·C channels with dY as the kernels (see
//                   depthwiseWeightGrad), then Σ over n
//     dense, per shape (denseWeightGradForm): one GEMM per kernel tap, batch folded into K, or
//     otherwise:    im2col by a constant one-hot depthwise conv, then per-sample MatMuls summed
//                   over the batch (dense: cols·dYᵀ; depthwise with trailing rows skipped: one
//                   mat-vec per channel)
// dB = Σ_{n,y,x} dY
export const convGrad: GradRule = (b, n, [dY], needs) => {
  if (!dY) return n.inputs.map(() => null);
  const [X, W] = n.inputs as [string, string];
  const xs = b.staticShape(X);
  const ws = b.staticShape(W);
  const ys = b.staticShape(dY);
  const g = attrInt(n, 'group', 1);
  const k = [ws[2]!, ws[3]!];
  const s = attrInts(n, 'strides') ?? [1, 1];
  const p = attrInts(n, 'pads') ?? [0, 0, 0, 0];
  const dil = attrInts(n, 'dilations') ?? [1, 1];
  if (dil.some((d) => d !== 1)) throw new UnsupportedGradient(n, 'dilations != 1');
  if (xs.length !== 4) throw new UnsupportedGradient(n, 'only 2-D convolutions');
  const auto = n.attrs.get('auto_pad');
  if (auto && auto.kind === 'string' && auto.value !== 'NOTSET') throw new UnsupportedGradient(n, 'auto_pad (emit explicit pads)');

  const dX = needs[0] ? convInputGrad(b, n, dY, W, { xs, ws, ys, g, k, s, p }) : null;
  const dW = needs[1] ? convWeightGrad(b, n, dY, X, { xs, ws, ys, g, k, s, p }) : null;
  const out: (string | null)[] = [dX, dW];
  if (n.inputs[2]) out.push(needs[2] ? b.op1('ReduceSum', [dY, b.ints([0, 2, 3])], { keepdims: 0 }, { name: 'dB' }) : null);
  return out;
};

export interface Geometry {
  xs: number[];
  ws: number[];
  ys: number[];
  g: number;
  k: number[];
  s: number[];
  p: number[];
}

/** W [O, C/g, kh, kw] → the kernel of the adjoint convolution [C, O/g, kh, kw], spatially flipped. */
function adjointKernel(b: GraphBuilder, W: string, ws: number[], g: number): string {
  const [O, Cg, kh, kw] = ws as [number, number, number, number];
  let t: string;
  if (Cg === 1 && O === g) {
    t = W; // depthwise: [C,1,k,k] is its own transpose
  } else if (g === 1) {
    t = b.op1('Transpose', [W], { perm: [1, 0, 2, 3] }, { name: 'kernel_T' });
  } else {
    const r = b.op1('Reshape', [W, b.ints([g, O / g, Cg, kh, kw])]);
    const tr = b.op1('Transpose', [r], { perm: [0, 2, 1, 3, 4] });
    t = b.op1('Reshape', [tr, b.ints([g * Cg, O / g, kh, kw])], {}, { name: 'kernel_T' });
  }
  const big = 2 ** 62;
  return b.op1('Slice', [t, b.ints([-1, -1]), b.ints([-big, -big]), b.ints([2, 3]), b.ints([-1, -1])], {}, { name: 'kernel_flip' });
}

function convInputGrad(b: GraphBuilder, n: Node, dY: string, W: string, geo: Geometry): string {
  const { xs, ys, g, k, s, p } = geo;
  if (s[0] === 1 && s[1] === 1) {
    const pads = [k[0]! - 1 - p[0]!, k[1]! - 1 - p[1]!, k[0]! - 1 - p[2]!, k[1]! - 1 - p[3]!];
    if (pads.every((q) => q >= 0)) {
      const kernel = adjointKernel(b, W, geo.ws, g);
      const dX = b.op1('Conv', [dY, kernel], { group: g, kernel_shape: k, pads, strides: [1, 1] }, { name: 'dX' });
      const got = b.staticShape(dX);
      if (got[2] === xs[2] && got[3] === xs[3]) return dX;
    }
  }
  // ConvTranspose output = s·(Ho−1) + k − p_begin − p_end + output_padding: choose output_padding
  // so it equals X's extent (the rows a strided conv skipped get zero gradient, as they should).
  const outPad = [0, 1].map((i) => xs[2 + i]! - (s[i]! * (ys[2 + i]! - 1) + k[i]! - p[i]! - p[i + 2]!));
  if (outPad.some((q) => q < 0 || q >= s[0]!)) throw new UnsupportedGradient(n, `no ConvTranspose restores input extent (output_padding ${outPad})`);
  return b.op1('ConvTranspose', [dY, W], { group: g, kernel_shape: k, output_padding: outPad, pads: p, strides: s }, { name: 'dX' });
}

function convWeightGrad(b: GraphBuilder, n: Node, dY: string, X: string, geo: Geometry): string {
  const { xs, ws, ys, g, k, s, p } = geo;
  const [N, C] = xs as [number, number];
  const [O] = ws as [number];
  const [, , Ho, Wo] = ys as [number, number, number, number];
  const depthwise = ws[1] === 1 && O === g && C === g;
  if (!depthwise && g !== 1) throw new UnsupportedGradient(n, `grouped convolution with group=${g} (only dense and depthwise)`);
  const unitKernel = k[0] === 1 && k[1] === 1 && s[0] === 1 && s[1] === 1 && p.every((q) => q === 0);
  if (unitKernel && !depthwise) {
    // dW[o,c] = Σ_n Σ_hw dY[n,o,hw] X[n,c,hw]
    const dYr = b.op1('Reshape', [dY, b.ints([N, O, Ho * Wo])]);
    const Xt = b.op1('Transpose', [b.op1('Reshape', [X, b.ints([N, C, Ho * Wo])])], { perm: [0, 2, 1] });
    const perSample = b.op1('MatMul', [dYr, Xt], {}, { name: 'dW_per_sample' });
    const dW = b.op1('ReduceSum', [perSample, b.ints([0])], { keepdims: 0 });
    return b.op1('Reshape', [dW, b.ints(ws)], {}, { name: 'dW' });
  }
  if (depthwise) {
    const dW = depthwiseWeightGrad(b, dY, X, geo);
    if (dW) return dW;
  }
  if (!depthwise) {
    const form = denseWeightGradForm(geo);
    if (form.form !== 'im2col') return tapWeightGrad(b, dY, X, geo, form);
  }
  // cols[n, c·kk + t, y, x] = Xpad[n, c, s·y + i_t, s·x + j_t] for each kernel tap t = (i_t, j_t):
  // a depthwise conv of X with constant one-hot kernels, which ORT runs on its fast constant-weight
  // path — measured ~3x faster than im2col by Pad/Transpose/Slice/Concat (bench/layer-dw.ts).
  const kk = k[0]! * k[1]!;
  const taps = b.op1('Conv', [X, oneHotTaps(b, C, k)], { group: C, kernel_shape: k, pads: p, strides: s }, { name: 'im2col' });
  if (depthwise) {
    // dW[c,0,i,j] = Σ_{n,y,x} cols[n,c,t,(y,x)] · dY[n,c,(y,x)]: a batched mat-vec, then Σ over n
    const cols = b.op1('Reshape', [taps, b.ints([N, C, kk, Ho * Wo])]);
    const dYcol = b.op1('Reshape', [dY, b.ints([N, C, Ho * Wo, 1])]);
    const perSample = b.op1('MatMul', [cols, dYcol], {}, { name: 'dW_per_sample' });
    return b.op1('Reshape', [b.op1('ReduceSum', [perSample, b.ints([0])], { keepdims: 0 }), b.ints(ws)], {}, { name: 'dW' });
  }
  // dWᵀ[(c,t), o] = Σ_n cols_n · dY_nᵀ   (dY is transposed rather than the k²-times larger cols)
  const cols = b.op1('Reshape', [taps, b.ints([N, C * kk, Ho * Wo])]);
  const dYt = b.op1('Transpose', [b.op1('Reshape', [dY, b.ints([N, O, Ho * Wo])])], { perm: [0, 2, 1] }, { name: 'dY_T' });
  const perSample = b.op1('MatMul', [cols, dYt], {}, { name: 'dW_per_sample' });
  const dWt = b.op1('ReduceSum', [perSample, b.ints([0])], { keepdims: 0 });
  return b.op1('Reshape', [b.op1('Transpose', [dWt], { perm: [1, 0] }), b.ints(ws)], {}, { name: 'dW', doc: `dense dW by one-hot im2col: ${denseWeightGradForm(geo).why}` });
}

/** How a dense conv's weight gradient is emitted, and why (the reason lands in the dW node's doc). */
export interface DenseWeightGradForm {
  /** 'im2col': one-hot im2col conv + per-sample MatMul, Σ over n; 'taps': one GEMM per kernel tap
   *  with the batch folded into the reduction (K = N·Ho·Wo) */
  form: 'im2col' | 'taps';
  why: string;
}

/**
 * The dense dW form for a conv of this geometry, by the measurements in
 * docs/performance.md#conv-weight-gradient (bench/dense-dw.ts, batch 64, 3x3 pad 1, quiet machine).
 * The one-hot im2col's grouped conv runs ORT's plain path, one small GEMM per input channel, and wins
 * or ties wherever the maps are 8x8 or larger; the taps win on the smallest maps, where each
 * per-channel GEMM has almost nothing to do (2x2: 0.45 against 0.63–1.04 ms at 16–21 channels, 1.5
 * against 3.7 ms at 64), and at 4x4 with many channels (64: 2.2–2.5 against 2.8–3.8 ms).
 * NASGROW_DENSE_DW=im2col|taps forces one form (bench, tests).
 */
export function denseWeightGradForm(geo: Geometry): DenseWeightGradForm {
  const forced = process.env.NASGROW_DENSE_DW;
  if (forced === 'im2col' || forced === 'taps') return { form: forced, why: 'forced by NASGROW_DENSE_DW' };
  const [, C] = geo.xs as [number, number];
  const [, , Ho, Wo] = geo.ys as [number, number, number, number];
  const where = `${C} input channels, ${Ho}x${Wo} output`;
  if (C < 8) return { form: 'im2col', why: `${where}: the taps' GEMMs would be too narrow` };
  if (Ho * Wo <= 4) return { form: 'taps', why: `${where}: on the smallest maps one GEMM per tap beats im2col's per-channel GEMMs` };
  if (Ho * Wo <= 16 && C >= 48) return { form: 'taps', why: `${where}: small maps and many channels, one GEMM per tap beats im2col's per-channel GEMMs` };
  return { form: 'im2col', why: `${where}: im2col's per-channel GEMMs win or tie on maps of 8x8 and more` };
}

/**
 * Dense dW one kernel tap at a time, the batch folded into the GEMM's reduction: for tap t = (i, j),
 *   dW[:, :, i, j] = Σ_{n,y,x} dY[n, :, y, x] · Xpad[n, :, s·y + i, s·x + j]ᵀ  =  dYᵀ [O, N·Ho·Wo] · tap_t
 * with X padded and moved to NHWC once, and tap_t its strided Slice [N, Ho, Wo, C] viewed as
 * [N·Ho·Wo, C]. The k² results [O, C] are stacked into [O, C, kh, kw].
 */
function tapWeightGrad(b: GraphBuilder, dY: string, X: string, geo: Geometry, form: DenseWeightGradForm): string {
  const { xs, ws, ys, k, s, p } = geo;
  const [N, C] = xs as [number, number];
  const [O] = ws as [number];
  const [, , Ho, Wo] = ys as [number, number, number, number];
  const padded = p.some((q) => q !== 0) ? b.op1('Pad', [X, b.ints([0, 0, p[0]!, p[1]!, 0, 0, p[2]!, p[3]!])], { mode: 'constant' }, { name: 'X_padded' }) : X;
  const nhwc = b.op1('Transpose', [padded], { perm: [0, 2, 3, 1] }, { name: 'X_nhwc' });
  const dYt = b.op1('Reshape', [b.op1('Transpose', [dY], { perm: [1, 0, 2, 3] }), b.ints([O, N * Ho * Wo])], {}, { name: 'dY_T' });
  const taps: string[] = [];
  for (let i = 0; i < k[0]!; i++) {
    for (let j = 0; j < k[1]!; j++) {
      const tap = b.op1('Slice', [nhwc, b.ints([i, j]), b.ints([i + s[0]! * (Ho - 1) + 1, j + s[1]! * (Wo - 1) + 1]), b.ints([1, 2]), b.ints(s)], {}, { name: `tap_${i}_${j}` });
      const dWt = b.op1('MatMul', [dYt, b.op1('Reshape', [tap, b.ints([N * Ho * Wo, C])])], {}, { name: `dW_tap_${i}_${j}` });
      taps.push(b.op1('Unsqueeze', [dWt, b.ints([2])]));
    }
  }
  const stacked = taps.length === 1 ? taps[0]! : b.op1('Concat', taps, { axis: 2 });
  return b.op1('Reshape', [stacked, b.ints(ws)], {}, { name: 'dW', doc: `dense dW by per-tap GEMMs: ${form.why}` });
}

/**
 * Depthwise dW as one depthwise conv whose kernels are dY: for each (n, c),
 *   dW_n[c,0,i,j] = Σ_{y,x} Xpad[n,c,i + s·y, j + s·x] · dY[n,c,y,x]
 * is a correlation of Xpad[n,c] with dY[n,c] dilated by s, evaluated at the k×k offsets (i, j). So X
 * viewed as [1, N·C, H, W], convolved with group N·C by the kernels dY as [N·C, 1, Ho, Wo] (dilations
 * s, the forward's begin pads, end pads chosen for a k×k output), gives [1, N·C, kh, kw]; Σ over n
 * gives dW. On the CPU this conv runs on ORT's blocked depthwise kernel (src/runtime/nchwc.ts):
 * measured 3–4x faster than the batched mat-vecs at MobileNetV1's stride-1 layers (docs/performance.md).
 * @returns dW [C, 1, kh, kw], or null when the end pads would be negative (the forward conv skips
 *   trailing rows: the caller's im2col form handles that).
 */
function depthwiseWeightGrad(b: GraphBuilder, dY: string, X: string, geo: Geometry): string | null {
  const { xs, ws, ys, k, s, p } = geo;
  const [N, C, H, W] = xs as [number, number, number, number];
  const [, , Ho, Wo] = ys as [number, number, number, number];
  // output extent = H + p_begin + p_end − s·(Ho − 1), which must be k
  const end = [k[0]! + s[0]! * (Ho - 1) - H - p[0]!, k[1]! + s[1]! * (Wo - 1) - W - p[1]!];
  if (end.some((q) => q < 0)) return null;
  const x = b.op1('Reshape', [X, b.ints([1, N * C, H, W])], {}, { name: 'X_as_channels' });
  const kernels = b.op1('Reshape', [dY, b.ints([N * C, 1, Ho, Wo])], {}, { name: 'dY_as_kernels' });
  const perSample = b.op1('Conv', [x, kernels], { group: N * C, kernel_shape: [Ho, Wo], dilations: s, pads: [p[0]!, p[1]!, end[0]!, end[1]!] }, { name: 'dW_per_sample' });
  const dW = b.op1('ReduceSum', [b.op1('Reshape', [perSample, b.ints([N, C, k[0]!, k[1]!])]), b.ints([0])], { keepdims: 0 });
  return b.op1('Reshape', [dW, b.ints(ws)], {}, { name: 'dW' });
}

/** Constant [C·kh·kw, 1, kh, kw] kernels, one per (channel, tap), each a single 1 at its tap. */
function oneHotTaps(b: GraphBuilder, C: number, k: number[]): string {
  const name = `one_hot_taps_${C}x${k[0]}x${k[1]}`;
  if (b.graph.initializers.has(name)) return name;
  const kk = k[0]! * k[1]!;
  const data = new Float32Array(C * kk * kk);
  for (let c = 0; c < C; c++) for (let t = 0; t < kk; t++) data[(c * kk + t) * kk + t] = 1;
  return b.constant(name, { dtype: DType.FLOAT, shape: [C * kk, 1, k[0]!, k[1]!], data }, 'im2col as a convolution: output channel c·k²+t copies channel c shifted by kernel tap t');
}
