// Morphisms: function preservation (split with θ = 0; pruning a channel whose outgoing weights are
// zero), exact structural change, purity, and selection rules.
import test from 'ava';
import { ArchState, mobilenetv1, vgg19 } from '../../src/models/arch';
import { paramCount, paramSpecs, numel } from '../../src/models/params';
import { applyMorphisms, Morphism, resourceDelta, selectMorphisms } from '../../src/morphisms';
import { buildEvalGraph } from '../../src/train/graphs';
import { freshModelState, ModelState } from '../../src/train/model-state';
import { modelBytes } from '../../src/onnx/writer';
import { createSession, f32Tensor, i64Tensor, ort } from '../../src/runtime/session';
import { Rng } from '../../src/util/rng';

async function logits(state: ModelState, images: Float32Array, n: number): Promise<Float32Array> {
  const [C, H, W] = state.arch.inputShape;
  const s = await createSession(modelBytes(buildEvalGraph(state.arch)), { device: 'cpu', threads: 1 });
  const feeds: Record<string, ort.Tensor> = { images: f32Tensor(images, [n, C, H, W]), labels: i64Tensor(new BigInt64Array(n), [n]) };
  for (const sp of paramSpecs(state.arch)) feeds[sp.name] = f32Tensor(state.params.get(sp.name)!, sp.shape);
  const out = await s.run(feeds);
  await s.release();
  return out[Object.keys(out).find((k) => k.startsWith('fc/'))!]!.data as Float32Array;
}

/** Non-trivial BN statistics, so that copying them (or not) shows in the output. */
function randomize(state: ModelState, rng: Rng): ModelState {
  for (const s of paramSpecs(state.arch)) {
    const t = state.params.get(s.name)!;
    if (s.role === 'running_mean' || s.role === 'bn_bias') t.forEach((_, i) => (t[i] = 0.2 * rng.normal()));
    if (s.role === 'running_var' || s.role === 'bn_weight') t.forEach((_, i) => (t[i] = 0.5 + rng.uniform()));
    if (s.trainable) state.momentum.get(s.name)!.forEach((_, i, m) => (m[i] = rng.normal()));
  }
  return state;
}

/** Zero channel c's outgoing weights, after which pruning it changes nothing. */
function silence(state: ModelState, l: number, c: number): void {
  const arch = state.arch;
  const next = arch.layers[l + 1];
  const name = next ? `${next.name}.conv.weight` : 'fc.weight';
  const shape = paramSpecs(arch).find((s) => s.name === name)!.shape;
  const inner = shape.slice(2).reduce((a, b) => a * b, 1);
  const t = state.params.get(name)!;
  for (let o = 0; o < shape[0]!; o++) for (let k = 0; k < inner; k++) t[(o * shape[1]! + c) * inner + k] = 0;
}

function randomMorphisms(state: ModelState, rng: Rng, zeroTheta: boolean): Morphism[] {
  const ms: Morphism[] = [];
  state.arch.layers.forEach((layer, l) => {
    const rowLen = state.params.get(`${layer.name}.conv.weight`)!.length / layer.width;
    let remaining = layer.width;
    for (let c = 0; c < layer.width; c++) {
      const u = rng.uniform();
      if (u < 0.25) ms.push({ kind: 'split', layer: layer.name, channel: c, theta: zeroTheta ? new Float32Array(rowLen) : Float32Array.from({ length: rowLen }, () => rng.normal()) });
      else if (u < 0.45 && remaining > 1) {
        silence(state, l, c);
        ms.push({ kind: 'prune', layer: layer.name, channel: c });
        remaining--;
      }
    }
  });
  return ms;
}

const maxAbsDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

for (const [label, make] of [
  ['VGG-19', (w: number | number[]) => vgg19(w)],
  ['MobileNetV1', (w: number | number[]) => mobilenetv1(w)],
] as [string, (w: number | number[]) => ArchState][]) {
  test(`${label}: splits with θ = 0 and prunes of silenced channels preserve the function (random grown architectures)`, async (t) => {
    const rng = new Rng(label.length);
    const n = 2;
    for (let trial = 0; trial < 6; trial++) {
      const layers = label === 'VGG-19' ? 16 : 14;
      const widths = Array.from({ length: layers }, () => 2 + rng.int(5));
      let state = randomize(freshModelState(make(widths), trial), rng);
      // grow once first, so the property holds on already-grown, non-uniform states too
      if (trial % 2 === 1) state = applyMorphisms(state, randomMorphisms(state, rng, false));
      const [C, H, W] = state.arch.inputShape;
      const images = Float32Array.from({ length: n * C * H * W }, () => rng.normal());
      const ms = randomMorphisms(state, rng, true); // silences the channels it prunes first
      const before = await logits(state, images, n);
      const grown = applyMorphisms(state, ms);
      const after = await logits(grown, images, n);
      t.true(maxAbsDiff(before, after) <= 1e-5, `trial ${trial}: max abs diff ${maxAbsDiff(before, after)}`);
      // structure: widths and parameter count exact
      let expected = paramCount(state.arch);
      state.arch.layers.forEach((layer, l) => {
        const splits = ms.filter((m) => m.layer === layer.name && m.kind === 'split').length;
        const prunes = ms.filter((m) => m.layer === layer.name && m.kind === 'prune').length;
        t.is(grown.arch.layers[l]!.width, layer.width + splits - prunes);
      });
      // resource deltas are per channel of the ORIGINAL widths only when one layer changes; check the total by rebuilding
      expected = paramCount(grown.arch);
      t.is(paramSpecs(grown.arch).reduce((a, s) => a + (s.trainable ? numel(s.shape) : 0), 0), expected);
      for (const s of paramSpecs(grown.arch)) {
        t.is(grown.params.get(s.name)!.length, numel(s.shape), s.name);
        if (s.trainable) t.is(grown.momentum.get(s.name)!.length, numel(s.shape), `momentum ${s.name}`);
      }
    }
  });
}

