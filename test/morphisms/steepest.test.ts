// Splitting steepest descent's selection (src/morphisms/steepest.ts): the reference's counts per layer,
// splits on the channels of most negative λ_min (ties to the lower index), prunes on random channels
// among the rest, and θ = scale·‖w_in[c]‖·v_min[c].
import test from 'ava';
import { vgg19 } from '../../src/models/arch';
import { convSpec } from '../../src/models/params';
import { LayerCounts, steepestDecisions, steepestTheta } from '../../src/morphisms';
import { Rng } from '../../src/util/rng';
import { randomState } from './helpers';

const arch = vgg19([6, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 5]);
const counts = new Map<string, LayerCounts>([
  ['conv1', { splits: 2, prunes: 1 }],
  ['conv2', { splits: 0, prunes: 3 }],
  ['conv9', { splits: 4, prunes: 0 }],
  ['conv16', { splits: 2, prunes: 3 }],
]);
const rngOf = (seed: number) => (layer: string) => Rng.derive(seed, `test/${layer}`);
const lambdas = (seed: number) => {
  const rng = Rng.derive(seed, 'lambdas');
  return new Map(arch.layers.map((l) => [l.name, Float64Array.from({ length: l.width }, () => rng.normal())]));
};

test('splits the channels of most negative λ_min, prunes others, exactly the counts', (t) => {
  for (let seed = 0; seed < 20; seed++) {
    const lam = lambdas(seed);
    const d = steepestDecisions(arch, counts, lam, rngOf(seed));
    for (const layer of arch.layers) {
      const want = counts.get(layer.name) ?? { splits: 0, prunes: 0 };
      const of = d.filter((x) => x.layer === layer.name);
      const splits = of.filter((x) => x.kind === 'split').map((x) => x.channel);
      const prunes = of.filter((x) => x.kind === 'prune').map((x) => x.channel);
      t.is(splits.length, want.splits);
      t.is(prunes.length, want.prunes);
      t.is(new Set([...splits, ...prunes]).size, of.length, 'a channel chosen twice');
      const l = lam.get(layer.name)!;
      const best = Array.from(l.keys()).sort((a, b) => l[a]! - l[b]!).slice(0, want.splits);
      t.deepEqual([...splits].sort((a, b) => a - b), best.sort((a, b) => a - b), `${layer.name} seed ${seed}`);
      t.true(of.every((x) => x.applied && x.reason === (x.kind === 'split' ? 'smallest-lambda' : 'random')));
    }
    t.deepEqual(d.map((x) => `${x.layer}/${x.channel}`), [...d].sort((a, b) => arch.layers.findIndex((l) => l.name === a.layer) - arch.layers.findIndex((l) => l.name === b.layer) || a.channel - b.channel).map((x) => `${x.layer}/${x.channel}`));
  }
});

test('ties go to the lower channel; prunes vary with the stream and reach every other channel', (t) => {
  const tied = new Map(arch.layers.map((l) => [l.name, new Float64Array(l.width).fill(-1)]));
  const one = new Map([['conv1', { splits: 2, prunes: 1 }]]);
  const seen = new Set<number>();
  for (let seed = 0; seed < 60; seed++) {
    const d = steepestDecisions(arch, one, tied, rngOf(seed));
    t.deepEqual(d.filter((x) => x.kind === 'split').map((x) => x.channel), [0, 1]);
    seen.add(d.find((x) => x.kind === 'prune')!.channel);
  }
  t.deepEqual([...seen].sort(), [2, 3, 4, 5]);
});

test('bad counts or λ_min throw', (t) => {
  const lam = lambdas(1);
  t.throws(() => steepestDecisions(arch, new Map([['nope', { splits: 1, prunes: 0 }]]), lam, rngOf(1)), { message: /unknown layer/ });
  t.throws(() => steepestDecisions(arch, new Map([['conv1', { splits: 4, prunes: 3 }]]), lam, rngOf(1)), { message: /fewer than 4 splits \+ 3 prunes/ });
  t.throws(() => steepestDecisions(arch, new Map([['conv1', { splits: 0, prunes: 5 }]]), lam, rngOf(1), 2), { message: /minimum width 2/ });
  t.throws(() => steepestDecisions(arch, counts, new Map([...lam].filter(([k]) => k !== 'conv9')), rngOf(1)), { message: /conv9 needs 8 λ_min values/ });
  const nan = new Map(lam);
  nan.set('conv1', Float64Array.of(0, NaN, 0, 0, 0, 0));
  t.throws(() => steepestDecisions(arch, counts, nan, rngOf(1)), { message: /conv1 channel 1 is NaN/ });
});

test('θ_c = scale · ‖w_in[c]‖ · v_min[c]', (t) => {
  const state = randomState(arch, new Rng(3));
  const rng = Rng.derive(4, 'v');
  const v = new Map(arch.layers.map((l) => [l.name, Float32Array.from({ length: state.params.get(convSpec(arch, l.name).name)!.length }, () => rng.normal())]));
  const theta = steepestTheta(arch, state.params, v, 0.1);
  for (const layer of arch.layers) {
    const w = state.params.get(convSpec(arch, layer.name).name)!;
    const len = w.length / layer.width;
    for (let c = 0; c < layer.width; c++) {
      const norm = Math.sqrt(w.subarray(c * len, (c + 1) * len).reduce((s, x) => s + x * x, 0));
      for (let k = c * len; k < (c + 1) * len; k++) t.true(Math.abs(theta.get(layer.name)![k]! - 0.1 * norm * v.get(layer.name)![k]!) <= 1e-6 * (1 + Math.abs(norm * v.get(layer.name)![k]!)));
    }
  }
  t.throws(() => steepestTheta(arch, state.params, new Map(), 0.1), { message: /conv1 needs v_min/ });
});
