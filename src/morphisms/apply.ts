// Applying morphisms: a pure function from a model state (architecture, weights, BN statistics, SGD
// momentum) and the chosen morphisms to the new model state. All morphisms of all layers are applied
// at once; every channel index and every θ refers to the state passed in.
//
// Split channel c of layer l with θ (docs/method.md#split-morphism):
//   incoming kernel  W_l[c]  → W_l[c] + θ  and  W_l[c] − θ     (the copy is inserted right after c)
//   channel-wise parameters of c (l's BN γ, β, running mean/var; MobileNet: layer l+1's depthwise
//   kernel row c and its BN) → copied to both
//   outgoing weights W_{l+1}[:, c] (or fc.weight[:, c]) → ½ W_{l+1}[:, c] for each copy
// With θ = 0 both copies compute y_c, and the next dense op sees ½·w·y_c + ½·w·y_c = w·y_c: the
// function is unchanged, in eval mode (copied running statistics) and in train mode (the copies have
// identical batch statistics).
// Prune channel c: its incoming row, channel-wise parameters and outgoing weights are removed.
//
// Where morphisms sit in adjacent layers, the next layer's incoming rows are rewritten first (θ of
// layer l+1 is indexed by l's ORIGINAL channels), then its columns: a split of input channel c turns
// row r's entry (w + θ)[c] into two entries ½(w + θ)[c] — the morphism the estimate was made for.
//
// Momentum follows its tensor the same way, except that θ is not added (a split copy starts with its
// original's momentum); along outgoing axes it is halved like the weights, so each copy's next SGD
// step is half of the original's. Pruned channels' momentum is dropped.
//
// Every tensor of the result is a fresh copy: the result shares no buffer with the input.
import { ArchState, cloneArch, validateArch } from '../models/arch';
import { numel, paramSpecs, TensorMap } from '../models/params';
import { param } from '../models/names';
import type { ModelState } from '../models/state';
import { channelAxes } from './channel-axes';
import { ChannelPlan, planChannels } from './channel-plan';
import { remapAxis, ShapedTensor } from './remap-axis';
import { Morphism } from './types';

export interface ApplyOptions {
  /** a layer keeps at least this many of its original channels (default 1) */
  minWidth?: number;
}

/** Per changed layer (by index): its channel plan and the θ of its splits, by old channel. */
interface LayerChange {
  plan: ChannelPlan;
  theta: Map<number, Float32Array>;
}

function layerChanges(state: ModelState, morphisms: readonly Morphism[], minWidth: number): Map<number, LayerChange> {
  const arch = state.arch;
  const byLayer = new Map<number, Morphism[]>();
  for (const m of morphisms) {
    const l = arch.layers.findIndex((x) => x.name === m.layer);
    if (l < 0) throw new Error(`${m.kind} of unknown layer ${JSON.stringify(m.layer)}`);
    byLayer.set(l, [...(byLayer.get(l) ?? []), m]);
  }
  const changes = new Map<number, LayerChange>();
  for (const [l, ms] of byLayer) {
    const layer = arch.layers[l]!;
    const plan = planChannels(layer.name, layer.width, ms, minWidth);
    const rowLen = state.params.get(param.convWeight(layer.name))!.length / layer.width;
    const theta = new Map<number, Float32Array>();
    for (const m of ms) {
      if (m.kind !== 'split') continue;
      if (m.theta.length !== rowLen) throw new Error(`split of ${layer.name} channel ${m.channel}: θ has ${m.theta.length} values, the incoming kernel ${rowLen}`);
      if (!m.theta.every(Number.isFinite)) throw new Error(`split of ${layer.name} channel ${m.channel}: θ is not finite`);
      theta.set(m.channel, m.theta);
    }
    changes.set(l, { plan, theta });
  }
  return changes;
}

/** Throws unless every tensor of the state has the size its architecture gives it. */
function checkState(state: ModelState): void {
  for (const s of paramSpecs(state.arch)) {
    const n = numel(s.shape);
    if (state.params.get(s.name)?.length !== n) throw new Error(`model state: ${s.name} is missing or not ${n} values`);
    if (s.trainable && state.momentum.get(s.name)?.length !== n) throw new Error(`model state: momentum of ${s.name} is missing or not ${n} values`);
  }
}

/**
 * The model state after `morphisms` (all at once; every channel index and θ refers to `state`):
 * architecture, weights, BN statistics and momentum rewritten as the file comment says. Pure: the
 * result shares no buffer with `state`.
 * @throws Error for an unknown layer, a channel out of range, two morphisms on one channel, a θ of the
 *   wrong size or not finite, prunes below `opts.minWidth` (default 1) of a layer's channels, or a
 *   state whose tensors do not fit its architecture.
 */
export function applyMorphisms(state: ModelState, morphisms: readonly Morphism[], opts: ApplyOptions = {}): ModelState {
  const minWidth = opts.minWidth ?? 1;
  if (!Number.isInteger(minWidth) || minWidth < 1) throw new Error(`minWidth must be a positive integer, got ${minWidth}`);
  checkState(state);
  const changes = layerChanges(state, morphisms, minWidth);
  const axes = channelAxes(state.arch);

  const params: TensorMap = new Map();
  const momentum: TensorMap = new Map();
  for (const spec of paramSpecs(state.arch)) {
    let p: ShapedTensor = { data: Float32Array.from(state.params.get(spec.name)!), shape: spec.shape };
    let m: ShapedTensor | null = spec.trainable ? { data: Float32Array.from(state.momentum.get(spec.name)!), shape: spec.shape } : null;
    for (const a of axes.get(spec.name) ?? []) {
      const change = changes.get(a.layer);
      if (!change) continue;
      const halveSplits = a.role === 'outgoing';
      p = remapAxis(p.data, p.shape, a.axis, change.plan, { halveSplits, theta: a.role === 'incoming' ? change.theta : undefined });
      if (m) m = remapAxis(m.data, m.shape, a.axis, change.plan, { halveSplits });
    }
    params.set(spec.name, p.data);
    if (m) momentum.set(spec.name, m.data);
  }

  const arch: ArchState = cloneArch(state.arch);
  for (const [l, change] of changes) arch.layers[l]!.width = change.plan.source.length;
  validateArch(arch);
  return { arch, params, momentum };
}
