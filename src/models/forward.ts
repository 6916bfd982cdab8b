// The forward pass of an architecture state, emitted into a graph under construction.
//
// Nodes are named by layer (`conv3/conv/Conv`, `block2/dw/...`) so each layer reads as a group in
// Netron. In 'train' mode BatchNorm normalises with batch statistics (a composite with its own
// gradient rule) and max-pool also emits its argmax indices for the backward pass; in 'eval' mode BN
// uses the running statistics (one ONNX BatchNormalization, which has no gradient rule); in 'running'
// mode BN uses the running statistics too, written out as a = (c − μ_run)·s + β with
// s = γ/√(σ²_run + ε) per channel so that autodiff can go through it, and max-pool emits its indices
// (the splitting graph, src/grow/splitting.ts: eval-mode BN as the splitting steepest descent authors use).
//
// The pass is organised around the morphisms' unit: for dense layer l,
//   x_l  = the input of l's dense conv
//   c_l  = conv(x_l, W_l)
//   z_l  = tail_l(c_l): l's BN → [max-pool] → ReLU, then — MobileNet — the next layer's depthwise
//          conv → BN → ReLU; everything channel-wise up to the next dense op (the next conv, or the
//          classifier's global pool for the last layer).
// so x_{l+1} = z_l. `emitTail` re-emits tail_l on another conv output (a morphism branch).
import { ArchState } from './arch';
import { BnKind, CLASSIFIER, param as paramName } from './names';
import { GraphBuilder, float } from '../onnx/graph';
import { batchNormTrain } from '../autodiff/rules/batch-norm-train';

export const BN_EPS = 1e-5;

export type ForwardMode = 'train' | 'eval' | 'running';

export interface BatchStats {
  /** the dense layer and which of its BatchNorms */
  layer: string;
  kind: BnKind;
  mean: string;
  variance: string;
  /** number of values each statistic averages (N·H·W) */
  count: number;
}

export interface ForwardResult {
  logits: string;
  /** train mode: the batch statistics of every BN, for the running-statistics update */
  batchStats: BatchStats[];
  /** per dense layer: input of its dense conv (x_l), the conv's output (c_l) and the tail's output (z_l) */
  layers: { name: string; x: string; conv: string; z: string }[];
}

export type Param = (name: string) => string;

/**
 * s = γ/√(σ²_run + ε) of `layer`'s BatchNorm `kind`, shaped [1, C, 1, 1] to broadcast over NCHW: the
 * per-channel factor by which BN on running statistics scales its input (∂a/∂c), in the current scope.
 */
export function runningBnScale(b: GraphBuilder, layer: string, kind: BnKind, param: Param): string {
  const bn = (t: 'weight' | 'running_var') => param(paramName.bn(layer, kind, t));
  const s = b.op1('Div', [bn('weight'), b.op1('Sqrt', [b.op1('Add', [bn('running_var'), b.floats([BN_EPS])])])], {}, { name: 'bn_scale' });
  return b.op1('Reshape', [s, b.ints([1, -1, 1, 1])], {}, { name: 'bn_scale_nchw' });
}

/** `layer`'s BatchNorm `kind` of `x` in `mode` (see the file comment), under the scope `kind`. */
export function emitBatchNorm(b: GraphBuilder, x: string, layer: string, kind: BnKind, param: Param, mode: ForwardMode, stats: BatchStats[] | null): string {
  const bn = (t: 'weight' | 'bias' | 'running_mean' | 'running_var') => param(paramName.bn(layer, kind, t));
  return b.scope(kind, () => {
    if (mode === 'running') {
      // a = (c − μ_run)·s + β, the inference form of BN in ops that have gradient rules
      const nchw = (v: string) => b.op1('Reshape', [v, b.ints([1, -1, 1, 1])]);
      const centred = b.op1('Sub', [x, nchw(bn('running_mean'))], {}, { name: 'centre' });
      return b.op1('Add', [b.op1('Mul', [centred, runningBnScale(b, layer, kind, param)], {}, { name: 'scale' }), nchw(bn('bias'))], {}, { name: 'shift' });
    }
    if (mode === 'train') {
      const r = batchNormTrain(b, x, bn('weight'), bn('bias'), BN_EPS);
      const [N, , H, W] = b.staticShape(x) as [number, number, number, number];
      stats?.push({ layer, kind, mean: r.mean, variance: r.variance, count: N * H * W });
      return r.y;
    }
    return b.op1(
      'BatchNormalization',
      [x, bn('weight'), bn('bias'), bn('running_mean'), bn('running_var')],
      { epsilon: float(BN_EPS) },
      { name: 'BatchNormalization' },
    );
  });
}

