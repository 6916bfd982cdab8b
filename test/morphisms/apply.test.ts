// Applying morphisms: exact structural change of every tensor (weights, BN statistics, momentum),
// parameter counts, purity, and the errors.
import test from 'ava';
import { ArchState, mobilenetv1, vgg19 } from '../../src/models/arch';
import { numel, paramCount, paramSpecs } from '../../src/models/params';
import { applyMorphisms, Morphism, resourceDelta, signedDelta } from '../../src/morphisms';
import { ModelState } from '../../src/models/state';
import { Rng } from '../../src/util/rng';
import { FAMILIES, randomMorphisms, randomState, rowLength, snapshot } from './helpers';

const BN = ['weight', 'bias', 'running_mean', 'running_var'];

/** Rows (axis-0 slices) of a tensor with `rows` rows. */
function rowsOf(t: Float32Array, rows: number): Float32Array[] {
  const len = t.length / rows;
  return Array.from({ length: rows }, (_, r) => t.slice(r * len, (r + 1) * len));
}

/** Axis-1 slices of a [a, b, ...] tensor: cols[j][i] = the [i, j, ...] block. */
function colsOf(t: Float32Array, a: number, b: number): Float32Array[][] {
  const inner = t.length / (a * b);
  return Array.from({ length: b }, (_, j) => Array.from({ length: a }, (_, i) => t.slice((i * b + j) * inner, (i * b + j + 1) * inner)));
}

const plus = (w: Float32Array, th: Float32Array, s: number) => w.map((v, k) => v + s * th[k]!);
const half = (w: Float32Array) => w.map((v) => 0.5 * v);
const arr = (xs: Float32Array[]) => xs.map((x) => Array.from(x));
const arr2 = (xs: Float32Array[][]) => xs.map((x) => x.map((y) => Array.from(y)));

function assertUnchangedExcept(t: import('ava').ExecutionContext, before: ModelState, after: ModelState, changed: string[]): void {
  for (const s of paramSpecs(before.arch)) {
    if (changed.includes(s.name)) continue;
    t.deepEqual(after.params.get(s.name), before.params.get(s.name), `${s.name} should be unchanged`);
    if (s.trainable) t.deepEqual(after.momentum.get(s.name), before.momentum.get(s.name), `momentum ${s.name} should be unchanged`);
  }
}

test('VGG split with θ ≠ 0: rows w ± θ with the copy right after c, BN copied, outgoing columns halved; momentum copied/halved without θ', (t) => {
  const rng = new Rng(1);
  const s = randomState(vgg19([3, 2, ...new Array<number>(14).fill(2)]), rng);
  const theta = Float32Array.from({ length: 27 }, () => rng.normal());
  const g = applyMorphisms(s, [{ kind: 'split', layer: 'conv1', channel: 1, theta }]);
  t.deepEqual(g.arch.layers.map((l) => l.width), [4, 2, ...new Array<number>(14).fill(2)]);

  const w = rowsOf(s.params.get('conv1.conv.weight')!, 3);
  t.deepEqual(arr(rowsOf(g.params.get('conv1.conv.weight')!, 4)), arr([w[0]!, plus(w[1]!, theta, 1), plus(w[1]!, theta, -1), w[2]!]));
  const mw = rowsOf(s.momentum.get('conv1.conv.weight')!, 3);
  t.deepEqual(arr(rowsOf(g.momentum.get('conv1.conv.weight')!, 4)), arr([mw[0]!, mw[1]!, mw[1]!, mw[2]!]), 'momentum rows copied, no θ');
  for (const p of BN) {
    const v = s.params.get(`conv1.bn.${p}`)!;
    t.deepEqual(Array.from(g.params.get(`conv1.bn.${p}`)!), [v[0]!, v[1]!, v[1]!, v[2]!], `conv1.bn.${p}`);
    const m = s.momentum.get(`conv1.bn.${p}`);
    if (p === 'weight' || p === 'bias') t.deepEqual(Array.from(g.momentum.get(`conv1.bn.${p}`)!), [m![0]!, m![1]!, m![1]!, m![2]!]);
    else t.false(g.momentum.has(`conv1.bn.${p}`), 'running statistics have no momentum');
  }
  for (const [map, name] of [[(x: ModelState) => x.params, 'weights'], [(x: ModelState) => x.momentum, 'momentum']] as const) {
    const c = colsOf(map(s).get('conv2.conv.weight')!, 2, 3);
    t.deepEqual(arr2(colsOf(map(g).get('conv2.conv.weight')!, 2, 4)), arr2([c[0]!, c[1]!.map(half), c[1]!.map(half), c[2]!]), `conv2 columns (${name})`);
  }
  assertUnchangedExcept(t, s, g, ['conv1.conv.weight', ...BN.map((p) => `conv1.bn.${p}`), 'conv2.conv.weight']);
});

