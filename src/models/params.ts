// Parameters of an architecture state: names, shapes, initialisation, and parameter/FLOP counts.
import { ArchState, layerGeometry, lastWidth, seedArch } from './arch';
import { BN_TENSORS, BnKind, CLASSIFIER, param } from './names';
import { Rng } from '../util/rng';
import { STREAMS } from '../util/streams';

/**
 * trainable: updated by SGD (has a momentum buffer).
 * stat:      a BatchNorm running statistic (updated by the batch statistics, not by SGD).
 */
export type ParamRole = 'conv' | 'depthwise_conv' | 'bn_weight' | 'bn_bias' | 'fc_weight' | 'fc_bias' | 'running_mean' | 'running_var';

export interface ParamSpec {
  name: string;
  shape: number[];
  role: ParamRole;
  trainable: boolean;
  /** dense layer this tensor belongs to ('fc' for the classifier) */
  layer: string;
}

export type TensorMap = Map<string, Float32Array>;

const BN_ROLE = { weight: 'bn_weight', bias: 'bn_bias', running_mean: 'running_mean', running_var: 'running_var' } as const;

function bnSpecs(layer: string, kind: BnKind, channels: number): ParamSpec[] {
  return BN_TENSORS.map((t) => ({ name: param.bn(layer, kind, t), shape: [channels], role: BN_ROLE[t], trainable: t === 'weight' || t === 'bias', layer }));
}

/** Every tensor of the network, in a fixed order (the order of graph inputs and checkpoints). */
export function paramSpecs(arch: ArchState): ParamSpec[] {
  const geo = layerGeometry(arch);
  const specs: ParamSpec[] = [];
  arch.layers.forEach((layer, i) => {
    const cin = geo[i]!.inChannels;
    if (layer.depthwise) {
      specs.push({ name: param.depthwiseWeight(layer.name), shape: [cin, 1, 3, 3], role: 'depthwise_conv', trainable: true, layer: layer.name });
      specs.push(...bnSpecs(layer.name, 'dw_bn', cin));
    }
    specs.push({ name: param.convWeight(layer.name), shape: [layer.width, cin, layer.kernel, layer.kernel], role: 'conv', trainable: true, layer: layer.name });
    specs.push(...bnSpecs(layer.name, 'bn', layer.width));
  });
  specs.push({ name: param.fcWeight, shape: [arch.classes, lastWidth(arch)], role: 'fc_weight', trainable: true, layer: CLASSIFIER });
  specs.push({ name: param.fcBias, shape: [arch.classes], role: 'fc_bias', trainable: true, layer: CLASSIFIER });
  return specs;
}

/** The tensors SGD updates (those with a momentum buffer), in paramSpecs order: PyTorch's parameters(). */
export const trainableSpecs = (arch: ArchState) => paramSpecs(arch).filter((s) => s.trainable);

/** The spec of `layer`'s dense conv kernel (its shape is also the shape of the layer's θ). */
export function convSpec(arch: ArchState, layer: string): ParamSpec {
  const name = param.convWeight(layer);
  const spec = paramSpecs(arch).find((s) => s.name === name);
  if (!spec) throw new Error(`no dense layer ${JSON.stringify(layer)} in the architecture`);
  return spec;
}

/** Number of elements of a tensor of `shape` (1 for a scalar). */
export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Fresh weights. Convs: Kaiming normal, fan_out, ReLU gain (std = sqrt(2 / (out·k·k)), as
 * torchvision's VGG/MobileNet). BN: γ = 1, β = 0, running mean 0, var 1. Linear: PyTorch's default
 * U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias. Depthwise convs: fan_out = k·k (one output
 * per group).
 */
export function initParams(arch: ArchState, seed: number, stream: string = STREAMS.init): TensorMap {
  const rng = Rng.derive(seed, stream);
  const out: TensorMap = new Map();
  for (const s of paramSpecs(arch)) {
    const t = new Float32Array(numel(s.shape));
    switch (s.role) {
      case 'conv':
      case 'depthwise_conv': {
        const [o, , kh, kw] = s.shape as [number, number, number, number];
        // a depthwise kernel has one output per group: fan_out = k·k
        const fanOut = s.role === 'depthwise_conv' ? kh * kw : o * kh * kw;
        const std = Math.sqrt(2 / fanOut);
        for (let j = 0; j < t.length; j++) t[j] = rng.normal() * std;
        break;
      }
      case 'bn_weight':
      case 'running_var':
        t.fill(1);
        break;
      case 'bn_bias':
      case 'running_mean':
        break;
      case 'fc_weight':
      case 'fc_bias': {
        const bound = 1 / Math.sqrt(lastWidth(arch));
        for (let j = 0; j < t.length; j++) t[j] = (rng.uniform() * 2 - 1) * bound;
        break;
      }
    }
    out.set(s.name, t);
  }
  return out;
}

/** Number of trainable parameters (BN running statistics excluded, as PyTorch's count). */
export function paramCount(arch: ArchState): number {
  return trainableSpecs(arch).reduce((a, s) => a + numel(s.shape), 0);
}

/**
 * Multiply-accumulates of one forward pass for one image: convs (dense and depthwise) and the
 * classifier. BN/ReLU/pool are not counted, as is customary. FLOPs = 2 x MACs.
 */
export function macCount(arch: ArchState): number {
  const geo = layerGeometry(arch);
  let macs = 0;
  arch.layers.forEach((layer, i) => {
    const g = geo[i]!;
    if (layer.depthwise) macs += g.inChannels * 9 * g.convInHW[0] * g.convInHW[1];
    macs += layer.width * g.inChannels * layer.kernel * layer.kernel * g.outHW[0] * g.outHW[1];
  });
  macs += arch.classes * lastWidth(arch);
  return macs;
}

/** What a uniform control is matched on: trainable parameters, or multiply-accumulates per image. */
export const UNIFORM_MATCH_BY = ['params', 'macs'] as const;
export type UniformMatchBy = (typeof UNIFORM_MATCH_BY)[number];

/**
 * The narrowest uniform-width seed of `arch`'s family (same input shape and classes) whose parameter
 * count (`by: 'params'`, the default) or multiply-accumulates per image (`by: 'macs'`, macCount) is at
 * least `arch`'s: the control a grown network has to beat (`grow.uniform_baseline`, `model.uniform_match`).
 * Both counts grow strictly with the uniform width, so the first width that reaches the target is the
 * narrowest; a uniform `arch` is its own match either way.
 */
export function uniformMatch(arch: ArchState, by: UniformMatchBy = 'params'): ArchState {
  const count = by === 'macs' ? macCount : paramCount;
  const target = count(arch);
  for (let w = 1; ; w++) {
    const u = seedArch(arch.family, w, arch.inputShape, arch.classes);
    if (count(u) >= target) return u;
  }
}
