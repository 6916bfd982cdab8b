// Parameters of an architecture state: names, shapes, initialisation, and parameter/FLOP counts.
import { ArchState, layerGeometry, lastWidth } from './arch';
import { Rng } from '../util/rng';

/**
 * trainable: updated by SGD (has a momentum buffer).
 * stat:      a BatchNorm running statistic (updated by the batch statistics, not by SGD).
 */
export type ParamRole = 'conv' | 'bn_weight' | 'bn_bias' | 'fc_weight' | 'fc_bias' | 'running_mean' | 'running_var';

export interface ParamSpec {
  name: string;
  shape: number[];
  role: ParamRole;
  trainable: boolean;
  /** dense layer this tensor belongs to ('fc' for the classifier) */
  layer: string;
}

export type TensorMap = Map<string, Float32Array>;

function bnSpecs(prefix: string, layer: string, channels: number): ParamSpec[] {
  return [
    { name: `${prefix}.weight`, shape: [channels], role: 'bn_weight', trainable: true, layer },
    { name: `${prefix}.bias`, shape: [channels], role: 'bn_bias', trainable: true, layer },
    { name: `${prefix}.running_mean`, shape: [channels], role: 'running_mean', trainable: false, layer },
    { name: `${prefix}.running_var`, shape: [channels], role: 'running_var', trainable: false, layer },
  ];
}

/** Every tensor of the network, in a fixed order (the order of graph inputs and checkpoints). */
export function paramSpecs(arch: ArchState): ParamSpec[] {
  const geo = layerGeometry(arch);
  const specs: ParamSpec[] = [];
  arch.layers.forEach((layer, i) => {
    const cin = geo[i]!.inChannels;
    if (layer.depthwise) {
      specs.push({ name: `${layer.name}.dw.weight`, shape: [cin, 1, 3, 3], role: 'conv', trainable: true, layer: layer.name });
      specs.push(...bnSpecs(`${layer.name}.dw_bn`, layer.name, cin));
    }
    specs.push({ name: `${layer.name}.conv.weight`, shape: [layer.width, cin, layer.kernel, layer.kernel], role: 'conv', trainable: true, layer: layer.name });
    specs.push(...bnSpecs(`${layer.name}.bn`, layer.name, layer.width));
  });
  specs.push({ name: 'fc.weight', shape: [arch.classes, lastWidth(arch)], role: 'fc_weight', trainable: true, layer: 'fc' });
  specs.push({ name: 'fc.bias', shape: [arch.classes], role: 'fc_bias', trainable: true, layer: 'fc' });
  return specs;
}

export const trainableSpecs = (arch: ArchState) => paramSpecs(arch).filter((s) => s.trainable);
export const statSpecs = (arch: ArchState) => paramSpecs(arch).filter((s) => !s.trainable);

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Fresh weights. Convs: Kaiming normal, fan_out, ReLU gain (std = sqrt(2 / (out·k·k)), as
 * torchvision's VGG/MobileNet). BN: γ = 1, β = 0, running mean 0, var 1. Linear: PyTorch's default
 * U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias. Depthwise convs: fan_out = k·k (one output
 * per group).
 */
export function initParams(arch: ArchState, seed: number): TensorMap {
  const rng = Rng.derive(seed, 'init');
  const out: TensorMap = new Map();
  for (const s of paramSpecs(arch)) {
    const t = new Float32Array(numel(s.shape));
    switch (s.role) {
      case 'conv': {
        const [o, iPerGroup, kh, kw] = s.shape as [number, number, number, number];
        const fanOut = iPerGroup === 1 && s.name.endsWith('.dw.weight') ? kh * kw : o * kh * kw;
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
