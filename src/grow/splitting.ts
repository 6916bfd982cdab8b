// The splitting graph of one architecture state: products S_c·v_c of every channel's splitting matrix
// with a direction, for splitting steepest descent (Liu, Wu, Wang 2019, "Splitting steepest descent
// for growing neural architectures"; docs/method.md "Baselines and Appendix C"; grow.method steepest).
//
// Splitting channel c of dense layer l into two copies with incoming kernels w_c ± ε·v (each with half
// of c's outgoing weights) changes the network's output only through
//   ½[σ(a + δ) + σ(a − δ)] − σ(a) = ½ σ''(a) δ² + O(δ⁴),   δ = ε·uᵀv at each position,
// with a the channel's BN output and u = s_c·(the input patch) = ∂a/∂w_c. So the loss changes by
//   ΔL ≈ ½ ε² vᵀ S_c v,   S_c = Σ_{n,h,w} g_y · σ''(a) · u uᵀ,   g_y = ∂L/∂y (y = σ(a)),
// and the best direction is v_min, the eigenvector of S_c's smallest eigenvalue λ_min. For ReLU σ'' is
// 0 almost everywhere; the authors (klightz/splitting, mbv1/sp_conv.py) take the second derivative of
// softplus with β = 3 in its place, σ''_β(a) = β·sig(βa)·(1 − sig(βa)), and normalise with BN's
// running statistics (eval mode). So does this graph.
//
// S_c has (C_in·k²)² entries and is never formed: with C = g_y ⊙ σ''_β(a) held constant,
//   Q(V) = ½ Σ_l Σ_{n,c,h,w} C_l ⊙ (s_l ⊙ conv(x_l, V_l))²
// has ∇_{V_l} Q with row c equal to S_c·v_c (v_c = row c of V_l), because channel c of conv(x, V)
// depends only on row c of V: ∂/∂v_c ½ Σ C (uᵀv_c)² = Σ C u uᵀ v_c.
//
// The forward is the network's with BN on running statistics, in the order conv → BN → ReLU →
// [max-pool] → [the next layer's depthwise part], which equals the network's BN → max-pool → ReLU
// (models/forward.ts) but puts y = ReLU(a) at the pre-pool positions, where a and u live: g_y is the
// gradient there (zero at the positions max-pool drops).
//
// Inputs : images, labels, every model tensor (paramSpecs), `splitting_v.<l>` per dense layer (shape
//          of l's conv weight: row c is channel c's direction v_c).
// Outputs: loss (mean cross-entropy), per layer `splitting_v.<l>_grad` (shape of l's conv weight; row c is
//          S_c·v_c); with `debug`, also `<l>.x` (the conv's input), `<l>.a` (BN output) and `<l>.g_y`.
import * as path from 'path';
import { ArchState } from '../models/arch';
import { convSpec, paramSpecs } from '../models/params';
import { IO, param as paramName, SECTION, splitSvName, splittingVName } from '../models/names';
import { emitBatchNorm, emitClassifier, emitDenseConv, emitDepthwise, runningBnScale } from '../models/forward';
import { DType, Graph, GraphBuilder } from '../onnx/graph';
import { backward } from '../autodiff/backward';
import { labelParts } from '../models/parts';
import { writeModel } from '../onnx/writer';
import { describeGraph } from '../train/graphs';
import { placed, RunPlace } from '../train/write-graphs';

/** β of the softplus whose second derivative stands in for ReLU's (the authors' value) */
export const SOFTPLUS_BETA = 3;

/** Debug outputs of layer `layer`: the conv's input x, the BN output a, and g_y = ∂L/∂ReLU(a). */
export const splittingDebugName = (layer: string, what: 'x' | 'a' | 'g_y'): string => `${layer}.${what}`;

export interface SplittingGraphOptions {
  /** also output x_l, a_l and g_y per layer (for tests that form S_c explicitly) */
  debug?: boolean;
}

/**
 * The splitting graph of `arch` for batches of `batch` images (inputs, outputs and formulas in the
 * file comment above): per dense layer l, ∇_{V_l} Q, whose row c is S_c·v_c with
 * S_c = Σ_{n,h,w} g_y σ''_β(a) u uᵀ (u = s_c·patch, s = γ/√(σ²_run + ε), β = SOFTPLUS_BETA) for the
 * batch's mean cross-entropy L. Source: Liu, Wu, Wang 2019; docs/method.md "Baselines and Appendix C".
 * @throws Error when the loss does not depend on a layer's ReLU output (a malformed architecture)
 */
