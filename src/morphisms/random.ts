// Random splitting (Net2Net-style), the baseline that isolates "which channels" from "how many"
// (docs/method.md#baselines, ALGORITHM.md "Baselines"): per layer and phase it applies exactly as many
// splits and prunes as a reference Gauss-Newton run applied there, on channels drawn uniformly at
// random without replacement. θ of a split is the caller's (a small random perturbation: symmetry
// breaking only, see src/cli/run/run.ts).
//
// Draw, per layer of width w with n_s splits and n_p prunes (n_s + n_p ≤ w): a uniformly random
// (n_s + n_p)-subset in random order — the first n_s steps of a Fisher-Yates shuffle of 0..w−1 are
// uniform over ordered n_s-tuples — whose first n_s channels are split and the rest pruned. Every
// (split set, prune set) pair of those sizes is equally likely.
import { ArchState } from '../models/arch';
import { Rng } from '../util/rng';
import { Decision } from './select';
import { resourceDelta, signedDelta } from './resources';
import { MorphismKind } from './types';

/** How many splits and prunes a layer gets in one phase. */
export interface LayerCounts {
  splits: number;
  prunes: number;
}

/**
 * Every layer that `counts` names is one of `arch`'s (`method` names the baseline in the message).
 * @throws Error naming the unknown layer
 */
export function checkCountLayers(arch: ArchState, counts: ReadonlyMap<string, LayerCounts>, method: string): void {
  for (const name of counts.keys()) if (!arch.layers.some((l) => l.name === name)) throw new Error(`${method}: counts for unknown layer ${JSON.stringify(name)}`);
}

/**
 * `layer`'s counts (none when `counts` lacks it), checked: whole numbers ≥ 0, splits + prunes at most
 * its width, and at least `minWidth` channels left after the prunes.
 * @throws Error naming the layer, the count and `method`
 */
export function layerCounts(layer: { name: string; width: number }, counts: ReadonlyMap<string, LayerCounts>, minWidth: number, method: string): LayerCounts {
  const n = counts.get(layer.name) ?? { splits: 0, prunes: 0 };
  const w = layer.width;
  for (const [what, v] of Object.entries(n)) if (!Number.isInteger(v) || v < 0) throw new Error(`${method}: ${layer.name} ${what} must be an integer >= 0, got ${v}`);
  if (n.splits + n.prunes > w) throw new Error(`${method}: ${layer.name} has ${w} channels, fewer than ${n.splits} splits + ${n.prunes} prunes`);
  if (w - n.prunes < minWidth) throw new Error(`${method}: ${n.prunes} prunes of ${layer.name}'s ${w} channels would leave fewer than the minimum width ${minWidth}`);
  return n;
}

/**
 * The decisions of random splitting for `arch`: per layer, `counts.get(layer)` splits and prunes (a
 * layer absent from `counts` gets none) on distinct channels drawn uniformly at random from
 * `rngOf(layer)` (one generator per layer, so that one layer's draw never shifts another's).
 * Returns one applied Decision per chosen channel (reason 'random'; deltaL and margin NaN: nothing
 * was estimated), in layer order then channel order; channels not chosen get no Decision.
 * @throws Error when a count is not a non-negative integer, names an unknown layer, or the layer's
 *   splits + prunes exceed its width or its prunes leave fewer than `minWidth` channels.
 */
export function randomDecisions(arch: ArchState, counts: ReadonlyMap<string, LayerCounts>, rngOf: (layer: string) => Rng, minWidth = 1): Decision[] {
  checkCountLayers(arch, counts, 'random splitting');
  const decisions: Decision[] = [];
  for (const layer of arch.layers) {
    const n = layerCounts(layer, counts, minWidth, 'random splitting');
    const w = layer.width;
    if (n.splits + n.prunes === 0) continue;
    const rng = rngOf(layer.name);
    // partial Fisher-Yates: after step i, order[0..i] is a uniform random ordered sample
    const order = Array.from({ length: w }, (_, c) => c);
    const k = n.splits + n.prunes;
    for (let i = 0; i < k; i++) {
      const j = i + rng.int(w - i);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    const r = resourceDelta(arch, layer.name, 0);
    const chosen: Decision[] = order.slice(0, k).map((channel, i) => {
      const kind: MorphismKind = i < n.splits ? 'split' : 'prune';
      const d = signedDelta(r, kind);
      return { layer: layer.name, channel, kind, deltaL: NaN, deltaParams: d.params, deltaFlops: d.flops, margin: NaN, applied: true, reason: 'random' };
    });
    decisions.push(...chosen.sort((a, b) => a.channel - b.channel));
  }
  return decisions;
}