test('splitting the last layer halves the classifier columns; fc.bias is untouched', (t) => {
  const rng = new Rng(2);
  const s = randomState(vgg19(2), rng);
  const g = applyMorphisms(s, [{ kind: 'split', layer: 'conv16', channel: 0, theta: new Float32Array(18) }]);
  const c = colsOf(s.params.get('fc.weight')!, 10, 2);
  t.deepEqual(arr2(colsOf(g.params.get('fc.weight')!, 10, 3)), arr2([c[0]!.map(half), c[0]!.map(half), c[1]!]));
  t.deepEqual(g.params.get('fc.bias'), s.params.get('fc.bias'));
});

test('MobileNet split: the next layer\'s depthwise kernel and its BN are copied, its pointwise columns halved', (t) => {
  const rng = new Rng(3);
  const s = randomState(mobilenetv1(3), rng);
  const theta = Float32Array.from({ length: 3 }, () => rng.normal()); // block3 is 1x1 on 3 channels
  const g = applyMorphisms(s, [{ kind: 'split', layer: 'block3', channel: 2, theta }]);
  t.is(g.arch.layers[3]!.width, 4);
  const w = rowsOf(s.params.get('block3.conv.weight')!, 3);
  t.deepEqual(arr(rowsOf(g.params.get('block3.conv.weight')!, 4)), arr([w[0]!, w[1]!, plus(w[2]!, theta, 1), plus(w[2]!, theta, -1)]));
  const dw = rowsOf(s.params.get('block4.dw.weight')!, 3);
  t.deepEqual(arr(rowsOf(g.params.get('block4.dw.weight')!, 4)), arr([dw[0]!, dw[1]!, dw[2]!, dw[2]!]));
  const mdw = rowsOf(s.momentum.get('block4.dw.weight')!, 3);
  t.deepEqual(arr(rowsOf(g.momentum.get('block4.dw.weight')!, 4)), arr([mdw[0]!, mdw[1]!, mdw[2]!, mdw[2]!]));
  for (const p of BN) {
    for (const prefix of ['block3.bn', 'block4.dw_bn']) {
      const v = s.params.get(`${prefix}.${p}`)!;
      t.deepEqual(Array.from(g.params.get(`${prefix}.${p}`)!), [v[0]!, v[1]!, v[2]!, v[2]!], `${prefix}.${p}`);
    }
  }
  const c = colsOf(s.params.get('block4.conv.weight')!, 3, 3);
  t.deepEqual(arr2(colsOf(g.params.get('block4.conv.weight')!, 3, 4)), arr2([c[0]!, c[1]!, c[2]!.map(half), c[2]!.map(half)]));
  assertUnchangedExcept(t, s, g, ['block3.conv.weight', 'block4.dw.weight', 'block4.conv.weight', ...BN.flatMap((p) => [`block3.bn.${p}`, `block4.dw_bn.${p}`])]);
});

test('prune removes the incoming row, per-channel parameters (MobileNet: next depthwise row and its BN) and outgoing columns, momentum too', (t) => {
  const rng = new Rng(4);
  const s = randomState(mobilenetv1(3), rng);
  const g = applyMorphisms(s, [{ kind: 'prune', layer: 'block5', channel: 1 }]);
  t.is(g.arch.layers[5]!.width, 2);
  for (const map of [(x: ModelState) => x.params, (x: ModelState) => x.momentum]) {
    const w = rowsOf(map(s).get('block5.conv.weight')!, 3);
    t.deepEqual(arr(rowsOf(map(g).get('block5.conv.weight')!, 2)), arr([w[0]!, w[2]!]));
    const dw = rowsOf(map(s).get('block6.dw.weight')!, 3);
    t.deepEqual(arr(rowsOf(map(g).get('block6.dw.weight')!, 2)), arr([dw[0]!, dw[2]!]));
    const c = colsOf(map(s).get('block6.conv.weight')!, 3, 3);
    t.deepEqual(arr2(colsOf(map(g).get('block6.conv.weight')!, 3, 2)), arr2([c[0]!, c[2]!]));
  }
  for (const prefix of ['block5.bn', 'block6.dw_bn']) for (const p of BN) {
    const v = s.params.get(`${prefix}.${p}`)!;
    t.deepEqual(Array.from(g.params.get(`${prefix}.${p}`)!), [v[0]!, v[2]!]);
  }
});

