// Which layer, and which part of the step, every node of a graph belongs to: what a saved graph groups
// into one function per layer part (src/onnx/writer.ts, option `functions`), and what the profiler
// sums time by. Read from the node's name, which the builders give by layer (src/models/forward.ts,
// src/train/graphs.ts, src/grow/graph.ts), rather than passed along every emit call:
//
//   <layer>/...                              forward   (conv3/conv/Conv, conv3/bn/..., block4/dw/...)
//   <layer>/.../<op>_grad/...                backward  (autodiff puts a node's gradient under `<node>_grad/`)
//   <layer>/sgd/<tensor>/...                 sgd       (train: the layer's SGD update)
//   <layer>/running_stats/<bn>/...           running_stats (train: BatchNorm running statistics)
//   <layer>/morphisms/{theta_conv,split_plus,split_minus}/...   morphisms (grow: the W ± Θ branches)
//   <layer>/morphisms/{split_head,prune_head,estimates,objective}...  gn_heads (grow: s, ΔL_GN, outputs)
//   <layer>/morphisms/.../<op>_grad/...      theta_backward (grow: the gradient of Σ ΔL_GN to θ)
//   <layer>/adam/...                         adam      (grow: the layer's Adam update of θ)
//   <layer>/splitting/...                    splitting (splitting: the quadratic in V of steepest descent)
//   <layer>/splitting/.../<op>_grad/...      splitting_backward (splitting: its gradient S_c·v_c)
//   <section>/...                            a part named by SECTION_PART (loss/forward, adam/bias_correction)
// where <layer> is a dense layer of the architecture or the classifier `fc`. A first segment that is a
// tensor's gradient scope (`conv2.conv.weight_grad/Sum`, where autodiff sums a tensor's gradient
// contributions) belongs to that tensor's layer (names.ts, tensorLayer): its backward part, or its
// theta_backward part for θ, its splitting_backward part for a splitting direction V.
import type { Graph } from '../onnx/ir';
import type { ArchState } from './arch';
import { CLASSIFIER, SECTION, splittingVName, tensorLayer, thetaName } from './names';

/** Scope words inside a layer that start a part (the builders name their scopes with these). */
export const PART_SCOPE = { sgd: 'sgd', runningStats: 'running_stats', morphisms: 'morphisms', adam: 'adam', splitting: 'splitting' } as const;

/** Scopes under `<layer>/morphisms/` that hold the Gauss-Newton heads (the rest are the branches). */
export const HEAD_SCOPE = { split: 'split_head', prune: 'prune_head', estimates: 'estimates', objective: 'objective' } as const;

/** The part of a section's nodes that are not gradients. */
const SECTION_PART: Record<string, string> = {
  [SECTION.loss]: 'forward',
  [SECTION.objective]: 'sum',
  [SECTION.adam]: 'bias_correction',
  [SECTION.head]: 'forward',
};

const HEADS = new Set<string>(Object.values(HEAD_SCOPE));
const isGradScope = (segment: string) => segment.endsWith('_grad');

/**
 * The layer (a name of `layers`, the classifier `fc`, or a SECTION) and the part of the step that the
 * node named `name` belongs to (the file comment lists them), or undefined for a name that follows none
 * of these patterns.
 */
export function partOf(name: string, layers: ReadonlySet<string>): { layer: string; part: string } | undefined {
  const segs = name.split('/');
  const head = segs[0]!;
  const grad = segs.some(isGradScope);
  if (Object.hasOwn(SECTION_PART, head)) return { layer: head, part: grad ? 'backward' : SECTION_PART[head]! };
  let layer: string | undefined = head;
  if (!layers.has(head) && head !== CLASSIFIER) {
    // `conv2.conv.weight_grad`, `theta.conv3_grad`: where autodiff sums or names a tensor's gradient
    const tensor = isGradScope(head) ? head.slice(0, -'_grad'.length) : '';
    layer = tensorLayer(tensor);
    if (layer === undefined || (!layers.has(layer) && layer !== CLASSIFIER)) return undefined;
    if (tensor === thetaName(layer)) return { layer, part: 'theta_backward' };
    if (tensor === splittingVName(layer)) return { layer, part: 'splitting_backward' };
  }
  const scope = segs[1];
  if (scope === PART_SCOPE.morphisms) return { layer, part: grad ? 'theta_backward' : HEADS.has(segs[2] ?? '') ? 'gn_heads' : 'morphisms' };
  if (scope === PART_SCOPE.splitting) return { layer, part: grad ? 'splitting_backward' : 'splitting' };
  if (scope === PART_SCOPE.sgd || scope === PART_SCOPE.runningStats || scope === PART_SCOPE.adam) return { layer, part: scope };
  return { layer, part: grad ? 'backward' : 'forward' };
}

/**
 * Set Node.layer and Node.part of every node of `g` (a graph of `arch`) from its name (partOf); a node
 * whose name says neither keeps them unset (it stays at the top level of a saved graph; a test checks
 * that every graph nasgrow builds has none). Returns `g`.
 */
export function labelParts(g: Graph, arch: ArchState): Graph {
  const layers = new Set(arch.layers.map((l) => l.name));
  for (const n of g.nodes) {
    const p = partOf(n.name, layers);
    n.layer = p?.layer;
    n.part = p?.part;
  }
  return g;
}
