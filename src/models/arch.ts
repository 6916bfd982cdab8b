// Architecture state: plain JSON that fully determines every graph nasgrow emits.
//
// A network is a sequence of *dense* layers (full 3x3 or 1x1 convolutions) followed by a global
// average pool and a linear classifier. Between two dense layers sit only channel-wise operations
// (BatchNorm, ReLU, 2x2 max-pool and, in MobileNetV1, a depthwise 3x3 conv + BN + ReLU), so one output
// channel of a dense layer together with its channel-wise ops downstream is the unit a morphism acts on.
//
// Parameter names and shapes: src/models/names.ts (the name authority), src/models/params.ts.
//
// Per dense layer the forward pass is:
//   [dw: DWConv3x3(stride dw.stride, pad 1) -> BN -> ReLU]  (MobileNet only)
//   Conv kxk (stride, pad (k-1)/2) -> BN -> ReLU -> [MaxPool 2x2 stride 2 if pool]
// then GlobalAveragePool -> Flatten -> Gemm(fc).

import { CLASSIFIER, SECTION } from './names';

/** The seed families (src/config's model.family takes these). */
export const FAMILIES = ['vgg19', 'mobilenetv1'] as const;
export type Family = (typeof FAMILIES)[number];

/** The paper's seed widths: VGG-19 with 16 channels per dense conv, MobileNetV1 with 32. */
export const SEED_WIDTH: Record<Family, number> = { vgg19: 16, mobilenetv1: 32 };

export interface DepthwiseSpec {
  /** stride of the depthwise 3x3 conv that precedes this layer's pointwise conv */
  stride: number;
}

export interface DenseLayer {
  /** unique name, used as the prefix of its parameters and of its nodes in every graph */
  name: string;
  /** kernel size of the dense conv (3 or 1) */
  kernel: number;
  /** stride of the dense conv */
  stride: number;
  /** number of output channels */
  width: number;
  /** 2x2 max-pool with stride 2 after BN (it commutes with the ReLU; models/forward.ts pools first) */
  pool: boolean;
  /** MobileNet: a depthwise conv (with its own BN+ReLU) applied to this layer's input first */
  depthwise: DepthwiseSpec | null;
}

export interface ArchState {
  family: Family;
  /** [channels, height, width] of one input image */
  inputShape: [number, number, number];
  classes: number;
  layers: DenseLayer[];
}

/** CIFAR VGG-19: [w,w,M,w,w,M,w,w,w,w,M,w,w,w,w,M,w,w,w,w]; the paper's seed uses w = 16. */
export function vgg19(width: number | number[], inputShape: [number, number, number] = [3, 32, 32], classes = 10): ArchState {
  const poolAfter = new Set([1, 3, 7, 11]); // zero-based conv indices followed by 'M'
  const widths = expandWidths(width, 16, 'vgg19');
  const layers: DenseLayer[] = widths.map((w, i) => ({
    name: `conv${i + 1}`,
    kernel: 3,
    stride: 1,
    width: w,
    pool: poolAfter.has(i),
    depthwise: null,
  }));
  return validateArch({ family: 'vgg19', inputShape, classes, layers });
}

/**
 * CIFAR MobileNetV1: a 3x3 stem conv (stride 1) then 13 depthwise-separable blocks with stride 2 at
 * blocks 2, 4, 6 and 12 (the usual CIFAR placement); the paper's seed uses 32 channels everywhere.
 */
export function mobilenetv1(width: number | number[], inputShape: [number, number, number] = [3, 32, 32], classes = 10): ArchState {
  const stride2Blocks = new Set([2, 4, 6, 12]);
  const widths = expandWidths(width, 14, 'mobilenetv1');
  const layers: DenseLayer[] = [
    { name: 'stem', kernel: 3, stride: 1, width: widths[0]!, pool: false, depthwise: null },
  ];
  for (let b = 1; b <= 13; b++) {
    layers.push({
      name: `block${b}`,
      kernel: 1,
      stride: 1,
      width: widths[b]!,
      pool: false,
      depthwise: { stride: stride2Blocks.has(b) ? 2 : 1 },
    });
  }
  return validateArch({ family: 'mobilenetv1', inputShape, classes, layers });
}

/** The seed network of `family` at `width` (one for all dense layers, or one per layer). @throws Error for a wrong number of widths or an input too small for the network. */
export function seedArch(family: Family, width: number | number[] = SEED_WIDTH[family], inputShape?: [number, number, number], classes?: number): ArchState {
  return family === 'vgg19' ? vgg19(width, inputShape, classes) : mobilenetv1(width, inputShape, classes);
}

function expandWidths(width: number | number[], count: number, family: string): number[] {
  if (typeof width === 'number') return new Array<number>(count).fill(width);
  if (width.length !== count) {
    throw new Error(`${family} has ${count} dense conv layers, but ${width.length} widths were given`);
  }
  return [...width];
}

