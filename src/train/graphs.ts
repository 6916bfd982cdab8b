// The graphs of one architecture state: training step, evaluation step and standalone inference.
//
// Training step — one ONNX graph holds forward, backward (our autodiff), the SGD update and the
// running-statistics update:
//   inputs : images [B,C,H,W], labels [B] int64, lr [] , every parameter, `momentum.<p>` per trainable
//            parameter, BN running statistics
//   outputs: loss [], correct [], `<p>.next` per parameter and statistic, `momentum.<p>.next`
// SGD with PyTorch's semantics (torch.optim.SGD, dampening 0):
//   g = ∇L + wd·w;  buf ← μ·buf + g;  step = g + μ·buf (Nesterov) or buf;  w ← w − lr·step
// With network slimming's L1 penalty s·Σ|γ| on the dense layers' BN scales (hyper.bnL1 = s > 0), γ's
// g adds the penalty's subgradient s·sign(γ) (sign(0) = 0, the subgradient PyTorch's slimming code
// uses: `m.weight.grad.add_(s * torch.sign(m.weight.data))`). It is added here rather than
// differentiated by the autodiff (no |·| rule needed): the penalty is not part of the reported loss.
// (PyTorch starts buf as g on the first step, which equals μ·0 + g with zero-initialised buffers.)
// BN running statistics (momentum m = 0.1, unbiased variance as PyTorch):
//   r_mean ← (1−m)·r_mean + m·μ_B;   r_var ← (1−m)·r_var + m·σ²_B·M/(M−1)
import { ArchState } from '../models/arch';
import { paramCount, paramSpecs, TensorMap } from '../models/params';
import { IO, momentumName, nextName, param, SECTION, withinLayer } from '../models/names';
import { labelParts, PART_SCOPE } from '../models/parts';
import { emitForward } from '../models/forward';
import { DType, Graph, GraphBuilder } from '../onnx/graph';
import { backward } from '../autodiff/backward';
import { BN_MOMENTUM, SgdHyper } from './optimizer';

/** The graph kinds nasgrow writes (metadata `nasgrow.kind`). */
export type GraphKind = 'train' | 'eval' | 'infer' | 'grow' | 'splitting';

const KIND_TITLE: Record<GraphKind, string> = {
  train: 'nasgrow training step',
  eval: 'nasgrow evaluation step',
  infer: 'nasgrow inference model',
  grow: 'nasgrow growing step',
  splitting: 'nasgrow splitting matrix products (splitting steepest descent)',
};

/**
 * What Netron's properties panel shows of a graph of `arch`: the doc string — a first line naming the
 * kind, network, widths and parameter count, then `lines` (what it computes, its inputs, its outputs)
 * — and the metadata `nasgrow.kind`, `nasgrow.widths` (`16,27,27,...`), `nasgrow.parameters`, the
 * architecture JSON `nasgrow.architecture`, then `extra`.
 */
export function describeGraph(b: GraphBuilder, arch: ArchState, kind: GraphKind, lines: string[], extra: Record<string, string> = {}): void {
  const widths = arch.layers.map((l) => l.width).join(',');
  const params = paramCount(arch);
  b.graph.doc = [`${KIND_TITLE[kind]} of ${arch.family} (${arch.layers.length} dense layers, widths ${widths}; ${params.toLocaleString('en-US')} parameters).`, ...lines].join('\n');
  b.setMetadata('nasgrow.kind', kind);
  b.setMetadata('nasgrow.widths', widths);
  b.setMetadata('nasgrow.parameters', `${params}`);
  b.setMetadata('nasgrow.architecture', JSON.stringify(arch));
  for (const [k, v] of Object.entries(extra)) b.setMetadata(k, v);
}

export interface TrainGraphOptions {
  /** also output `<p>_grad` (the loss gradient before weight decay) of every trainable parameter */
  exposeGradients?: boolean;
}

/**
 * The training step of `arch` for batches of `batch` images, as one graph: forward in training mode
 * (BatchNorm on batch statistics), mean cross-entropy, backward (src/autodiff/backward.ts), SGD with
 * `hyper` and the BN running-statistics update (formulas above).
 * Inputs: images [batch, C, H, W] float, labels [batch] int64, lr [] float, every tensor of
 * paramSpecs(arch) and `momentum.<p>` of every trainable one. Outputs: loss [] (the batch mean),
 * correct [] (hits), `<p>.next` of every tensor and `momentum.<p>.next`; with `exposeGradients` also
 * `<p>_grad` (∂loss/∂p before weight decay).
 * @throws UnsupportedGradient (src/autodiff/types.ts) when the forward pass holds an op without a
 *         gradient rule, and Error from the graph builder's shape rules when `arch` is inconsistent: both
 *         are nasgrow bugs (architectures are checked when a config or arch file is read).
 */
