// The forward pass of an architecture state, emitted into a graph under construction.
//
// Nodes are named by layer (`conv3/conv/Conv`, `block2/dw/bn/...`) so each layer reads as a group in
// Netron. In 'train' mode BatchNorm normalises with batch statistics (a composite with its own
// gradient rule) and max-pool also emits its argmax indices for the backward pass; in 'eval' mode BN
// uses the running statistics.
import { ArchState } from './arch';
import { GraphBuilder, float } from '../onnx/graph';
import { batchNormTrain } from '../autodiff/rules/batch-norm-train';

export const BN_EPS = 1e-5;

export type ForwardMode = 'train' | 'eval';

export interface BatchStats {
  /** BN parameter prefix, e.g. `conv3.bn` */
  prefix: string;
  mean: string;
  variance: string;
  /** number of values each statistic averages (N·H·W) */
  count: number;
}

export interface ForwardResult {
  logits: string;
  /** train mode: the batch statistics of every BN, for the running-statistics update */
  batchStats: BatchStats[];
  /** output of every dense layer's channel-wise block (after ReLU/pool): the activations y */
  layerOutputs: Map<string, string>;
}

/** `param(name)` returns the graph value holding parameter `name` (an input or an initializer). */
export function emitForward(b: GraphBuilder, arch: ArchState, images: string, param: (name: string) => string, mode: ForwardMode): ForwardResult {
  const batchStats: BatchStats[] = [];
  const layerOutputs = new Map<string, string>();

  const bn = (x: string, prefix: string): string => {
    return b.scope(prefix.split('.').pop()!, () => {
      if (mode === 'train') {
        const r = batchNormTrain(b, x, param(`${prefix}.weight`), param(`${prefix}.bias`), BN_EPS);
        const [N, , H, W] = b.staticShape(x) as [number, number, number, number];
        batchStats.push({ prefix, mean: r.mean, variance: r.variance, count: N * H * W });
        return r.y;
      }
      return b.op1(
        'BatchNormalization',
        [x, param(`${prefix}.weight`), param(`${prefix}.bias`), param(`${prefix}.running_mean`), param(`${prefix}.running_var`)],
        { epsilon: float(BN_EPS) },
        { name: 'BatchNormalization' },
      );
    });
  };

  let h = images;
  for (const layer of arch.layers) {
    h = b.scope(layer.name, () => {
      let x = h;
      if (layer.depthwise) {
        const dwStride = layer.depthwise.stride;
        x = b.scope('dw', () => {
          const cin = b.shape(x)[1] as number;
          return b.op1('Conv', [x, param(`${layer.name}.dw.weight`)], { group: cin, kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [dwStride, dwStride] }, { doc: 'depthwise 3x3 conv' });
        });
        x = bn(x, `${layer.name}.dw_bn`);
        x = b.op1('Relu', [x], {}, { name: 'dw_relu' });
      }
      const pad = (layer.kernel - 1) / 2;
      x = b.scope('conv', () =>
        b.op1('Conv', [x, param(`${layer.name}.conv.weight`)], { kernel_shape: [layer.kernel, layer.kernel], pads: [pad, pad, pad, pad], strides: [layer.stride, layer.stride] }),
      );
      x = bn(x, `${layer.name}.bn`);
      x = b.op1('Relu', [x], {}, { name: 'relu' });
      if (layer.pool) {
        x = b.op('MaxPool', [x], { kernel_shape: [2, 2], strides: [2, 2] }, { name: 'pool', outputs: mode === 'train' ? 2 : 1 })[0]!;
      }
      layerOutputs.set(layer.name, x);
      return x;
    });
  }
  const logits = b.scope('fc', () => {
    const pooled = b.op1('GlobalAveragePool', [h], {}, { name: 'global_pool' });
    const flat = b.op1('Flatten', [pooled], { axis: 1 });
    return b.op1('Gemm', [flat, param('fc.weight'), param('fc.bias')], { transB: 1 }, { name: 'Gemm', doc: 'classifier: logits = x·Wᵀ + b' });
  });
  return { logits, batchStats, layerOutputs };
}
