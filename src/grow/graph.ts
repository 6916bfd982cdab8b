// The growing step of one architecture state: morphism parameters, Gauss-Newton loss heads and Adam.
//
// For every dense layer l with weight W (all channels at once):
//   base:    the network in training mode (batch statistics); L̂ the batch's mean loss; z_l the
//            layer's output at the next dense op (models/forward.ts); g_l = ∂L̂/∂z_l.
//   branches: the layer run with W + Θ and with W − Θ, through its own channel-wise tail with the
//            branch's own BN batch statistics (what a split channel sees once applied): z⁺, z⁻.
//            conv(x, W ± Θ) is computed as conv(x, W) ± conv(x, Θ), reusing the base's conv.
//   split c: the two copies each get half of c's outgoing weights, so the next layer sees
//            Δz_c = ½(z⁺_c + z⁻_c) − z_c,       s_c = Σ_{n,h,w} Δz_c · g_c = ½Σ(z⁺+z⁻)·g − Σ z·g
//   prune c: removing the channel,  Δz_c = −z_c,  s_c = −Σ z_c · g_c
//   Gauss-Newton:  ΔL_GN = s + s² / (4 L̂)   (per mini-batch; per sample: mean_i s_i + s_i²/(4 L_i))
// θ is learned by Adam on Σ_c ΔL_GN(θ_c) with g and L̂ held constant (they do not depend on Θ, so the
// autodiff walker never enters them). Model parameters are frozen; no running statistics change.
//
// Inputs : images, labels, every parameter, `theta.<l>` (shape of l's conv weight), `adam_m.<l>`,
//          `adam_v.<l>`, `adam_step` (t ≥ 1, float), `theta_lr`.
// Outputs: loss, and per layer `<l>.split_s`, `<l>.split_gn`, `<l>.prune_s`, `<l>.prune_gn` [width],
//          `theta.<l>.next`, `adam_m.<l>.next`, `adam_v.<l>.next`.
import * as path from 'path';
import { ArchState } from '../models/arch';
import { convSpec, paramSpecs } from '../models/params';
import { adamMName, adamVName, estimateName, IO, nextName, SECTION, thetaName } from '../models/names';
import { emitDenseConv, emitForward, emitTail } from '../models/forward';
import { HEAD_SCOPE, labelParts, PART_SCOPE } from '../models/parts';
import { DType, Graph, GraphBuilder } from '../onnx/graph';
import { writeModel } from '../onnx/writer';
import { describeGraph } from '../train/graphs';
import { placed, RunPlace } from '../train/write-graphs';
import { backward } from '../autodiff/backward';
import { channelSum } from '../autodiff/rules/batch-norm-train';

export type Granularity = 'batch' | 'sample';

export const ADAM = { beta1: 0.9, beta2: 0.999, eps: 1e-8 };

export interface GrowGraphOptions {
  granularity: Granularity;
}

/** Per-sample loss L_i = softplus(logsumexp_{j≠y}(z_j − z_y)): exact where float32 CE rounds to 0. */
function perSampleLoss(b: GraphBuilder, logits: string, labels: string, classes: number): string {
  const onehot = b.op1('OneHot', [labels, b.ints([classes], []), b.floats([0, 1])], { axis: -1 }, { name: 'onehot' });
  const zy = b.op1('ReduceSum', [b.op1('Mul', [logits, onehot]), b.ints([1])], { keepdims: 1 }, { name: 'label_logit' });
  const others = b.op1('Add', [b.op1('Sub', [logits, zy]), b.op1('Mul', [onehot, b.floats([-1e30])])], {}, { name: 'margins' });
  const lse = b.op1('ReduceLogSumExp', [others], { axes: [1], keepdims: 0 });
  return b.op1('Softplus', [lse], {}, { name: 'per_sample_loss' });
}

/**
 * The growing step of `arch` for batches of `batch` images (inputs, outputs and formulas in the file
 * comment above; the method in docs/method.md#gauss-newton-estimate and #learning-theta): per dense
 * layer the split and prune estimates of every channel, and one Adam step on θ of the Gauss-Newton
 * objective, at `opts.granularity` (per mini-batch or per sample).
 * @throws Error when the loss does not depend on a layer's output (a malformed architecture)
 */