test('split: copies get w ± θ, per-channel parameters copied, outgoing halved; input state untouched', (t) => {
  const rng = new Rng(3);
  const state = randomize(freshModelState(vgg19(3), 1), rng);
  const snapshot = new Map([...state.params].map(([k, v]) => [k, Float32Array.from(v)]));
  const theta = Float32Array.from({ length: 27 }, () => rng.normal());
  const grown = applyMorphisms(state, [{ kind: 'split', layer: 'conv1', channel: 1, theta }]);
  for (const [k, v] of state.params) t.deepEqual(v, snapshot.get(k), `input ${k} was modified`);
  t.is(grown.arch.layers[0]!.width, 4);
  t.is(state.arch.layers[0]!.width, 3);
  const w = state.params.get('conv1.conv.weight')!;
  const g = grown.params.get('conv1.conv.weight')!;
  for (let k = 0; k < 27; k++) {
    t.is(g[27 + k], Math.fround(w[27 + k]! + theta[k]!));
    t.is(g[54 + k], Math.fround(w[27 + k]! - theta[k]!));
    t.is(g[k], w[k]);
    t.is(g[81 + k], w[54 + k]);
  }
  t.deepEqual(Array.from(grown.params.get('conv1.bn.weight')!), [0, 1, 1, 2].map((c) => state.params.get('conv1.bn.weight')![c]!));
  // next layer conv2.weight [3, 4, 3, 3]: columns 1 and 2 are halves of old column 1
  const n0 = state.params.get('conv2.conv.weight')!;
  const n1 = grown.params.get('conv2.conv.weight')!;
  for (let o = 0; o < 3; o++) for (let k = 0; k < 9; k++) {
    t.is(n1[(o * 4 + 1) * 9 + k], 0.5 * n0[(o * 3 + 1) * 9 + k]!);
    t.is(n1[(o * 4 + 2) * 9 + k], 0.5 * n0[(o * 3 + 1) * 9 + k]!);
    t.is(n1[(o * 4 + 3) * 9 + k], n0[(o * 3 + 2) * 9 + k]);
  }
  // momentum: incoming rows copied without θ, outgoing halved
  const m = grown.momentum.get('conv1.conv.weight')!;
  for (let k = 0; k < 27; k++) t.is(m[54 + k], state.momentum.get('conv1.conv.weight')![27 + k]);
  t.is(grown.momentum.get('conv2.conv.weight')![(0 * 4 + 2) * 9], 0.5 * state.momentum.get('conv2.conv.weight')![(0 * 3 + 1) * 9]!);
  t.is(paramCount(grown.arch) - paramCount(state.arch), resourceDelta(state.arch, 'conv1').params);
});

test('pruning below one channel is refused; a morphism on an unknown layer or channel is an error', (t) => {
  const state = freshModelState(vgg19(2), 0);
  t.throws(() => applyMorphisms(state, [{ kind: 'prune', layer: 'conv1', channel: 0 }, { kind: 'prune', layer: 'conv1', channel: 1 }]), { message: /without channels/ });
  t.throws(() => applyMorphisms(state, [{ kind: 'prune', layer: 'conv99', channel: 0 }]), { message: /unknown layer/ });
  t.throws(() => applyMorphisms(state, [{ kind: 'prune', layer: 'conv1', channel: 5 }]), { message: /has 2 channels/ });
});

test('selection: tradeoff threshold, better of split/prune, top fraction, minimum width, ties', (t) => {
  const arch = vgg19(4);
  const r = resourceDelta(arch, 'conv1').params; // 3·9 + 2 + 4·9 = 65
  t.is(r, 27 + 2 + 36);
  const lambda = 1e-3; // cost of one channel: 0.065
  const est = new Map(arch.layers.map((l) => [l.name, { split: [0, 0, 0, 0], prune: [1, 1, 1, 1] }]));
  est.set('conv1', { split: [-0.2, -0.05, -0.2, -0.3], prune: [1, 1, 1, 1] });
  est.set('conv2', { split: [0, 0, 0, 0], prune: [-0.5, -0.01, -0.5, -0.5] });
  const d = selectMorphisms(arch, est, { lambdaP: lambda, lambdaF: 0, topFraction: 0.5, minWidth: 3 });
  const applied = (layer: string) => d.filter((x) => x.layer === layer && x.applied).map((x) => `${x.kind}${x.channel}`).sort();
  // conv1: margins 0.135, −0.015 (not positive), 0.135, 0.235 → best two: 3, then tie 0/2 → 0
  t.deepEqual(applied('conv1'), ['split0', 'split3']);
  // conv2: prunes with margin 0.565 on 0, 2, 3 — top 2 allowed, but only one before reaching min width 3
  t.deepEqual(applied('conv2'), ['prune0']);
  t.is(d.find((x) => x.layer === 'conv2' && x.channel === 2)!.reason, 'layer at its minimum width 3');
  t.deepEqual(applied('conv3'), []);
  t.is(d.length, 16 * 4);
});