/** The depthwise part of a MobileNet layer (applied to the layer's input): dw conv → BN → ReLU, in the
 *  current scope (the caller names it). */
export function emitDepthwise(b: GraphBuilder, arch: ArchState, l: number, x: string, param: Param, mode: ForwardMode, stats: BatchStats[] | null): string {
  const layer = arch.layers[l]!;
  const s = layer.depthwise!.stride;
  const cin = b.shape(x)[1] as number;
  const dw = b.scope('dw', () =>
    b.op1('Conv', [x, param(paramName.depthwiseWeight(layer.name))], { group: cin, kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [s, s] }, { doc: 'depthwise 3x3 conv' }),
  );
  return b.op1('Relu', [emitBatchNorm(b, dw, layer.name, 'dw_bn', param, mode, stats)], {}, { name: 'dw_relu' });
}

/** Layer l's dense conv of `x` with kernel `weight` (a parameter, or W ± Θ in a morphism branch). */
export function emitDenseConv(b: GraphBuilder, arch: ArchState, l: number, x: string, weight: string): string {
  const layer = arch.layers[l]!;
  const pad = (layer.kernel - 1) / 2;
  return b.scope('conv', () =>
    b.op1('Conv', [x, weight], { kernel_shape: [layer.kernel, layer.kernel], pads: [pad, pad, pad, pad], strides: [layer.stride, layer.stride] }),
  );
}

/**
 * tail_l: layer l's channel-wise ops after its conv, up to the next dense op (see the file comment).
 * In the network (`branch` false) l's own ops sit under `<l>/` and the next layer's depthwise part
 * under `<l+1>/`, the layer whose parameters it reads. In a morphism branch (`branch` true) the
 * caller's scope already names the layer (`conv3/morphisms/split_plus`): l's ops go straight under it
 * and the next layer's depthwise part under `next/`, so no name repeats a layer prefix.
 */
export function emitTail(b: GraphBuilder, arch: ArchState, l: number, conv: string, param: Param, mode: ForwardMode, stats: BatchStats[] | null = null, branch = false): string {
  const layer = arch.layers[l]!;
  const own = () => {
    let x = emitBatchNorm(b, conv, layer.name, 'bn', param, mode, stats);
    // MaxPool(ReLU(x)) = ReLU(MaxPool(x)) (both monotone, ReLU elementwise), so pool first: ReLU and its
    // backward then touch a quarter of the elements. Gradients agree too (the max's position is the
    // same; where the window's max is ≤ 0 both give 0).
    if (layer.pool) x = b.op('MaxPool', [x], { kernel_shape: [2, 2], strides: [2, 2] }, { name: 'pool', outputs: mode === 'eval' ? 1 : 2 })[0]!;
    return b.op1('Relu', [x], {}, { name: 'relu' });
  };
  let h = branch ? own() : b.scope(layer.name, own);
  const next = arch.layers[l + 1];
  if (next?.depthwise) {
    const x = h;
    h = b.scope(branch ? 'next' : next.name, () => emitDepthwise(b, arch, l + 1, x, param, mode, stats));
  }
  return h;
}

/** `param(name)` returns the graph value holding parameter `name` (an input or an initializer). */
export function emitForward(b: GraphBuilder, arch: ArchState, images: string, param: Param, mode: ForwardMode): ForwardResult {
  const batchStats: BatchStats[] = [];
  const layers: ForwardResult['layers'] = [];
  let h = images;
  if (arch.layers[0]!.depthwise) h = b.scope(arch.layers[0]!.name, () => emitDepthwise(b, arch, 0, images, param, mode, batchStats));
  arch.layers.forEach((layer, l) => {
    const x = h;
    const conv = b.scope(layer.name, () => emitDenseConv(b, arch, l, x, param(paramName.convWeight(layer.name))));
    h = emitTail(b, arch, l, conv, param, mode, batchStats);
    layers.push({ name: layer.name, x, conv, z: h });
  });
  return { logits: emitClassifier(b, h, param), batchStats, layers };
}

/** The classifier on the last layer's output `h`: global average pool, then logits = x·Wᵀ + b. */
export function emitClassifier(b: GraphBuilder, h: string, param: Param): string {
  return b.scope(CLASSIFIER, () => {
    const pooled = b.op1('GlobalAveragePool', [h], {}, { name: 'global_pool' });
    const flat = b.op1('Flatten', [pooled], { axis: 1 });
    return b.op1('Gemm', [flat, param(paramName.fcWeight), param(paramName.fcBias)], { transB: 1 }, { name: 'Gemm', doc: 'classifier: logits = x·Wᵀ + b' });
  });
}
