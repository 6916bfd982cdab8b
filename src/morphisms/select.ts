// Choosing the morphisms to apply (paper §3.3, docs/method.md#selection).
//
// Morphism m of a channel, with estimated loss change ΔL_m and resource change ΔR_m (split +ΔR,
// prune −ΔR, see resources.ts):
//   margin_m = −ΔL_m − λ_p·ΔR_p,m − λ_f·ΔR_f,m          (ΔR_f in FLOPs)
//   positive tradeoff  ⇔  margin_m > 0  ⇔  −ΔL_m > λ_p·ΔR_p + λ_f·ΔR_f
// Per layer of width w:
//   1. each channel keeps the better of its split and prune (larger margin; equal margins → prune,
//      the smaller network); a non-finite estimate counts as margin −∞
//   2. the channels whose kept morphism has a positive margin are ranked by margin, descending, ties
//      to the lower channel index
//   3. walking that ranking, a morphism is applied while fewer than ceil(topFraction·w) are; a prune
//      is skipped (not counted) if the layer would keep fewer than minWidth of its w channels (so a
//      layer already at or below minWidth is never pruned; it may still be split)
// Every channel gets a Decision, in layer order then channel order, for the per-channel CSV.
import { ArchState } from '../models/arch';
import { resourceDelta, signedDelta } from './resources';
import { MorphismKind } from './types';

export interface SelectionOptions {
  /** λ_p: loss per parameter */
  lambdaP: number;
  /** λ_f: loss per FLOP (0 ignores FLOPs) */
  lambdaF: number;
  /** per layer, at most ceil(topFraction · width) morphisms are applied */
  topFraction: number;
  /** prunes never leave a layer fewer than this many of its channels */
  minWidth: number;
}

/** Estimated ΔL of splitting / pruning each channel of one layer (index = channel). */
export interface ChannelEstimates {
  split: ArrayLike<number>;
  prune: ArrayLike<number>;
}

/** Why a decision came out as it did; comma-free, for the CSV. */
export type DecisionReason = 'applied' | 'estimate-not-finite' | 'tradeoff-not-positive' | 'over-top-fraction' | 'min-width' | 'random' | 'smallest-gamma' | 'smallest-lambda';

export interface Decision {
  layer: string;
  channel: number;
  /** the better of the channel's two morphisms */
  kind: MorphismKind;
  /** its estimated loss change */
  deltaL: number;
  /** its parameter change (split > 0, prune < 0) */
  deltaParams: number;
  /** its FLOPs change per image (split > 0, prune < 0) */
  deltaFlops: number;
  /** −ΔL − λ_p·ΔR_p − λ_f·ΔR_f (−∞ when the estimate is not finite) */
  margin: number;
  applied: boolean;
  reason: DecisionReason;
}

function checkOptions(o: SelectionOptions): void {
  const bad = (what: string) => new Error(`selection: ${what}`);
  if (!(o.lambdaP >= 0) || !Number.isFinite(o.lambdaP)) throw bad(`lambdaP must be finite and >= 0, got ${o.lambdaP}`);
  if (!(o.lambdaF >= 0) || !Number.isFinite(o.lambdaF)) throw bad(`lambdaF must be finite and >= 0, got ${o.lambdaF}`);
  if (!(o.topFraction >= 0 && o.topFraction <= 1)) throw bad(`topFraction must be in [0, 1], got ${o.topFraction}`);
  if (!Number.isInteger(o.minWidth) || o.minWidth < 1) throw bad(`minWidth must be a positive integer, got ${o.minWidth}`);
}

/** ceil(fraction·width), immune to products like 0.7·90 = 62.99999999999999 rounding the wrong way. */
export function topCount(fraction: number, width: number): number {
  return Math.max(0, Math.ceil(fraction * width - 1e-9));
}

/**
 * One Decision per channel of every layer of `arch` (layer order, then channel order), by the rule in
 * the file comment: the better of each channel's split and prune by tradeoff margin, and per layer the
 * ones with a positive margin applied in margin order up to ceil(topFraction · width).
 * @throws Error when an estimate is missing or has the wrong length, or an option is out of range.
 */
export function selectMorphisms(arch: ArchState, estimates: ReadonlyMap<string, ChannelEstimates>, opts: SelectionOptions): Decision[] {
  checkOptions(opts);
  const decisions: Decision[] = [];
  for (const layer of arch.layers) {
    const e = estimates.get(layer.name);
    if (!e) throw new Error(`selection: no estimates for layer ${layer.name}`);
    if (e.split.length !== layer.width || e.prune.length !== layer.width) {
      throw new Error(`selection: ${layer.name} has ${layer.width} channels, estimates ${e.split.length} splits and ${e.prune.length} prunes`);
    }
    const r = resourceDelta(arch, layer.name, 0); // the same for every channel of the layer
    const decide = (channel: number, kind: MorphismKind, deltaL: number): Decision => {
      const d = signedDelta(r, kind);
      const margin = Number.isFinite(deltaL) ? -deltaL - opts.lambdaP * d.params - opts.lambdaF * d.flops : -Infinity;
      const reason = !Number.isFinite(deltaL) ? 'estimate-not-finite' : margin > 0 ? 'applied' : 'tradeoff-not-positive';
      return { layer: layer.name, channel, kind, deltaL, deltaParams: d.params, deltaFlops: d.flops, margin, applied: false, reason };
    };
    const layerDecisions: Decision[] = [];
    for (let c = 0; c < layer.width; c++) {
      const split = decide(c, 'split', e.split[c]!);
      const prune = decide(c, 'prune', e.prune[c]!);
      layerDecisions.push(split.margin > prune.margin ? split : prune);
    }
    const cap = topCount(opts.topFraction, layer.width);
    // a layer at or below minWidth (a seed narrower than grow.min_width) gets no prunes at all
    const maxPrunes = Math.max(0, layer.width - opts.minWidth);
    const ranked = layerDecisions.filter((d) => d.reason === 'applied').sort((a, b) => b.margin - a.margin || a.channel - b.channel);
    let applied = 0;
    let prunes = 0;
    for (const d of ranked) {
      if (applied >= cap) d.reason = 'over-top-fraction';
      else if (d.kind === 'prune' && prunes >= maxPrunes) d.reason = 'min-width';
      else {
        d.applied = true;
        applied++;
        if (d.kind === 'prune') prunes++;
      }
    }
    decisions.push(...layerDecisions);
  }
  return decisions;
}
