// Whether an architecture can be trained at a batch size on this machine, decided before any work:
// training-mode BatchNorm needs two values per channel, and the step graphs need memory.
import * as os from 'os';
import { ArchState, layerGeometry } from './arch';
import { paramCount } from './params';

/** Where a training-mode BatchNorm sees the fewest values per channel, and how many (batch × H × W). */
export function fewestBatchNormValues(arch: ArchState, batch: number): { bn: string; values: number; hw: [number, number] } {
  let worst = { bn: '', values: Infinity, hw: [0, 0] as [number, number] };
  const geo = layerGeometry(arch);
  arch.layers.forEach((layer, l) => {
    const g = geo[l]!;
    const check = (bn: string, hw: [number, number]) => {
      const values = batch * hw[0] * hw[1];
      if (values < worst.values) worst = { bn, values, hw };
    };
    if (layer.depthwise) check(`${layer.name} depthwise BN`, g.convInHW);
    check(`${layer.name} BN`, g.outHW);
  });
  return worst;
}

/**
 * A lower bound of the memory one step graph needs, in bytes: every float32 parameter and running
 * statistic held about five times (input, updated output, momentum in and out, gradient), and every
 * dense layer's activations at `batch` held about four times (conv output, BatchNorm output, ReLU output
 * and their gradients at least); the growing step runs each layer twice more (W ± Θ branches) and holds
 * θ with its Adam moments. The true need is higher (ORT's workspace, im2col buffers): a config over this
 * bound cannot run, one under it may still not.
 */
export function stepMemoryLowerBound(arch: ArchState, batch: number, kind: 'train' | 'grow'): number {
  const geo = layerGeometry(arch);
  let activations = 0;
  arch.layers.forEach((layer, l) => {
    const g = geo[l]!;
    activations += layer.width * g.outHW[0] * g.outHW[1];
    if (layer.depthwise) activations += g.inChannels * g.convInHW[0] * g.convInHW[1];
  });
  const params = paramCount(arch);
  const bytes = 4 * (5 * params + 4 * batch * activations);
  return kind === 'train' ? bytes : 3 * bytes;
}

/** Physical memory of this machine, bytes (os.totalmem). */
export function machineMemory(): number {
  return os.totalmem();
}
