// Choosing which morphisms to apply (ALGORITHM.md "Selection and application").
//
// Resource change of one channel's morphism, the same for every channel of a layer:
//   ΔR_p = parameters of one more channel in layer l: its incoming kernel, BN γ and β, in MobileNet
//          the next layer's depthwise kernel (9) and its BN γ, β, and its outgoing weights in the
//          next dense layer (or the classifier); split +ΔR_p, prune −ΔR_p
//   ΔR_f = multiply-accumulates per image of that channel (optional second resource, λ_f)
// A morphism has a positive tradeoff when  −ΔL > λ_p·ΔR_p + λ_f·ΔR_f; its margin is the difference.
// Per layer: each channel keeps the better (larger margin) of its split and its prune; of those with
// a positive margin the best are applied, at most ceil(topFraction · width), prunes never taking the
// layer below minWidth; ties go to the lower channel index.
import { ArchState, cloneArch } from '../models/arch';
import { macCount, paramCount } from '../models/params';

export interface SelectionOptions {
  lambdaP: number;
  lambdaF: number;
  topFraction: number;
  minWidth: number;
}

export interface ChannelEstimates {
  split: ArrayLike<number>;
  prune: ArrayLike<number>;
}

export interface Decision {
  layer: string;
  channel: number;
  /** the better of the channel's two morphisms */
  kind: 'split' | 'prune';
  deltaL: number;
  deltaParams: number;
  deltaMacs: number;
  margin: number;
  applied: boolean;
  reason: string;
}

/** Parameters and MACs per image that one more channel in `layer` costs. */
export function resourceDelta(arch: ArchState, layer: string): { params: number; macs: number } {
  const wider = cloneArch(arch);
  const l = wider.layers.find((x) => x.name === layer);
  if (!l) throw new Error(`unknown layer ${layer}`);
  l.width += 1;
  return { params: paramCount(wider) - paramCount(arch), macs: macCount(wider) - macCount(arch) };
}

export function selectMorphisms(arch: ArchState, estimates: Map<string, ChannelEstimates>, opts: SelectionOptions): Decision[] {
  const decisions: Decision[] = [];
  for (const layer of arch.layers) {
    const e = estimates.get(layer.name);
    if (!e) throw new Error(`no estimates for layer ${layer.name}`);
    const r = resourceDelta(arch, layer.name);
    const cost = opts.lambdaP * r.params + opts.lambdaF * r.macs;
    const candidates: Decision[] = [];
    for (let c = 0; c < layer.width; c++) {
      const split = -e.split[c]! - cost; // margin of splitting
      const prune = -e.prune[c]! + cost; // margin of pruning (it frees the resources)
      const kind = prune > split ? 'prune' : 'split';
      const margin = Math.max(split, prune);
      candidates.push({
        layer: layer.name,
        channel: c,
        kind,
        deltaL: kind === 'split' ? e.split[c]! : e.prune[c]!,
        deltaParams: kind === 'split' ? r.params : -r.params,
        deltaMacs: kind === 'split' ? r.macs : -r.macs,
        margin,
        applied: false,
        reason: Number.isFinite(margin) && margin > 0 ? '' : 'tradeoff not positive',
      });
    }
    const cap = Math.ceil(opts.topFraction * layer.width);
    const ranked = candidates.filter((d) => d.reason === '').sort((a, b) => b.margin - a.margin || a.channel - b.channel);
    let applied = 0;
    let width = layer.width;
    for (const d of ranked) {
      if (applied >= cap) {
        d.reason = `beyond the top ${opts.topFraction} of the layer`;
        continue;
      }
      if (d.kind === 'prune' && width - 1 < opts.minWidth) {
        d.reason = `layer at its minimum width ${opts.minWidth}`;
        continue;
      }
      d.applied = true;
      d.reason = 'applied';
      width += d.kind === 'split' ? 1 : -1;
      applied++;
    }
    decisions.push(...candidates);
  }
  return decisions;
}
