// Splitting steepest descent (Liu, Wu, Wang 2019; grow.method steepest; docs/method.md "Baselines and
// Appendix C") as a baseline paired with a reference Gauss-Newton run: per layer and phase it applies
// as many splits and prunes as the reference applied there (as random splitting does,
// src/morphisms/random.ts), but chooses the split channels by the splitting matrices:
//
//   splits: the n_s channels with the most negative λ_min (the smallest eigenvalue of the channel's
//           splitting matrix S_c; ΔL ≈ ½ε²λ_min for θ_c = ε·v_min), ties to the lower channel index;
//   prunes: steepest descent has no prune criterion (a split's second-order loss change says nothing
//           about removing the channel), so the n_p prunes are drawn uniformly at random from the
//           remaining channels, by the same partial Fisher-Yates draw as randomDecisions. Holding the
//           prunes random and the counts fixed isolates the value of the splitting criterion and
//           direction against random splitting.
//   θ_c:    scale · ‖w_in[c]‖ · v_min[c] (‖v_min‖ = 1): the steepest-descent direction at a step
//           relative to the channel's kernel norm (grow.steepest_scale), the "fixed scale" variant the
//           authors use when growing (no line search on the true loss).
import { ArchState } from '../models/arch';
import { convSpec, TensorMap } from '../models/params';
import { Rng } from '../util/rng';
import { LayerCounts, checkCountLayers, layerCounts } from './random';
import { resourceDelta, signedDelta } from './resources';
import { Decision } from './select';

/**
 * The decisions of splitting steepest descent for `arch`: per layer, `counts.get(layer)` splits on the
 * channels of smallest `lambdaMin.get(layer)[c]` (ties to the lower index) and prunes on channels
 * drawn uniformly at random from the others with `rngOf(layer)` (one generator per layer). A layer
 * absent from `counts` gets nothing. Returns one applied Decision per chosen channel (splits reason
 * 'smallest-lambda', prunes 'random'; deltaL and margin NaN: no ΔL estimate is made), in layer order
 * then channel order.
 * @throws Error when a count is not a non-negative integer, names an unknown layer, or the layer's
 *   splits + prunes exceed its width, its prunes leave fewer than `minWidth` channels, or lambdaMin
 *   lacks the layer or has not one finite value per channel.
 */
export function steepestDecisions(arch: ArchState, counts: ReadonlyMap<string, LayerCounts>, lambdaMin: ReadonlyMap<string, ArrayLike<number>>, rngOf: (layer: string) => Rng, minWidth = 1): Decision[] {
  checkCountLayers(arch, counts, 'steepest descent');
  const decisions: Decision[] = [];
  for (const layer of arch.layers) {
    const n = layerCounts(layer, counts, minWidth, 'steepest descent');
    const w = layer.width;
    if (n.splits + n.prunes === 0) continue;
    const lam = lambdaMin.get(layer.name);
    if (!lam || lam.length !== w) throw new Error(`steepest descent: ${layer.name} needs ${w} λ_min values, got ${lam?.length ?? 'none'}`);
    for (let c = 0; c < w; c++) if (!Number.isFinite(lam[c]!)) throw new Error(`steepest descent: λ_min of ${layer.name} channel ${c} is ${lam[c]}`);
    const byLambda = Array.from({ length: w }, (_, c) => c).sort((a, b) => lam[a]! - lam[b]! || a - b);
    const splits = byLambda.slice(0, n.splits);
    // the rest in channel order, then the first n_p steps of a Fisher-Yates shuffle (uniform subset)
    const rest = byLambda.slice(n.splits).sort((a, b) => a - b);
    if (n.prunes > 0) {
      const rng = rngOf(layer.name);
      for (let i = 0; i < n.prunes; i++) {
        const j = i + rng.int(rest.length - i);
        [rest[i], rest[j]] = [rest[j]!, rest[i]!];
      }
    }
    const r = resourceDelta(arch, layer.name, 0);
    const chosen: Decision[] = [
      ...splits.map((channel): Decision => ({ layer: layer.name, channel, kind: 'split', deltaL: NaN, ...deltas(r, 'split'), margin: NaN, applied: true, reason: 'smallest-lambda' })),
      ...rest.slice(0, n.prunes).map((channel): Decision => ({ layer: layer.name, channel, kind: 'prune', deltaL: NaN, ...deltas(r, 'prune'), margin: NaN, applied: true, reason: 'random' })),
    ];
    decisions.push(...chosen.sort((a, b) => a.channel - b.channel));
  }
  return decisions;
}

function deltas(r: ReturnType<typeof resourceDelta>, kind: 'split' | 'prune'): { deltaParams: number; deltaFlops: number } {
  const d = signedDelta(r, kind);
  return { deltaParams: d.params, deltaFlops: d.flops };
}

/**
 * θ of splitting steepest descent for every channel of every layer: row c = scale · ‖w_in[c]‖ · v_min[c],
 * with w_in[c] row c of the layer's conv weight in `weights` and `vMin` per layer [width × fan-in]
 * (unit rows). Returns layer → θ shaped as the conv weight (what appliedMorphisms reads). A dead
 * channel (w_in[c] = 0) gets θ = 0: its split makes two identical copies.
 * @throws Error when a layer's weight or v_min is missing or has the wrong length
 */
export function steepestTheta(arch: ArchState, weights: TensorMap, vMin: ReadonlyMap<string, ArrayLike<number>>, scale: number): TensorMap {
  const theta: TensorMap = new Map();
  for (const layer of arch.layers) {
    const spec = convSpec(arch, layer.name);
    const w = weights.get(spec.name);
    const v = vMin.get(layer.name);
    if (!w || !v || v.length !== w.length) throw new Error(`steepest descent: ${layer.name} needs v_min shaped as ${spec.name} (${w?.length ?? '?'} values), got ${v?.length ?? 'none'}`);
    const len = w.length / layer.width;
    const t = new Float32Array(w.length);
    for (let c = 0; c < layer.width; c++) {
      let ss = 0;
      for (let k = c * len; k < (c + 1) * len; k++) ss += w[k]! * w[k]!;
      const f = scale * Math.sqrt(ss);
      for (let k = c * len; k < (c + 1) * len; k++) t[k] = f * v[k]!;
    }
    theta.set(layer.name, t);
  }
  return theta;
}
