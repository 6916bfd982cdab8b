// Network slimming's pruning step (Liu et al. 2017, "Learning Efficient Convolutional Networks through
// Network Slimming"): after training with an L1 penalty s·Σ|γ| on the BN scales, a channel's |γ| is its
// importance (BN output = γ·x̂ + β, so a channel with γ ≈ 0 passes only the constant β on), and the
// channels with the smallest |γ| across ALL layers (one global threshold) are removed.
//
// The paper prunes a fixed fraction; here the stopping rule is a parameter target, so the result is
// compared with a grown network at matched parameters:
//   order every channel of every dense layer by |γ| ascending (ties: layer order, then channel index);
//   walk the order, pruning each channel, until paramCount(architecture) ≤ target;
//   a channel whose layer is down to minWidth is skipped (never pruned; the walk goes on).
// The parameter count is recomputed after every prune: one prune of layer l removes in_l·k² + 2 +
// w_{l+1}·k'² parameters AT THE CURRENT widths, which shrink as the walk goes (resources.ts).
import { ArchState, cloneArch } from '../models/arch';
import { paramCount } from '../models/params';
import { resourceDelta, signedDelta } from './resources';
import { Decision } from './select';

export interface SlimmingResult {
  /** one Decision per channel walked: applied prunes (reason 'smallest-gamma') and channels skipped at
   *  minWidth (reason 'min-width'), in layer then channel order; channels above the threshold get none */
  decisions: Decision[];
  /** the parameter count after the applied prunes */
  params: number;
  /** the largest |γ| pruned (the global threshold; −∞ when nothing was pruned) */
  threshold: number;
}

/**
 * The prunes of network slimming for `arch` down to `targetParams` parameters, by the rule in the file
 * comment. `gammas`: per layer, its BN scale γ ([width]). If the target is at or above paramCount(arch)
 * nothing is pruned; if minWidth stops the walk above the target, every channel that could go is pruned
 * and `params` says how far it got.
 * @throws Error when a layer's γ is missing, has the wrong length or is not finite, or the target or
 *   minWidth is not a positive integer.
 */
export function slimmingPrunes(arch: ArchState, gammas: ReadonlyMap<string, ArrayLike<number>>, targetParams: number, minWidth = 1): SlimmingResult {
  if (!Number.isInteger(targetParams) || targetParams < 1) throw new Error(`slimming: the parameter target must be a positive integer, got ${targetParams}`);
  if (!Number.isInteger(minWidth) || minWidth < 1) throw new Error(`slimming: minWidth must be a positive integer, got ${minWidth}`);
  const order: { l: number; c: number; g: number }[] = [];
  arch.layers.forEach((layer, l) => {
    const g = gammas.get(layer.name);
    if (!g || g.length !== layer.width) throw new Error(`slimming: ${layer.name} has ${layer.width} channels, γ ${g ? g.length : 'none'}`);
    for (let c = 0; c < layer.width; c++) {
      if (!Number.isFinite(g[c]!)) throw new Error(`slimming: γ of ${layer.name} channel ${c} is ${g[c]}`);
      order.push({ l, c, g: Math.abs(g[c]!) });
    }
  });
  order.sort((a, b) => a.g - b.g || a.l - b.l || a.c - b.c);

  const current = cloneArch(arch);
  let params = paramCount(current);
  let threshold = -Infinity;
  const decisions: Decision[] = [];
  for (const { l, c, g } of order) {
    if (params <= targetParams) break;
    const layer = arch.layers[l]!;
    const d = signedDelta(resourceDelta(arch, layer.name, c), 'prune'); // on the architecture γ was trained in
    const base = { layer: layer.name, channel: c, kind: 'prune' as const, deltaL: NaN, deltaParams: d.params, deltaFlops: d.flops, margin: NaN };
    if (current.layers[l]!.width - 1 < minWidth) {
      decisions.push({ ...base, applied: false, reason: 'min-width' });
      continue;
    }
    current.layers[l]!.width--;
    params = paramCount(current);
    threshold = g;
    decisions.push({ ...base, applied: true, reason: 'smallest-gamma' });
  }
  const index = new Map(arch.layers.map((x, i) => [x.name, i]));
  decisions.sort((a, b) => index.get(a.layer)! - index.get(b.layer)! || a.channel - b.channel);
  return { decisions, params, threshold };
}