export function buildSplittingGraph(arch: ArchState, batch: number, opts: SplittingGraphOptions = {}): Graph {
  const b = new GraphBuilder('splitting');
  const [C, H, W] = arch.inputShape;
  describeGraph(
    b,
    arch,
    'splitting',
    [
      `On a batch of ${batch}: the forward with BatchNorm on running statistics, conv → BN → ReLU → [max-pool], the mean cross-entropy L and g_y = ∂L/∂ReLU(a) at every layer; ` +
        `per layer the quadratic ½ Σ g_y·σ''(a)·(s·conv(x, V))² (σ'' of softplus with β = ${SOFTPLUS_BETA}, s = γ/√(σ²_run + ε)), whose gradient with respect to V has row c = S_c·v_c, the product of channel c's splitting matrix with its direction. The model tensors are only read.`,
      `Inputs: images [${batch},${C},${H},${W}], labels [${batch}], the ${paramSpecs(arch).length} model tensors, splitting_v.<layer> (shaped as the layer's conv kernel).`,
      'Outputs: loss, splitting_quadratic, per layer splitting_v.<layer>_grad (row c: S_c·v_c).',
    ],
    { 'nasgrow.batch': `${batch}` },
  );
  const images = b.input(IO.images, DType.FLOAT, [batch, C, H, W]);
  const labels = b.input(IO.labels, DType.INT64, [batch]);
  for (const s of paramSpecs(arch)) b.input(s.name, DType.FLOAT, s.shape);
  const convShape = (l: number) => convSpec(arch, arch.layers[l]!.name).shape;
  arch.layers.forEach((layer, l) => b.input(splittingVName(layer.name), DType.FLOAT, convShape(l), `direction v_c of every channel c of ${layer.name} (row c)`));
  const param = (n: string) => n;

  // Forward with running-statistics BN, conv → BN → ReLU → [max-pool] → [next depthwise].
  const layers: { name: string; x: string; a: string; y: string }[] = [];
  let h = images;
  if (arch.layers[0]!.depthwise) h = b.scope(arch.layers[0]!.name, () => emitDepthwise(b, arch, 0, images, param, 'running', null));
  arch.layers.forEach((layer, l) => {
    const x = h;
    const { a, y, out } = b.scope(layer.name, () => {
      const conv = emitDenseConv(b, arch, l, x, param(paramName.convWeight(layer.name)));
      const a = emitBatchNorm(b, conv, layer.name, 'bn', param, 'running', null);
      const y = b.op1('Relu', [a], {}, { name: 'relu' });
      // max-pool with its indices (the backward rule needs them): g_y reaches only the window maxima
      const out = layer.pool ? b.op('MaxPool', [y], { kernel_shape: [2, 2], strides: [2, 2] }, { name: 'pool', outputs: 2 })[0]! : y;
      return { a, y, out };
    });
    h = out;
    const next = arch.layers[l + 1];
    if (next?.depthwise) {
      const hin = h;
      h = b.scope(next.name, () => emitDepthwise(b, arch, l + 1, hin, param, 'running', null));
    }
    layers.push({ name: layer.name, x, a, y });
  });
  const logits = emitClassifier(b, h, param);
  const [loss] = b.scope(SECTION.loss, () => b.op('SoftmaxCrossEntropyLoss', [logits, labels], { reduction: 'mean' }, { outputs: 2, names: [IO.loss, 'log_prob'] }));
  b.output(loss!, 'mean cross-entropy of the batch (L), BN on running statistics');
  const gy = backward(b, loss!, layers.map((x) => x.y)).grads;

  // Q = ½ Σ_l Σ C_l ⊙ (s_l ⊙ conv(x_l, V_l))², C_l = g_y ⊙ σ''_β(a_l) (constant in V).
  const terms: string[] = [];
  const vs: string[] = [];
  layers.forEach((ly, l) => {
    b.scope(`${ly.name}/splitting`, () => {
      const g = gy.get(ly.y);
      if (!g) throw new Error(`splitting graph: the loss does not depend on ${ly.name}'s output`);
      // σ''_β(a) = β·sig(βa)·(1 − sig(βa)): softplus_β(a) = log(1 + e^{βa})/β, σ' = sig(βa)
      const sig = b.op1('Sigmoid', [b.op1('Mul', [ly.a, b.floats([SOFTPLUS_BETA])])], {}, { name: 'sig_beta_a' });
      const d2 = b.op1('Mul', [b.op1('Mul', [sig, b.op1('Sub', [b.floats([1]), sig])]), b.floats([SOFTPLUS_BETA])], {}, { name: 'softplus_second_derivative' });
      const coef = b.op1('Mul', [g, d2], {}, { name: 'g_y_times_d2' });
      const s = runningBnScale(b, ly.name, 'bn', param);
      const v = splittingVName(ly.name);
      // uᵀv_c at every position: s_c · conv(x, V)_c
      const uv = b.op1('Mul', [b.scope('v_conv', () => emitDenseConv(b, arch, l, ly.x, v)), s], {}, { name: 'u_dot_v' });
      const q = b.op1('ReduceSum', [b.op1('Mul', [coef, b.op1('Mul', [uv, uv])])], { keepdims: 0 }, { name: 'quadratic' });
      terms.push(q);
      vs.push(v);
      if (opts.debug) {
        b.output(b.op1('Identity', [ly.x], {}, { names: [splittingDebugName(ly.name, 'x')] }));
        b.output(b.op1('Identity', [ly.a], {}, { names: [splittingDebugName(ly.name, 'a')] }));
        b.output(b.op1('Identity', [g], {}, { names: [splittingDebugName(ly.name, 'g_y')] }));
      }
    });
  });
  const Q = b.scope(SECTION.objective, () => b.op1('Mul', [b.op1('Sum', terms), b.floats([0.5])], {}, { names: ['splitting_quadratic'] }));
  const { grads } = backward(b, Q, vs);
  arch.layers.forEach((layer) => {
    // the final gradient of V is named splitting_v.<l>_grad (splitSvName): an output as it is
    const grad = grads.get(splittingVName(layer.name));
    if (grad !== splitSvName(layer.name)) throw new Error(`splitting graph: no gradient reached ${splittingVName(layer.name)}`);
    b.output(grad, `row c: S_c·v_c of ${layer.name}'s channel c`);
  });
  return labelParts(b.finish(), arch);
}

/**
 * Write the splitting graph of `arch` (batch `batch`) as `<dir>/splitting.onnx`, one function per
 * layer part (src/onnx/writer.ts), with `place` in its metadata in a growing run; returns its path.
 */
export function writeSplittingGraph(dir: string, arch: ArchState, batch: number, place?: RunPlace): string {
  const file = path.join(dir, 'splitting.onnx');
  writeModel(placed(buildSplittingGraph(arch, batch), place), file, { functions: true });
  return file;
}
