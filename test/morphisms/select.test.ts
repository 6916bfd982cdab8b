// Selection: hand-made estimates → the expected decisions (threshold, split vs prune, top fraction,
// minimum width, ties, FLOPs, non-finite estimates), and decisions that apply cleanly.
import test from 'ava';
import { vgg19 } from '../../src/models/arch';
import { applyMorphisms, ChannelEstimates, Decision, Morphism, resourceDelta, selectMorphisms, SelectionOptions, topCount } from '../../src/morphisms';
import { Rng } from '../../src/util/rng';
import { randomState, rowLength } from './helpers';

// vgg19(4): one channel of conv1 costs 3·9 + 2 + 4·9 = 65 parameters, of conv2..conv15 4·9 + 2 + 4·9 = 74.
const arch = vgg19(4);
const LAMBDA = 2 ** -10; // a power of two keeps λ·ΔR exact: conv1 0.0634765625, conv2 0.072265625
const opts: SelectionOptions = { lambdaP: LAMBDA, lambdaF: 0, topFraction: 0.5, minWidth: 1 };
const NEUTRAL: ChannelEstimates = { split: [1, 1, 1, 1], prune: [1, 1, 1, 1] }; // every margin negative

function select(overrides: Record<string, ChannelEstimates>, o: Partial<SelectionOptions> = {}): Decision[] {
  const est = new Map(arch.layers.map((l) => [l.name, overrides[l.name] ?? NEUTRAL]));
  return selectMorphisms(arch, est, { ...opts, ...o });
}
const of = (d: Decision[], layer: string) => d.filter((x) => x.layer === layer);
const applied = (d: Decision[], layer: string) => of(d, layer).filter((x) => x.applied).map((x) => `${x.kind}${x.channel}`);

test('the resource costs the tests below rely on', (t) => {
  t.is(resourceDelta(arch, 'conv1', 0).params, 65);
  t.is(resourceDelta(arch, 'conv2', 0).params, 74);
});

test('positive tradeoff is strict: −ΔL must exceed λ_p·ΔR_p', (t) => {
  const cost = 65 * LAMBDA;
  const d = select({ conv1: { split: [-cost, -cost - 1e-9, -cost + 1e-9, 0], prune: [1, 1, 1, 1] } }, { topFraction: 1 });
  t.deepEqual(of(d, 'conv1').map((x) => x.reason), ['tradeoff-not-positive', 'applied', 'tradeoff-not-positive', 'tradeoff-not-positive']);
  t.is(of(d, 'conv1')[0]!.margin, 0);
  t.is(of(d, 'conv1')[1]!.deltaParams, 65);
});

test('per channel the better of split and prune is kept, with its ΔL, ΔR and margin', (t) => {
  const cost = 74 * LAMBDA;
  // ch0: split margin 0.5 − cost vs prune −0.1 + cost → split; ch1: prune (ΔL slightly > 0 still pays for
  // the freed parameters); ch2: both negative, the better is recorded anyway; ch3: equal margins → prune
  const d = select({ conv2: { split: [-0.5, 0.2, 1, -cost], prune: [0.1, 0.01, 1, cost] } }, { topFraction: 1 });
  const c = of(d, 'conv2');
  t.deepEqual(c.map((x) => x.kind), ['split', 'prune', 'prune', 'prune']);
  t.deepEqual(c.map((x) => x.deltaParams), [74, -74, -74, -74]);
  t.deepEqual(c.map((x) => x.deltaL), [-0.5, 0.01, 1, cost]);
  t.is(c[0]!.margin, 0.5 - cost);
  t.is(c[1]!.margin, -0.01 + cost);
  t.deepEqual(c.map((x) => x.applied), [true, true, false, false]);
  t.deepEqual(c.map((x) => x.reason), ['applied', 'applied', 'tradeoff-not-positive', 'tradeoff-not-positive']);
});

test('at most ceil(topFraction · width) per layer, best margins first, ties to the lower channel', (t) => {
  const d = select({
    conv1: { split: [-0.2, -0.3, -0.2, -0.2], prune: [1, 1, 1, 1] }, // ch1 best, then the tie 0/2/3 → 0
    conv3: { split: [-0.3, -0.2, -0.2, -0.3], prune: [1, 1, 1, 1] }, // tie 0/3 → both, ch0 first
  });
  t.deepEqual(applied(d, 'conv1'), ['split0', 'split1']);
  t.deepEqual(of(d, 'conv1').map((x) => x.reason), ['applied', 'applied', 'over-top-fraction', 'over-top-fraction']);
  t.deepEqual(applied(d, 'conv3'), ['split0', 'split3']);
  const quarter = select({ conv1: { split: [-0.2, -0.3, -0.2, -0.2], prune: [1, 1, 1, 1] } }, { topFraction: 0.25 }); // ceil(1) = 1
  t.deepEqual(applied(quarter, 'conv1'), ['split1']);
  t.deepEqual(applied(select({ conv1: { split: [-0.2, -0.3, -0.2, -0.2], prune: [1, 1, 1, 1] } }, { topFraction: 0.3 }), 'conv1'), ['split0', 'split1']); // ceil(1.2) = 2
});

test('topCount rounds up, and float products just below an integer do not add one', (t) => {
  t.is(topCount(0.3, 4), 2);
  t.is(topCount(0.3, 10), 3);
  t.is(topCount(0.7, 90), 63); // 0.7·90 = 62.99999999999999
  t.is(topCount(0.3, 1), 1);
  t.is(topCount(0, 10), 0);
  t.is(topCount(1, 7), 7);
});

