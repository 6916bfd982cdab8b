// Shared by the morphism tests: forward passes under ONNX Runtime, random model states, and the
// channel operations the property tests need.
import { ArchState, mobilenetv1, vgg19 } from '../../src/models/arch';
import { emitForward } from '../../src/models/forward';
import { paramSpecs } from '../../src/models/params';
import { Morphism } from '../../src/morphisms';
import { channelAxes } from '../../src/morphisms/channel-axes';
import { ChannelPlan } from '../../src/morphisms/channel-plan';
import { remapAxis, ShapedTensor } from '../../src/morphisms/remap-axis';
import { DType, Graph, GraphBuilder } from '../../src/onnx/graph';
import { createSession, f32Tensor, i64Tensor, ort } from '../../src/runtime/session';
import { buildEvalGraph } from '../../src/train/graphs';
import { freshModelState, ModelState } from '../../src/models/state';
import { Rng } from '../../src/util/rng';

export type Mode = 'eval' | 'train';

/** Forward only, BN with batch statistics (static batch n): images + every parameter in, logits out. */
function trainForwardGraph(arch: ArchState, n: number): Graph {
  const b = new GraphBuilder('forward_train');
  const [C, H, W] = arch.inputShape;
  const images = b.input('images', DType.FLOAT, [n, C, H, W]);
  for (const s of paramSpecs(arch)) b.input(s.name, DType.FLOAT, s.shape);
  b.output(emitForward(b, arch, images, (p) => p, 'train').logits);
  return b.graph;
}

/** Logits of `state` on `images` ([n, C, H, W]): eval mode = buildEvalGraph (running statistics). */
export async function logits(state: ModelState, images: Float32Array, n: number, mode: Mode): Promise<Float32Array> {
  const [C, H, W] = state.arch.inputShape;
  const graph = mode === 'eval' ? buildEvalGraph(state.arch) : trainForwardGraph(state.arch, n);
  const session = await createSession(graph, { device: 'cpu', threads: 1 });
  try {
    const feeds: Record<string, ort.Tensor> = { images: f32Tensor(images, [n, C, H, W]) };
    if (mode === 'eval') feeds.labels = i64Tensor(new BigInt64Array(n), [n]);
    for (const s of paramSpecs(state.arch)) feeds[s.name] = f32Tensor(state.params.get(s.name)!, s.shape);
    const out = await session.run(feeds);
    return out[graph.outputs[graph.outputs.length - 1]!.name]!.data as Float32Array;
  } finally {
    await session.release();
  }
}

export const maxAbsDiff = (a: Float32Array, b: Float32Array): number => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

export const randomImages = (rng: Rng, n: number, arch: ArchState): Float32Array =>
  Float32Array.from({ length: n * arch.inputShape.reduce((a, b) => a * b, 1) }, () => rng.normal());

/** The seed families, by widths (16 layers for VGG-19, 14 for MobileNetV1). */
export const FAMILIES: { family: ArchState['family']; layers: number; make: (w: number | number[]) => ArchState }[] = [
  { family: 'vgg19', layers: 16, make: (w) => vgg19(w) },
  { family: 'mobilenetv1', layers: 14, make: (w) => mobilenetv1(w) },
];

/** A fresh state with non-trivial BN parameters/statistics and momentum, so that mishandling shows. */
export function randomState(arch: ArchState, rng: Rng): ModelState {
  const state = freshModelState(arch, rng.int(1 << 30));
  for (const s of paramSpecs(arch)) {
    const t = state.params.get(s.name)!;
    if (s.role === 'running_mean' || s.role === 'bn_bias') t.forEach((_, i) => (t[i] = 0.2 * rng.normal()));
    if (s.role === 'running_var' || s.role === 'bn_weight') t.forEach((_, i) => (t[i] = 0.5 + rng.uniform()));
    if (s.trainable) state.momentum.get(s.name)!.forEach((_, i, m) => (m[i] = rng.normal()));
  }
  return state;
}

