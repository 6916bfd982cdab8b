// The name authority for tensors. Every parameter, running statistic, optimizer buffer, gradient and
// growing-step tensor that crosses a graph boundary (graph inputs and outputs, ORT feeds and fetches)
// or lands in a checkpoint is named by a function here, and nowhere else. Node names inside a graph
// come from the other authority, the graph builder (src/onnx/graph.ts).
//
// Parameter names are PyTorch's state_dict names for the same module tree (test/reference/ builds it),
// so a nasgrow checkpoint loads into the reference model by name:
//   <layer>.conv.weight                          dense conv kernel        [width, in, k, k]
//   <layer>.bn.{weight,bias,running_mean,running_var}                     [width]
//   <layer>.dw.weight                            MobileNet depthwise conv [in, 1, 3, 3]
//   <layer>.dw_bn.{weight,bias,running_mean,running_var}                  [in]
//   fc.weight [classes, last width], fc.bias [classes]

/** The inputs and outputs of the step graphs that are not model tensors (src/train/graphs.ts, src/grow/graph.ts). */
export const IO = {
  /** normalised images, NCHW float32 */
  images: 'images',
  /** class indices, int64 */
  labels: 'labels',
  /** training step: its learning rate */
  lr: 'lr',
  /** training and growing step: the batch's mean cross-entropy */
  loss: 'loss',
  /** evaluation step: the batch's summed cross-entropy */
  lossSum: 'loss_sum',
  /** training and evaluation step: examples whose arg-max logit is the label */
  correct: 'correct',
  /** inference model (and the loss probes): class logits */
  logits: 'logits',
  /** inference model: softmax of the logits */
  probabilities: 'probabilities',
  /** growing step: Adam's step t (1-based) and learning rate for θ */
  adamStep: 'adam_step',
  thetaLr: 'theta_lr',
} as const;

/** The classifier's name prefix; no dense layer may take it (validateArch refuses it). */
export const CLASSIFIER = 'fc';

/**
 * Node-name prefixes of the graph parts that belong to no layer: the loss (and its gradient), the
 * growing step's objective Σ ΔL_GN and Adam's shared bias corrections, the inference model's output
 * head. No layer may take one (validateArch refuses them): a saved graph groups nodes by this prefix.
 */
export const SECTION = { loss: 'loss', objective: 'objective', adam: 'adam', head: 'head' } as const;

/** The four tensors of a BatchNorm: γ, β and the two running statistics. */
export const BN_TENSORS = ['weight', 'bias', 'running_mean', 'running_var'] as const;
export type BnTensor = (typeof BN_TENSORS)[number];

/** Which BatchNorm of a dense layer: after its conv ('bn'), or after its depthwise conv ('dw_bn'). */
export type BnKind = 'bn' | 'dw_bn';

/** Names of the model's parameters and running statistics. */
export const param = {
  /** dense conv kernel of `layer` */
  convWeight: (layer: string): string => `${layer}.conv.weight`,
  /** MobileNet: the depthwise kernel applied to `layer`'s input */
  depthwiseWeight: (layer: string): string => `${layer}.dw.weight`,
  /** one tensor of one of `layer`'s BatchNorms */
  bn: (layer: string, kind: BnKind, tensor: BnTensor): string => `${layer}.${kind}.${tensor}`,
  fcWeight: `${CLASSIFIER}.weight`,
  fcBias: `${CLASSIFIER}.bias`,
} as const;

/** SGD momentum buffer of trainable parameter `p` (a train-graph input and a checkpoint tensor). */
export const momentumName = (p: string): string => `momentum.${p}`;

/** The value a step graph outputs for state `v` after the step (`conv1.conv.weight.next`). */
export const nextName = (v: string): string => `${v}.next`;

/** The final gradient of `x`, `X_grad` (ONNX Runtime's convention): autodiff names it so. */
import { gradName } from '../autodiff/types';
export { gradName };

/** Growing step (src/grow/graph.ts): split parameters θ of every channel of `layer`, shaped as its conv kernel. */
export const thetaName = (layer: string): string => `theta.${layer}`;
/** Adam's first moment of `layer`'s θ. */
export const adamMName = (layer: string): string => `adam_m.${layer}`;
/** Adam's second moment of `layer`'s θ. */
export const adamVName = (layer: string): string => `adam_v.${layer}`;

/** Splitting graph (src/grow/splitting.ts): the directions V of `layer` (row c: channel c's v_c). */
export const splittingVName = (layer: string): string => `splitting_v.${layer}`;
/** Splitting graph: ∇_V Q of `layer`, whose row c is S_c·v_c — the final gradient of V, `splitting_v.<layer>_grad`. */
export const splitSvName = (layer: string): string => gradName(splittingVName(layer));

/** Per-channel outputs of the growing step: s and ΔL_GN of every split and prune of `layer` ([width]). */
export type EstimateKind = 'split_s' | 'split_gn' | 'prune_s' | 'prune_gn';
export const estimateName = (layer: string, kind: EstimateKind): string => `${layer}.${kind}`;

/** Tensor `p` of `layer` without the layer's prefix: `conv.weight` for `conv3.conv.weight`, `weight` for `fc.weight`. */
export const withinLayer = (p: string, layer: string): string => (p.startsWith(`${layer}.`) ? p.slice(layer.length + 1) : p);

/**
 * The layer a tensor named here belongs to (`conv3` for `conv3.conv.weight`, `momentum.conv3.bn.bias`,
 * `theta.conv3`, `adam_v.conv3.next`, `conv3.split_gn`, `splitting_v.conv3`; `fc` for the classifier's), or undefined for a
 * name this file does not give a layer (`images`, `loss`, node-made values).
 */
export function tensorLayer(name: string): string | undefined {
  const m = /^(?:momentum\.|theta\.|adam_m\.|adam_v\.|splitting_v\.)?([A-Za-z][A-Za-z0-9_]*)\./.exec(`${name}.`);
  if (!m) return undefined;
  const prefixed = /^(momentum|theta|adam_m|adam_v|splitting_v)\./.test(name);
  // a bare identifier (`images`, `loss`) names no layer; a prefixed one (`theta.conv3`) does
  return prefixed || name.includes('.') ? m[1] : undefined;
}