export function buildTrainGraph(arch: ArchState, batch: number, hyper: SgdHyper, opts: TrainGraphOptions = {}): Graph {
  const b = new GraphBuilder('train_step');
  const [C, H, W] = arch.inputShape;
  const specs = paramSpecs(arch);
  const buffers = specs.filter((s) => s.trainable).length;
  describeGraph(
    b,
    arch,
    'train',
    [
      `One SGD step on a batch of ${batch}: forward with BatchNorm on batch statistics, the mean cross-entropy, the backward pass (nasgrow's autodiff), ` +
        `SGD (momentum ${hyper.momentum}${hyper.nesterov ? ', Nesterov' : ''}, weight decay ${hyper.weightDecay}) and the BatchNorm running statistics (momentum ${BN_MOMENTUM}).`,
      `Inputs: images [${batch},${C},${H},${W}], labels [${batch}], lr, the ${specs.length} model tensors (<layer>.conv.weight, <layer>.bn.*, fc.*) and ${buffers} SGD momentum buffers momentum.<tensor>.`,
      `Outputs: loss, correct (hits in the batch), <tensor>.next for every model tensor and momentum.<tensor>.next for every buffer.`,
    ],
    { 'nasgrow.batch': `${batch}`, 'nasgrow.sgd': JSON.stringify(hyper) },
  );
  const images = b.input(IO.images, DType.FLOAT, [batch, C, H, W], 'normalised images, NCHW');
  const labels = b.input(IO.labels, DType.INT64, [batch], 'class indices');
  const lr = b.input(IO.lr, DType.FLOAT, [], 'learning rate of this step');
  for (const s of specs) b.input(s.name, DType.FLOAT, s.shape);
  for (const s of specs) if (s.trainable) b.input(momentumName(s.name), DType.FLOAT, s.shape, `SGD momentum buffer of ${s.name}`);

  const fwd = emitForward(b, arch, images, (n) => n, 'train');
  const { loss, correct } = b.scope(SECTION.loss, () => lossAndCorrect(b, fwd.logits, labels, 'mean'));
  b.output(loss, 'mean cross-entropy of the batch');
  b.output(correct, 'number of samples whose arg-max logit is the label');

  const sgdSpecs = specs.filter((s) => s.trainable);
  const trainable = sgdSpecs.map((s) => s.name);
  const { grads } = backward(b, loss, trainable);

  // Each layer's update sits under its layer, `conv3/sgd/conv.weight/...`, `conv3/running_stats/bn/...`,
  // so that searching `conv3/` finds the whole layer.
  const mu = b.floats([hyper.momentum]);
  const wd = b.floats([hyper.weightDecay]);
  // slimming (grow.method slimming): L1 on BN scales, its subgradient s·sign(γ) added beside weight decay
  const l1 = hyper.bnL1 ? b.floats([hyper.bnL1]) : null;
  const gammas = new Set(arch.layers.map((l) => param.bn(l.name, 'bn', 'weight')));
  for (const { name: p, layer } of sgdSpecs) {
    b.scope(`${layer}/${PART_SCOPE.sgd}/${withinLayer(p, layer)}`, () => {
      const grad = grads.get(p);
      if (!grad) throw new Error(`no gradient reached ${p}`);
      const decayed = hyper.weightDecay ? b.op1('Add', [grad, b.op1('Mul', [p, wd])], {}, { name: 'decayed_grad' }) : grad;
      const g = l1 && gammas.has(p) ? b.op1('Add', [decayed, b.op1('Mul', [b.op1('Sign', [p]), l1])], {}, { name: 'l1_grad' }) : decayed;
      const buf = b.op1('Add', [b.op1('Mul', [momentumName(p), mu]), g], {}, { names: [nextName(momentumName(p))] });
      const step = hyper.nesterov ? b.op1('Add', [g, b.op1('Mul', [buf, mu])], {}, { name: 'nesterov_step' }) : buf;
      b.op1('Sub', [p, b.op1('Mul', [step, lr])], {}, { names: [nextName(p)] });
    });
  }
  const keep = b.floats([1 - BN_MOMENTUM]);
  for (const st of fwd.batchStats) {
    b.scope(`${st.layer}/${PART_SCOPE.runningStats}/${st.kind}`, () => {
      const rm = param.bn(st.layer, st.kind, 'running_mean');
      const rv = param.bn(st.layer, st.kind, 'running_var');
      b.op1('Add', [b.op1('Mul', [rm, keep]), b.op1('Mul', [st.mean, b.floats([BN_MOMENTUM])])], {}, { names: [nextName(rm)] });
      const unbiased = BN_MOMENTUM * (st.count / Math.max(1, st.count - 1));
      b.op1('Add', [b.op1('Mul', [rv, keep]), b.op1('Mul', [st.variance, b.floats([unbiased])])], {}, { names: [nextName(rv)] });
    });
  }
  for (const s of specs) b.output(nextName(s.name));
  for (const p of trainable) b.output(nextName(momentumName(p)));
  if (opts.exposeGradients) for (const p of trainable) b.output(grads.get(p)!);
  return labelParts(b.finish(), arch);
}

