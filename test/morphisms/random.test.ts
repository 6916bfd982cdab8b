// Random splitting (src/morphisms/random.ts): exactly the given counts per layer, distinct channels,
// the same draw for the same seed, every channel equally likely, and decisions that apply cleanly.
import test from 'ava';
import { vgg19 } from '../../src/models/arch';
import { appliedMorphisms } from '../../src/grow/decisions';
import { initTheta } from '../../src/grow/theta';
import { applyMorphisms, LayerCounts, randomDecisions } from '../../src/morphisms';
import { Rng } from '../../src/util/rng';
import { STREAMS } from '../../src/util/streams';
import { randomState } from './helpers';

const arch = vgg19([6, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 5]);
const counts = new Map<string, LayerCounts>([
  ['conv1', { splits: 2, prunes: 1 }],
  ['conv2', { splits: 0, prunes: 3 }],
  ['conv9', { splits: 4, prunes: 0 }],
  ['conv16', { splits: 2, prunes: 3 }],
]);
const streamOf = (seed: number, phase: number) => (layer: string) => Rng.derive(seed, `${STREAMS.randomChannels}-${phase}/${layer}`);

test('applies exactly the counts per layer, on distinct channels, and nothing elsewhere', (t) => {
  for (let seed = 0; seed < 20; seed++) {
    const d = randomDecisions(arch, counts, streamOf(seed, 0));
    for (const layer of arch.layers) {
      const of = d.filter((x) => x.layer === layer.name);
      const want = counts.get(layer.name) ?? { splits: 0, prunes: 0 };
      t.is(of.filter((x) => x.kind === 'split').length, want.splits, `${layer.name} splits`);
      t.is(of.filter((x) => x.kind === 'prune').length, want.prunes, `${layer.name} prunes`);
      t.is(new Set(of.map((x) => x.channel)).size, of.length, `${layer.name}: a channel chosen twice`);
      t.true(of.every((x) => x.applied && x.reason === 'random' && x.channel >= 0 && x.channel < layer.width));
    }
  }
});

test('deterministic for a seed, different across seeds and phases', (t) => {
  const a = randomDecisions(arch, counts, streamOf(3, 1));
  const b = randomDecisions(arch, counts, streamOf(3, 1));
  t.deepEqual(a, b);
  const key = (d: typeof a) => d.map((x) => `${x.layer}/${x.kind}${x.channel}`).join(' ');
  t.not(key(randomDecisions(arch, counts, streamOf(4, 1))), key(a));
  t.not(key(randomDecisions(arch, counts, streamOf(3, 2))), key(a));
  // one layer's draw does not depend on the others' counts
  const only9 = randomDecisions(arch, new Map([['conv9', counts.get('conv9')!]]), streamOf(3, 1));
  t.deepEqual(only9, a.filter((x) => x.layer === 'conv9'));
});

test('every channel is split and pruned about equally often (uniform draw)', (t) => {
  const c = new Map([['conv2', { splits: 1, prunes: 2 }]]); // width 8: P(split) = 1/8, P(prune) = 2/8
  const n = 4000;
  const splits = new Array<number>(8).fill(0);
  const prunes = new Array<number>(8).fill(0);
  for (let s = 0; s < n; s++) {
    for (const d of randomDecisions(arch, c, streamOf(s, 0))) (d.kind === 'split' ? splits : prunes)[d.channel]++;
  }
  // binomial sd: sqrt(n·p·(1−p)) ≈ 21 (split), 27 (prune); 5 sd bounds
  for (let ch = 0; ch < 8; ch++) {
    t.true(Math.abs(splits[ch]! - n / 8) < 5 * 21, `channel ${ch} split ${splits[ch]} times of ${n}`);
    t.true(Math.abs(prunes[ch]! - n / 4) < 5 * 27, `channel ${ch} pruned ${prunes[ch]} times of ${n}`);
  }
});

test('the decisions apply: widths change by splits − prunes; θ is the small random start', (t) => {
  const state = randomState(arch, new Rng(1));
  const d = randomDecisions(arch, counts, streamOf(0, 0));
  const theta = initTheta(arch, state.params, 1e-2, 0, 0).theta;
  const next = applyMorphisms(state, appliedMorphisms(arch, d, theta));
  arch.layers.forEach((l, i) => {
    const c = counts.get(l.name) ?? { splits: 0, prunes: 0 };
    t.is(next.arch.layers[i]!.width, l.width + c.splits - c.prunes, l.name);
  });
});

test('refuses counts that do not fit', (t) => {
  t.throws(() => randomDecisions(arch, new Map([['conv1', { splits: 4, prunes: 3 }]]), streamOf(0, 0)), { message: /conv1 has 6 channels/ });
  t.throws(() => randomDecisions(arch, new Map([['conv1', { splits: 0, prunes: 6 }]]), streamOf(0, 0)), { message: /minimum width 1/ });
  t.throws(() => randomDecisions(arch, new Map([['conv99', { splits: 1, prunes: 0 }]]), streamOf(0, 0)), { message: /unknown layer/ });
  t.throws(() => randomDecisions(arch, new Map([['conv1', { splits: 1.5, prunes: 0 }]]), streamOf(0, 0)), { message: /integer/ });
});