test('prunes never take a layer below minWidth; a blocked prune takes no slot, a lower-ranked split still applies', (t) => {
  const d = select({ conv2: { split: [1, 1, 1, -0.2], prune: [-0.9, -0.8, -0.7, 1] } }, { topFraction: 1, minWidth: 2 });
  t.deepEqual(applied(d, 'conv2'), ['prune0', 'prune1', 'split3']);
  t.is(of(d, 'conv2')[2]!.reason, 'min-width');
  t.deepEqual(applied(select({ conv2: { split: [1, 1, 1, 1], prune: [-1, -1, -1, -1] } }, { topFraction: 1 }), 'conv2'), ['prune0', 'prune1', 'prune2']);
});

test('a layer narrower than minWidth (grow.min_width above the seed width) is never pruned, may be split, and its decisions apply', (t) => {
  // every layer of vgg19(4) has 4 channels, fewer than minWidth 6: the prunes are blocked, the split is not
  const d = select({ conv2: { split: [1, -0.5, 1, 1], prune: [-0.9, 1, -0.7, 1] } }, { topFraction: 1, minWidth: 6 });
  t.deepEqual(applied(d, 'conv2'), ['split1']);
  t.deepEqual(of(d, 'conv2').filter((x) => x.kind === 'prune' && x.margin > 0).map((x) => x.reason), ['min-width', 'min-width']);
  const state = randomState(arch, new Rng(5));
  const ms: Morphism[] = d.filter((x) => x.applied).map((x) => ({ kind: 'split', layer: x.layer, channel: x.channel, theta: new Float32Array(rowLength(state, x.layer)) }));
  const grown = applyMorphisms(state, ms, { minWidth: 6 });
  t.is(grown.arch.layers[1]!.width, 5);
  // a round with nothing to apply leaves such a layer as it is
  t.is(applyMorphisms(state, [], { minWidth: 6 }).arch.layers[1]!.width, 4);
});

test('λ_f charges FLOPs: a split worth its parameters is refused once its FLOPs cost more', (t) => {
  const r = resourceDelta(arch, 'conv1', 0);
  const est = { conv1: { split: [-0.1, 1, 1, 1], prune: [1, 1, 1, 1] } };
  t.deepEqual(applied(select(est), 'conv1'), ['split0']);
  const lambdaF = (0.1 - 65 * LAMBDA) / r.flops; // exactly uses up the margin
  const d = of(select(est, { lambdaF: lambdaF * 1.01 }), 'conv1')[0]!;
  t.false(d.applied);
  t.is(d.deltaFlops, r.flops);
  t.true(of(select(est, { lambdaF: lambdaF * 0.99 }), 'conv1')[0]!.applied);
});

test('non-finite estimates are never applied; bad inputs are errors', (t) => {
  const d = of(select({ conv1: { split: [NaN, -Infinity, -0.5, NaN], prune: [NaN, 1, 1, -0.5] } }, { topFraction: 1 }), 'conv1');
  t.deepEqual(d.map((x) => x.reason), ['estimate-not-finite', 'tradeoff-not-positive', 'applied', 'applied']);
  t.deepEqual(d.map((x) => x.kind), ['prune', 'prune', 'split', 'prune']);
  t.is(d[0]!.margin, -Infinity);
  const est = new Map(arch.layers.map((l) => [l.name, NEUTRAL]));
  est.delete('conv7');
  t.throws(() => selectMorphisms(arch, est, opts), { message: /no estimates for layer conv7/ });
  est.set('conv7', { split: [1, 1, 1], prune: [1, 1, 1] });
  t.throws(() => selectMorphisms(arch, est, opts), { message: /conv7 has 4 channels/ });
  est.set('conv7', NEUTRAL);
  for (const bad of [{ lambdaP: -1 }, { lambdaF: NaN }, { topFraction: 1.5 }, { minWidth: 0 }]) t.throws(() => selectMorphisms(arch, est, { ...opts, ...bad }));
});

test('one decision per channel, in layer then channel order; applied decisions apply without error', (t) => {
  const rng = new Rng(31);
  const est = new Map(arch.layers.map((l) => [l.name, { split: Float64Array.from({ length: l.width }, () => rng.normal() * 0.2), prune: Float64Array.from({ length: l.width }, () => rng.normal() * 0.2) }]));
  const d = selectMorphisms(arch, est, { ...opts, topFraction: 1, minWidth: 2 });
  t.deepEqual(d.map((x) => `${x.layer}/${x.channel}`), arch.layers.flatMap((l) => Array.from({ length: l.width }, (_, c) => `${l.name}/${c}`)));
  const state = randomState(arch, rng);
  const ms: Morphism[] = d.filter((x) => x.applied).map((x) => (x.kind === 'prune' ? { kind: 'prune', layer: x.layer, channel: x.channel } : { kind: 'split', layer: x.layer, channel: x.channel, theta: new Float32Array(rowLength(state, x.layer)) }));
  t.true(ms.length > 10);
  const grown = applyMorphisms(state, ms, { minWidth: 2 });
  grown.arch.layers.forEach((l, i) => {
    const ds = d.filter((x) => x.layer === l.name && x.applied);
    t.is(l.width, arch.layers[i]!.width + ds.filter((x) => x.kind === 'split').length - ds.filter((x) => x.kind === 'prune').length);
  });
});