function lossAndCorrect(b: GraphBuilder, logits: string, labels: string, reduction: 'mean' | 'sum'): { loss: string; correct: string } {
  const [loss] = b.op('SoftmaxCrossEntropyLoss', [logits, labels], { reduction }, { outputs: 2, names: [reduction === 'mean' ? IO.loss : IO.lossSum, 'log_prob'] });
  const pred = b.op1('ArgMax', [logits], { axis: 1, keepdims: 0 }, { name: 'prediction' });
  const hit = b.op1('Cast', [b.op1('Equal', [pred, labels])], { to: DType.FLOAT });
  const correct = b.op1('ReduceSum', [hit], { keepdims: 0 }, { names: [IO.correct] });
  return { loss: loss!, correct };
}

/** Evaluation step (running statistics); any batch size. Outputs the summed loss and hit count. */
export function buildEvalGraph(arch: ArchState): Graph {
  const b = new GraphBuilder('eval_step');
  const [C, H, W] = arch.inputShape;
  describeGraph(b, arch, 'eval', [
    'Evaluation of a batch of any size N: forward with the BatchNorm running statistics, the summed cross-entropy and the number of correct predictions.',
    `Inputs: images [N,${C},${H},${W}], labels [N], the ${paramSpecs(arch).length} model tensors. Outputs: loss_sum, correct, the logits [N,${arch.classes}].`,
  ]);
  const images = b.input(IO.images, DType.FLOAT, ['N', C, H, W]);
  const labels = b.input(IO.labels, DType.INT64, ['N']);
  for (const s of paramSpecs(arch)) b.input(s.name, DType.FLOAT, s.shape);
  const fwd = emitForward(b, arch, images, (n) => n, 'eval');
  const { loss, correct } = b.scope(SECTION.loss, () => lossAndCorrect(b, fwd.logits, labels, 'sum'));
  b.output(loss, 'summed cross-entropy of the batch');
  b.output(correct);
  b.output(fwd.logits);
  return labelParts(b.finish(), arch);
}

/**
 * Standalone inference model: the weights are initializers, it runs and opens by itself. Its metadata
 * hold the architecture, the input normalisation and the class names in label order (output column i
 * of `logits` and `probabilities` is class classNames[i]).
 */
export function buildInferenceGraph(arch: ArchState, weights: TensorMap, normalization?: { mean: number[]; std: number[] }, classNames?: readonly string[]): Graph {
  const b = new GraphBuilder('nasgrow_inference');
  const extra: Record<string, string> = {};
  if (normalization) extra['nasgrow.normalization'] = JSON.stringify(normalization);
  if (classNames) extra['nasgrow.classes'] = JSON.stringify(classNames);
  const [C, H, W] = arch.inputShape;
  describeGraph(b, arch, 'infer', [
    'Classifies images with the weights it holds (initializers): forward with the BatchNorm running statistics, then softmax.',
    `Input: images [N,${C},${H},${W}], ${normalization ? 'normalised with the per-channel mean and std in nasgrow.normalization' : 'normalised as in training'}.`,
    `Outputs: logits [N,${arch.classes}] and probabilities [N,${arch.classes}]; column i is ${classNames ? 'class nasgrow.classes[i]' : 'class i'}.`,
  ], extra);
  const images = b.input(IO.images, DType.FLOAT, ['N', C, H, W], 'normalised images, NCHW');
  for (const s of paramSpecs(arch)) {
    const data = weights.get(s.name);
    if (!data) throw new Error(`inference model: weights lack ${s.name}`);
    b.initializer(s.name, { dtype: DType.FLOAT, shape: s.shape, data });
  }
  const fwd = emitForward(b, arch, images, (n) => n, 'eval');
  const logits = b.scope(SECTION.head, () => b.op1('Identity', [fwd.logits], {}, { name: 'logits', names: [IO.logits] }));
  b.output(logits);
  b.output(b.scope(SECTION.head, () => b.op1('Softmax', [logits], { axis: 1 }, { name: 'softmax', names: [IO.probabilities] })));
  return labelParts(b.finish(), arch);
}