/** Output spatial size of a conv with kernel k, stride s and "same" padding (k-1)/2. */
export function convOut(size: number, kernel: number, stride: number): number {
  const pad = (kernel - 1) / 2;
  return Math.floor((size + 2 * pad - kernel) / stride) + 1;
}

/** Spatial shape of every dense layer's input and output, and the channel count of its input. */
export interface LayerGeometry {
  inChannels: number;
  /** [H, W] of the tensor entering the layer (before the depthwise conv in MobileNet) */
  inHW: [number, number];
  /** [H, W] after the depthwise conv (MobileNet) or equal to inHW */
  convInHW: [number, number];
  /** [H, W] of the dense conv's output (before pooling) */
  outHW: [number, number];
  /** [H, W] leaving the layer (after pooling) */
  poolHW: [number, number];
}

/** Channel counts and spatial sizes of every dense layer's input and output, in layer order. */
export function layerGeometry(arch: ArchState): LayerGeometry[] {
  let c = arch.inputShape[0];
  let h = arch.inputShape[1];
  let w = arch.inputShape[2];
  const out: LayerGeometry[] = [];
  for (const layer of arch.layers) {
    const inHW: [number, number] = [h, w];
    if (layer.depthwise) {
      h = convOut(h, 3, layer.depthwise.stride);
      w = convOut(w, 3, layer.depthwise.stride);
    }
    const convInHW: [number, number] = [h, w];
    h = convOut(h, layer.kernel, layer.stride);
    w = convOut(w, layer.kernel, layer.stride);
    const outHW: [number, number] = [h, w];
    if (layer.pool) {
      h = Math.floor(h / 2);
      w = Math.floor(w / 2);
    }
    out.push({ inChannels: c, inHW, convInHW, outHW, poolHW: [h, w] });
    c = layer.width;
  }
  return out;
}

/** Throws an error naming the offending field when the state cannot describe a valid network. */
export function validateArch(arch: ArchState): ArchState {
  const where = (i: number, k: string) => `architecture layer ${i} (${arch.layers[i]?.name ?? '?'})${k ? ` ${k}` : ''}`;
  if (arch.family !== 'vgg19' && arch.family !== 'mobilenetv1') {
    throw new Error(`architecture family must be 'vgg19' or 'mobilenetv1', got ${JSON.stringify(arch.family)}`);
  }
  if (!Array.isArray(arch.inputShape) || arch.inputShape.length !== 3 || !arch.inputShape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new Error(`architecture inputShape must be [channels, height, width] of positive integers, got ${JSON.stringify(arch.inputShape)}`);
  }
  if (!Number.isInteger(arch.classes) || arch.classes < 2) {
    throw new Error(`architecture classes must be an integer >= 2, got ${JSON.stringify(arch.classes)}`);
  }
  if (!Array.isArray(arch.layers) || arch.layers.length === 0) throw new Error('architecture needs at least one layer');
  const names = new Set<string>();
  arch.layers.forEach((l, i) => {
    if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(l.name)) throw new Error(`${where(i, 'name')} must be an identifier, got ${JSON.stringify(l.name)}`);
    if (names.has(l.name)) throw new Error(`${where(i, 'name')} is used twice`);
    names.add(l.name);
    if (l.name === CLASSIFIER) throw new Error(`${where(i, 'name')}: '${CLASSIFIER}' is reserved for the classifier`);
    if (Object.values(SECTION).includes(l.name as never)) throw new Error(`${where(i, 'name')}: '${l.name}' is reserved for a part of the graphs that belongs to no layer`);
    if (l.kernel !== 1 && l.kernel !== 3) throw new Error(`${where(i, 'kernel')} must be 1 or 3, got ${l.kernel}`);
    if (!Number.isInteger(l.width) || l.width < 1) throw new Error(`${where(i, 'width')} must be a positive integer, got ${l.width}`);
    if (!Number.isInteger(l.stride) || l.stride < 1) throw new Error(`${where(i, 'stride')} must be a positive integer, got ${l.stride}`);
    if (l.depthwise && (!Number.isInteger(l.depthwise.stride) || l.depthwise.stride < 1)) {
      throw new Error(`${where(i, 'depthwise.stride')} must be a positive integer`);
    }
  });
  const geo = layerGeometry(arch);
  geo.forEach((g, i) => {
    if (g.poolHW[0] < 1 || g.poolHW[1] < 1) {
      throw new Error(`${where(i, '')}: input ${arch.inputShape.join('x')} is too small, the feature map vanishes here`);
    }
  });
  return arch;
}

/** Output channels of the last dense layer (the classifier's input width). */
export function lastWidth(arch: ArchState): number {
  return arch.layers[arch.layers.length - 1]!.width;
}

/** A deep copy of `arch`. */
export function cloneArch(arch: ArchState): ArchState {
  return JSON.parse(JSON.stringify(arch)) as ArchState;
}