/** Name of the tensor holding layer l's outgoing weights, and the axis that enumerates l's channels. */
export function outgoing(arch: ArchState, l: number): { name: string; axis: 1 } {
  const next = arch.layers[l + 1];
  return { name: next ? `${next.name}.conv.weight` : 'fc.weight', axis: 1 };
}

/** Zero the outgoing weights of channel c of layer l (in place): pruning c then changes nothing. */
export function silence(state: ModelState, l: number, c: number): void {
  const { name } = outgoing(state.arch, l);
  const shape = paramSpecs(state.arch).find((s) => s.name === name)!.shape;
  const inner = shape.slice(2).reduce((a, b) => a * b, 1);
  const t = state.params.get(name)!;
  for (let o = 0; o < shape[0]!; o++) t.fill(0, (o * shape[1]! + c) * inner, (o * shape[1]! + c + 1) * inner);
}

export const rowLength = (state: ModelState, layer: string): number =>
  state.params.get(`${layer}.conv.weight`)!.length / state.arch.layers.find((l) => l.name === layer)!.width;

/**
 * Random morphisms on every layer: each channel is split with probability pSplit, pruned with pPrune
 * (never the last channel of a layer). With `preserving`, θ = 0 and each pruned channel is silenced
 * first (this mutates `state`), so the morphisms preserve the function.
 */
export function randomMorphisms(state: ModelState, rng: Rng, preserving: boolean, pSplit = 0.25, pPrune = 0.2): Morphism[] {
  const ms: Morphism[] = [];
  state.arch.layers.forEach((layer, l) => {
    const len = rowLength(state, layer.name);
    let kept = layer.width;
    for (let c = 0; c < layer.width; c++) {
      const u = rng.uniform();
      if (u < pSplit) {
        const theta = preserving ? new Float32Array(len) : Float32Array.from({ length: len }, () => 0.1 * rng.normal());
        ms.push({ kind: 'split', layer: layer.name, channel: c, theta });
      } else if (u < pSplit + pPrune && kept > 1) {
        if (preserving) silence(state, l, c);
        ms.push({ kind: 'prune', layer: layer.name, channel: c });
        kept--;
      }
    }
  });
  return ms;
}

/** A deep copy of a state (for purity checks). */
export function snapshot(state: ModelState): { arch: string; params: Map<string, Float32Array>; momentum: Map<string, Float32Array> } {
  const copy = (m: Map<string, Float32Array>) => new Map([...m].map(([k, v]) => [k, Float32Array.from(v)]));
  return { arch: JSON.stringify(state.arch), params: copy(state.params), momentum: copy(state.momentum) };
}

/**
 * The same network with every layer's channels in a random order: mathematically the same function,
 * but the dense ops sum in another order. Its logit change is the float32 noise floor of a channel
 * rearrangement (batch-statistics BN amplifies it where a channel's batch variance is tiny).
 */
export function permuteChannels(state: ModelState, rng: Rng): ModelState {
  const plans = state.arch.layers.map((layer): ChannelPlan => {
    const source = Array.from({ length: layer.width }, (_, i) => i);
    for (let i = source.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [source[i], source[j]] = [source[j]!, source[i]!];
    }
    return { source, sign: new Array<number>(layer.width).fill(0), copies: new Array<number>(layer.width).fill(1) };
  });
  const axes = channelAxes(state.arch);
  const params = new Map<string, Float32Array>();
  for (const spec of paramSpecs(state.arch)) {
    let p: ShapedTensor = { data: state.params.get(spec.name)!, shape: spec.shape };
    for (const a of axes.get(spec.name) ?? []) p = remapAxis(p.data, p.shape, a.axis, plans[a.layer]!, { halveSplits: false });
    params.set(spec.name, p.data);
  }
  return { arch: state.arch, params, momentum: state.momentum };
}