test('morphisms in adjacent layers at once: rows of the next layer get ±θ in the old input channels, then its columns are remapped', (t) => {
  const rng = new Rng(5);
  const s = randomState(vgg19([3, 2, ...new Array<number>(14).fill(2)]), rng);
  const theta2 = Float32Array.from({ length: 27 }, () => rng.normal()); // conv2's kernel row: 3 inputs × 3 × 3
  const g = applyMorphisms(s, [
    { kind: 'prune', layer: 'conv1', channel: 2 },
    { kind: 'split', layer: 'conv1', channel: 0, theta: new Float32Array(27) },
    { kind: 'split', layer: 'conv2', channel: 1, theta: theta2 },
  ]);
  t.deepEqual(g.arch.layers.slice(0, 3).map((l) => l.width), [3, 3, 2]);
  // conv2.conv.weight: old [2 out, 3 in, 3, 3] → new [3 out, 3 in, 3, 3]
  //   rows:  old 0, old 1 + θ, old 1 − θ;  columns: ½·old 0, ½·old 0, old 1 (old column 2 pruned)
  const old = s.params.get('conv2.conv.weight')!;
  const at = (o: number, i: number, k: number) => old[(o * 3 + i) * 9 + k]!;
  const th = (i: number, k: number) => theta2[i * 9 + k]!;
  const rowSpec = [[0, 0], [1, 1], [1, -1]] as const;
  const colSpec = [[0, 0.5], [0, 0.5], [1, 1]] as const;
  const expected: number[] = [];
  for (const [o, sign] of rowSpec) for (const [i, scale] of colSpec) for (let k = 0; k < 9; k++) expected.push(Math.fround(scale * Math.fround(at(o, i, k) + sign * th(i, k))));
  t.deepEqual(Array.from(g.params.get('conv2.conv.weight')!), expected);
});

test('random states: widths, every tensor\'s size and the parameter count change are exact', (t) => {
  const rng = new Rng(6);
  for (let trial = 0; trial < 20; trial++) {
    const { layers, make } = FAMILIES[trial % 2]!;
    const s = randomState(make(Array.from({ length: layers }, () => 1 + rng.int(6))), rng);
    const ms = randomMorphisms(s, rng, false, 0.3, 0.3);
    const g = applyMorphisms(s, ms);
    // widths: + splits − prunes
    const net = s.arch.layers.map((l) => ms.filter((m) => m.layer === l.name).reduce((a, m) => a + (m.kind === 'split' ? 1 : -1), 0));
    t.deepEqual(g.arch.layers.map((l) => l.width), s.arch.layers.map((l, i) => l.width + net[i]!));
    // every tensor (and momentum buffer) present with its new shape's size, nothing else
    const specs = paramSpecs(g.arch);
    t.deepEqual([...g.params.keys()].sort(), specs.map((x) => x.name).sort());
    t.deepEqual([...g.momentum.keys()].sort(), specs.filter((x) => x.trainable).map((x) => x.name).sort());
    for (const x of specs) {
      t.is(g.params.get(x.name)!.length, numel(x.shape), x.name);
      if (x.trainable) t.is(g.momentum.get(x.name)!.length, numel(x.shape), `momentum ${x.name}`);
    }
    // parameter count: Σ of the morphisms' resource deltas, plus the weights between the new channels
    // of adjacent layers (n_l·n_{l+1}·k²_{l+1}), which no single morphism's delta contains
    const sum = ms.reduce((a, m) => a + signedDelta(resourceDelta(s.arch, m.layer, m.channel), m.kind).params, 0);
    const cross = s.arch.layers.slice(1).reduce((a, l, i) => a + net[i]! * net[i + 1]! * l.kernel * l.kernel, 0);
    t.is(paramCount(g.arch) - paramCount(s.arch), sum + cross, `trial ${trial}`);
  }
});

test('morphisms in non-adjacent layers: the parameter count changes by exactly the sum of their resource deltas', (t) => {
  for (const arch of [vgg19(4), mobilenetv1(4)] as ArchState[]) {
    const s = randomState(arch, new Rng(7));
    const ms: Morphism[] = [];
    arch.layers.forEach((l, i) => {
      if (i % 2 === 1) return;
      ms.push({ kind: 'split', layer: l.name, channel: 0, theta: new Float32Array(rowLength(s, l.name)) });
      ms.push({ kind: 'split', layer: l.name, channel: 3, theta: new Float32Array(rowLength(s, l.name)) });
      if (i % 4 === 0) ms.push({ kind: 'prune', layer: l.name, channel: 1 });
    });
    const g = applyMorphisms(s, ms);
    const sum = ms.reduce((a, m) => a + signedDelta(resourceDelta(arch, m.layer, m.channel), m.kind).params, 0);
    t.is(paramCount(g.arch) - paramCount(arch), sum, arch.family);
  }
});

