// Resource change of one morphism (docs/method.md#resource-change).
//
// One more output channel of dense layer l costs (trainable parameters, as paramCount):
//   its incoming kernel                in_l·k_l²
//   its BN γ, β                        2
//   MobileNet: layer l+1's depthwise   9 + 2 (kernel, dw BN γ, β)
//   its outgoing weights               w_{l+1}·k_{l+1}²  (or `classes` for the last layer)
// and, per image, the MACs of its conv output, of its depthwise conv and of its share of the next dense
// op. Both counts are linear in w_l with every other width fixed, so the difference between the
// architecture with w_l + 1 and with w_l channels is the cost of any one channel of l: a split adds it,
// a prune removes it. FLOPs = 2 × MACs (as report.json's flops_per_image).
//
// The deltas are per morphism, on the architecture the estimates were made for. Applying several
// morphisms in ADJACENT layers at once also adds or removes the weights between their channels
// (n_l·n_{l+1}·k_{l+1}² for net width changes n_l, n_{l+1}), which no single delta contains.
import { ArchState, cloneArch } from '../models/arch';
import { macCount, paramCount } from '../models/params';
import { MorphismKind } from './types';

export interface ResourceDelta {
  params: number;
  macs: number;
  flops: number;
}

/** Resources a split of `channel` of `layer` adds (the same for every channel of the layer). */
export function resourceDelta(arch: ArchState, layer: string, channel: number): ResourceDelta {
  const l = arch.layers.findIndex((x) => x.name === layer);
  if (l < 0) throw new Error(`resourceDelta: unknown layer ${JSON.stringify(layer)}`);
  const width = arch.layers[l]!.width;
  if (!Number.isInteger(channel) || channel < 0 || channel >= width) throw new Error(`resourceDelta: ${layer} has channels 0..${width - 1}, got ${channel}`);
  const wider = cloneArch(arch);
  wider.layers[l]!.width = width + 1;
  const macs = macCount(wider) - macCount(arch);
  return { params: paramCount(wider) - paramCount(arch), macs, flops: 2 * macs };
}

/** The resource change of a morphism of that kind: +delta for a split, −delta for a prune. */
export function signedDelta(delta: ResourceDelta, kind: MorphismKind): ResourceDelta {
  const s = kind === 'split' ? 1 : -1;
  return { params: s * delta.params, macs: s * delta.macs, flops: s * delta.flops };
}
