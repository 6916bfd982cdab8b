// Applying morphisms: a pure function from (architecture, weights, BN statistics, SGD momentum) and
// the chosen morphisms to the new ones. Channel indices refer to the state passed in.
//
// Split channel c of layer l (θ = 0 preserves the function exactly):
//   incoming kernel row c  → two rows  w_in[c] + θ  and  w_in[c] − θ   (the copy goes right after c)
//   per-channel parameters downstream (l's BN γ, β, running mean/var; in MobileNet the next layer's
//   depthwise kernel row c and its BN) → copied
//   outgoing weights (the next dense conv's input channel c, or the classifier's column c) → halved,
//   each copy taking one half
// Prune channel c: its incoming row, per-channel parameters and outgoing column are removed.
// Momentum buffers follow their weights: copied with incoming/per-channel rows, halved with outgoing
// columns (the next step then moves each copy by half the original's step, as for the weights),
// removed with pruned channels.
import { ArchState, cloneArch } from '../models/arch';
import { TensorMap } from '../models/params';
import type { ModelState } from '../train/model-state';
import { Morphism } from './types';

/** What happens to each old channel of a layer: kept (1 copy), split (2 copies) or pruned (0). */
interface ChannelPlan {
  /** per new channel: the old channel it comes from */
  source: number[];
  /** per new channel: +1 / −1 for the two halves of a split (θ sign), 0 for a kept channel */
  sign: number[];
  /** per old channel: copies in the new layer (0, 1 or 2) */
  copies: number[];
}

function planLayer(width: number, ms: Morphism[], layer: string): ChannelPlan {
  const copies = new Array<number>(width).fill(1);
  for (const m of ms) {
    if (m.channel < 0 || m.channel >= width || !Number.isInteger(m.channel)) throw new Error(`${m.kind} of ${layer} channel ${m.channel}: the layer has ${width} channels`);
    if (copies[m.channel] !== 1) throw new Error(`${layer} channel ${m.channel} has more than one morphism`);
    copies[m.channel] = m.kind === 'split' ? 2 : 0;
  }
  const source: number[] = [];
  const sign: number[] = [];
  copies.forEach((n, c) => {
    if (n === 1) {
      source.push(c);
      sign.push(0);
    } else if (n === 2) {
      source.push(c, c);
      sign.push(1, -1);
    }
  });
  if (source.length === 0) throw new Error(`pruning would leave ${layer} without channels`);
  return { source, sign, copies };
}

/** Rows (axis 0 blocks of `rowLen`) of `t` re-arranged to `plan`; `theta` added with each row's sign. */
function mapRows(t: Float32Array, rowLen: number, plan: ChannelPlan, theta?: Map<number, Float32Array>): Float32Array {
  const out = new Float32Array(plan.source.length * rowLen);
  plan.source.forEach((c, i) => {
    out.set(t.subarray(c * rowLen, (c + 1) * rowLen), i * rowLen);
    const th = theta?.get(c);
    if (th && plan.sign[i] !== 0) for (let k = 0; k < rowLen; k++) out[i * rowLen + k]! += plan.sign[i]! * th[k]!;
  });
  return out;
}

/** Axis-1 channels of `t` [rows, width, inner] re-arranged to `plan`, split columns scaled by ½. */
function mapColumns(t: Float32Array, rows: number, inner: number, plan: ChannelPlan): Float32Array {
  const oldWidth = plan.copies.length;
  const newWidth = plan.source.length;
  const out = new Float32Array(rows * newWidth * inner);
  for (let r = 0; r < rows; r++) {
    plan.source.forEach((c, i) => {
      const scale = plan.copies[c] === 2 ? 0.5 : 1;
      const src = (r * oldWidth + c) * inner;
      const dst = (r * newWidth + i) * inner;
      for (let k = 0; k < inner; k++) out[dst + k] = scale * t[src + k]!;
    });
  }
  return out;
}

export function applyMorphisms(state: ModelState, morphisms: Morphism[]): ModelState {
  const arch = state.arch;
  const byLayer = new Map<string, Morphism[]>();
  for (const m of morphisms) {
    if (!arch.layers.some((l) => l.name === m.layer)) throw new Error(`morphism on unknown layer ${m.layer}`);
    byLayer.set(m.layer, [...(byLayer.get(m.layer) ?? []), m]);
  }
  const newArch: ArchState = cloneArch(arch);
  const params: TensorMap = new Map(state.params);
  const momentum: TensorMap = new Map(state.momentum);
  // Each tensor maps either rows (its own layer's output channels) or columns (the previous layer's).
  const remap = (name: string, f: (t: Float32Array) => Float32Array) => {
    params.set(name, f(params.get(name)!));
    if (momentum.has(name)) momentum.set(name, f(momentum.get(name)!));
  };

  // Pass 1, rows: every layer's incoming kernel rows (± θ, which lives in the layer's input channels
  // as they are before any morphism) and per-channel parameters. Pass 2, columns: the outgoing
  // weights of every changed layer, now with the next layer's rows already in their new order.
  const plans = new Map<number, ChannelPlan>();
  arch.layers.forEach((layer, l) => {
    const ms = byLayer.get(layer.name);
    if (!ms || ms.length === 0) return;
    const plan = planLayer(layer.width, ms, layer.name);
    plans.set(l, plan);
    const convName = `${layer.name}.conv.weight`;
    const rowLen = params.get(convName)!.length / layer.width;
    const theta = new Map<number, Float32Array>();
    for (const m of ms) {
      if (m.kind !== 'split') continue;
      if (m.theta.length !== rowLen) throw new Error(`split of ${layer.name} channel ${m.channel}: θ has ${m.theta.length} values, the incoming kernel ${rowLen}`);
      theta.set(m.channel, m.theta);
    }
    params.set(convName, mapRows(params.get(convName)!, rowLen, plan, theta));
    momentum.set(convName, mapRows(momentum.get(convName)!, rowLen, plan)); // momentum rows copied without θ
    for (const p of ['weight', 'bias', 'running_mean', 'running_var']) remap(`${layer.name}.bn.${p}`, (t) => mapRows(t, 1, plan));
    const next = arch.layers[l + 1];
    if (next?.depthwise) {
      remap(`${next.name}.dw.weight`, (t) => mapRows(t, 9, plan));
      for (const p of ['weight', 'bias', 'running_mean', 'running_var']) remap(`${next.name}.dw_bn.${p}`, (t) => mapRows(t, 1, plan));
    }
    newArch.layers[l]!.width = plan.source.length;
  });
  for (const [l, plan] of plans) {
    const next = arch.layers[l + 1];
    if (next) {
      const k = next.kernel * next.kernel;
      remap(`${next.name}.conv.weight`, (t) => mapColumns(t, newArch.layers[l + 1]!.width, k, plan));
    } else {
      remap('fc.weight', (t) => mapColumns(t, arch.classes, 1, plan));
    }
  }
  return { arch: newArch, params, momentum };
}