test('purity: the input state is unchanged and shares no buffer with the result', (t) => {
  const rng = new Rng(8);
  const s = randomState(mobilenetv1(3), rng);
  const before = snapshot(s);
  const g = applyMorphisms(s, randomMorphisms(s, rng, false, 0.3, 0.3));
  for (const map of [g.params, g.momentum]) for (const v of map.values()) v.fill(7); // scribble over the result
  g.arch.layers[0]!.width = 99;
  const after = snapshot(s);
  t.is(after.arch, before.arch);
  t.deepEqual(after.params, before.params);
  t.deepEqual(after.momentum, before.momentum);
  // no morphisms: an equal, independent copy
  const copy = applyMorphisms(s, []);
  t.deepEqual(copy, s);
  t.not(copy.params.get('fc.weight'), s.params.get('fc.weight'));
});

test('errors: unknown layer, channel out of range, two morphisms on one channel, θ of the wrong size or not finite, pruning below the minimum width', (t) => {
  const s = randomState(vgg19(2), new Rng(9));
  const before = snapshot(s);
  const split = (channel: number, theta = new Float32Array(18)): Morphism => ({ kind: 'split', layer: 'conv2', channel, theta });
  const prune = (layer: string, channel: number): Morphism => ({ kind: 'prune', layer, channel });
  t.throws(() => applyMorphisms(s, [prune('conv99', 0)]), { message: /unknown layer "conv99"/ });
  t.throws(() => applyMorphisms(s, [prune('conv1', 2)]), { message: /channels 0\.\.1/ });
  t.throws(() => applyMorphisms(s, [prune('conv1', -1)]), { message: /channels 0\.\.1/ });
  t.throws(() => applyMorphisms(s, [prune('conv1', 0.5)]), { message: /channels 0\.\.1/ });
  t.throws(() => applyMorphisms(s, [split(0), prune('conv2', 0)]), { message: /more than one morphism/ });
  t.throws(() => applyMorphisms(s, [split(0, new Float32Array(27))]), { message: /θ has 27 values, the incoming kernel 18/ });
  t.throws(() => applyMorphisms(s, [split(0, new Float32Array(18).fill(NaN))]), { message: /not finite/ });
  t.throws(() => applyMorphisms(s, [prune('conv1', 0), prune('conv1', 1)]), { message: /below the minimum width 1/ });
  // minimum width counts the layer's original channels: a split does not make room for a prune
  const w4 = randomState(vgg19(4), new Rng(10));
  const two = [prune('conv3', 0), prune('conv3', 1)];
  t.notThrows(() => applyMorphisms(w4, two, { minWidth: 2 }));
  t.throws(() => applyMorphisms(w4, two, { minWidth: 3 }), { message: /would leave 2, below the minimum width 3/ });
  t.throws(() => applyMorphisms(w4, [...two, { kind: 'split', layer: 'conv3', channel: 2, theta: new Float32Array(36) }], { minWidth: 3 }), { message: /minimum width 3/ });
  t.throws(() => applyMorphisms(w4, [], { minWidth: 0 }), { message: /minWidth/ });
  // a layer already below the minimum (a seed narrower than grow.min_width) passes a round without
  // prunes and may be split; a prune is still refused
  t.notThrows(() => applyMorphisms(w4, [], { minWidth: 5 }));
  t.is(applyMorphisms(w4, [{ kind: 'split', layer: 'conv3', channel: 2, theta: new Float32Array(36) }], { minWidth: 5 }).arch.layers[2]!.width, 5);
  t.throws(() => applyMorphisms(w4, [prune('conv3', 0)], { minWidth: 5 }), { message: /would leave 3, below the minimum width 5/ });
  // an inconsistent state is refused rather than rewritten into garbage
  const broken: ModelState = { ...s, params: new Map(s.params).set('conv2.bn.bias', new Float32Array(5)) };
  t.throws(() => applyMorphisms(broken, []), { message: /conv2\.bn\.bias/ });
  const after = snapshot(s);
  t.deepEqual([after.arch, after.params, after.momentum], [before.arch, before.params, before.momentum], 'a failed call leaves the input untouched');
});