export function buildGrowGraph(arch: ArchState, batch: number, opts: GrowGraphOptions): Graph {
  const b = new GraphBuilder('grow_step');
  const [C, H, W] = arch.inputShape;
  describeGraph(
    b,
    arch,
    'grow',
    [
      `One step on a batch of ${batch}: forward with BatchNorm on batch statistics, the mean cross-entropy L̂ and its gradient g at every layer's output; ` +
        `per layer the split morphism branches (the layer run with W+Θ and W−Θ), the split and prune estimates s and ΔL_GN = s + s²/4L̂ of every channel ` +
        `(Gauss-Newton heads, per ${opts.granularity === 'batch' ? 'mini-batch' : 'sample'}), the gradient of Σ ΔL_GN with respect to θ and one Adam step on θ. The model tensors are only read.`,
      `Inputs: images [${batch},${C},${H},${W}], labels [${batch}], the ${paramSpecs(arch).length} model tensors, theta.<layer> (shaped as the layer's conv kernel), adam_m.<layer>, adam_v.<layer>, adam_step, theta_lr.`,
      'Outputs: loss, grow_objective (Σ ΔL_GN), per layer <layer>.split_s, .split_gn, .prune_s, .prune_gn (one value per channel), theta.<layer>.next, adam_m.<layer>.next, adam_v.<layer>.next.',
    ],
    { 'nasgrow.batch': `${batch}`, 'nasgrow.granularity': opts.granularity },
  );
  const images = b.input(IO.images, DType.FLOAT, [batch, C, H, W]);
  const labels = b.input(IO.labels, DType.INT64, [batch]);
  const specs = paramSpecs(arch);
  for (const s of specs) b.input(s.name, DType.FLOAT, s.shape);
  const convShape = (l: number) => convSpec(arch, arch.layers[l]!.name).shape;
  arch.layers.forEach((layer, l) => {
    b.input(thetaName(layer.name), DType.FLOAT, convShape(l), `split morphism parameters θ of every channel of ${layer.name}`);
    b.input(adamMName(layer.name), DType.FLOAT, convShape(l));
    b.input(adamVName(layer.name), DType.FLOAT, convShape(l));
  });
  const step = b.input(IO.adamStep, DType.FLOAT, [], 'Adam step t (1-based)');
  const lr = b.input(IO.thetaLr, DType.FLOAT, [], 'Adam learning rate of θ');

  const param = (n: string) => n;
  const base = emitForward(b, arch, images, param, 'train');
  const [loss] = b.scope(SECTION.loss, () => b.op('SoftmaxCrossEntropyLoss', [base.logits, labels], { reduction: 'mean' }, { outputs: 2, names: [IO.loss, 'log_prob'] }));
  b.output(loss!, 'mean cross-entropy of the batch (L̂)');
  const perSample = opts.granularity === 'sample' ? b.scope(SECTION.loss, () => perSampleLoss(b, base.logits, labels, arch.classes)) : null;
  const g = backward(b, loss!, base.layers.map((x) => x.z)).grads;

  // s as a function of the layer's output: batch: s = Σ_{n,h,w} y·g per channel [C]; per sample:
  // s_i = N·Σ_{h,w} y·g per sample and channel [N, C] (g is ∂ of the batch's mean loss).
  const contraction = (y: string, gz: string, name: string): string =>
    opts.granularity === 'batch'
      ? b.op1('Reshape', [channelSum(b, b.op1('Mul', [y, gz])), b.ints([-1])], {}, { name })
      : b.op1('Mul', [b.op1('ReduceSum', [b.op1('Mul', [y, gz]), b.ints([2, 3])], { keepdims: 0 }), b.floats([batch])], {}, { name });
  // ΔL_GN from s: batch: s + s²/(4L̂);  per sample: mean_i s_i + s_i²/(4 L_i), and s = mean_i s_i.
  const gaussNewton = (s: string, name: string): { s: string; gn: string } => {
    if (opts.granularity === 'batch') {
      const quad = b.op1('Div', [b.op1('Mul', [s, s]), b.op1('Mul', [loss!, b.floats([4])])], {}, { name: `${name}_quadratic` });
      return { s: b.op1('Identity', [s], {}, { name: `${name}_s` }), gn: b.op1('Add', [s, quad], {}, { name: `${name}_gn` }) };
    }
    const Li = b.op1('Unsqueeze', [perSample!, b.ints([1])]); // [N, 1]
    const gni = b.op1('Add', [s, b.op1('Div', [b.op1('Mul', [s, s]), b.op1('Mul', [Li, b.floats([4])])])]);
    const mean = b.op1('ReduceMean', [s], { axes: [0], keepdims: 0 }, { name: `${name}_s` });
    return { s: mean, gn: b.op1('ReduceMean', [gni], { axes: [0], keepdims: 0 }, { name: `${name}_gn` }) };
  };

  const objectives: string[] = [];
  const thetas: string[] = [];
  base.layers.forEach((ly, l) => {
    const name = ly.name;
    b.scope(`${name}/${PART_SCOPE.morphisms}`, () => {
      const theta = thetaName(name);
      const gz = g.get(ly.z);
      if (!gz) throw new Error(`grow graph: the loss does not depend on ${name}'s output`);
      // The conv is linear in its kernel: conv(x, W ± Θ) = conv(x, W) ± conv(x, Θ). The base already
      // holds conv(x, W), so both branches cost one conv of Θ, and the backward one dΘ = dW(x, dc⁺ − dc⁻)
      // instead of two (the walker sums the two contributions before the conv's weight rule).
      const convTheta = b.scope('theta_conv', () => emitDenseConv(b, arch, l, ly.x, theta));
      const branch = (sign: 'plus' | 'minus') =>
        b.scope(`split_${sign}`, () => {
          const c = b.op1(sign === 'plus' ? 'Add' : 'Sub', [ly.conv, convTheta], {}, { name: sign === 'plus' ? 'conv_W_plus_theta' : 'conv_W_minus_theta' });
          return emitTail(b, arch, l, c, param, 'train', null, true);
        });
      const zp = branch('plus');
      const zm = branch('minus');
      // prune: Δz = −z, s = −Σ z·g.  split: Δz = ½(z⁺ + z⁻) − z, so s = ½ Σ (z⁺ + z⁻)·g − Σ z·g: the
      // contraction with z is shared by both heads, and z itself is never differentiated (no θ in it).
      const pruneS = b.scope(HEAD_SCOPE.prune, () => b.op1('Neg', [contraction(ly.z, gz, 'sum_z_g')], {}, { name: 'prune_s_terms' }));
      const prune = b.scope(HEAD_SCOPE.prune, () => gaussNewton(pruneS, 'prune'));
      const split = b.scope(HEAD_SCOPE.split, () => {
        const half = b.op1('Mul', [contraction(b.op1('Add', [zp, zm], {}, { name: 'z_plus_plus_z_minus' }), gz, 'sum_zpm_g'), b.floats([0.5])]);
        return gaussNewton(b.op1('Add', [half, pruneS], {}, { name: 'split_s_terms' }), 'split');
      });
      b.scope(HEAD_SCOPE.estimates, () => {
        b.output(b.op1('Identity', [split.s], {}, { name: 'split_s', names: [estimateName(name, 'split_s')] }));
        b.output(b.op1('Identity', [split.gn], {}, { name: 'split_gn', names: [estimateName(name, 'split_gn')] }));
        b.output(b.op1('Identity', [prune.s], {}, { name: 'prune_s', names: [estimateName(name, 'prune_s')] }));
        b.output(b.op1('Identity', [prune.gn], {}, { name: 'prune_gn', names: [estimateName(name, 'prune_gn')] }));
      });
      objectives.push(b.op1('ReduceSum', [split.gn], { keepdims: 0 }, { name: HEAD_SCOPE.objective }));
      thetas.push(theta);
    });
  });
  const objective = b.scope(SECTION.objective, () => b.op1('Sum', objectives, {}, { names: ['grow_objective'] }));
  b.output(objective, 'Σ over all split morphisms of ΔL_GN: what Adam minimises over θ');
  const { grads } = backward(b, objective, thetas);

  // Adam (Kingma & Ba): m ← β1 m + (1−β1) ∇;  v ← β2 v + (1−β2) ∇²;  θ ← θ − lr · m̂ / (√v̂ + ε),
  // m̂ = m / (1−β1^t), v̂ = v / (1−β2^t). The bias corrections are shared (under `adam/`), each layer's
  // update sits under its layer (`conv3/adam/`).
  const [c1, c2] = b.scope(SECTION.adam, () => [
    b.op1('Sub', [b.floats([1]), b.op1('Pow', [b.floats([ADAM.beta1]), step])], {}, { name: 'bias_correction1' }),
    b.op1('Sub', [b.floats([1]), b.op1('Pow', [b.floats([ADAM.beta2]), step])], {}, { name: 'bias_correction2' }),
  ]);
  arch.layers.forEach((layer) => {
    b.scope(`${layer.name}/${PART_SCOPE.adam}`, () => {
      const th = thetaName(layer.name);
      const grad = grads.get(th);
      if (!grad) throw new Error(`no gradient reached ${th}`);
      const m = b.op1('Add', [b.op1('Mul', [adamMName(layer.name), b.floats([ADAM.beta1])]), b.op1('Mul', [grad, b.floats([1 - ADAM.beta1])])], {}, { names: [nextName(adamMName(layer.name))] });
      const v = b.op1('Add', [b.op1('Mul', [adamVName(layer.name), b.floats([ADAM.beta2])]), b.op1('Mul', [b.op1('Mul', [grad, grad]), b.floats([1 - ADAM.beta2])])], {}, { names: [nextName(adamVName(layer.name))] });
      const mhat = b.op1('Div', [m, c1]);
      const denom = b.op1('Add', [b.op1('Sqrt', [b.op1('Div', [v, c2])]), b.floats([ADAM.eps])]);
      b.op1('Sub', [th, b.op1('Mul', [b.op1('Div', [mhat, denom]), lr])], {}, { names: [nextName(th)] });
      b.output(nextName(th));
      b.output(nextName(adamMName(layer.name)));
      b.output(nextName(adamVName(layer.name)));
    });
  });
  return labelParts(b.finish(), arch);
}

/**
 * Write the growing step of `arch` (batch `batch`, Gauss-Newton `granularity`) as `<dir>/grow.onnx`,
 * one function per layer part (src/onnx/writer.ts), with `place` in its metadata in a growing run;
 * returns its path.
 */
export function writeGrowGraph(dir: string, arch: ArchState, batch: number, granularity: Granularity, place?: RunPlace): string {
  const file = path.join(dir, 'grow.onnx');
  writeModel(placed(buildGrowGraph(arch, batch, { granularity }), place), file, { functions: true });
  return file;
}
