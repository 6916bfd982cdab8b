// Network slimming (src/morphisms/slimming.ts and the L1 term in the training graph): the prunes are
// exactly the smallest |γ| globally, just enough to reach the parameter target; the SGD step adds the
// penalty's subgradient s·sign(γ) to the dense layers' BN scales and touches nothing else.
import test from 'ava';
import { mobilenetv1, vgg19 } from '../../src/models/arch';
import { param } from '../../src/models/names';
import { paramCount, paramSpecs } from '../../src/models/params';
import { applyMorphisms, slimmingPrunes } from '../../src/morphisms';
import { appliedMorphisms } from '../../src/grow/decisions';
import { Engine } from '../../src/train/engine';
import { Rng } from '../../src/util/rng';
import { randomImages, randomState } from './helpers';

const arch = vgg19(6);

function randomGammas(rng: Rng, a = arch) {
  return new Map(a.layers.map((l) => [l.name, Float32Array.from({ length: l.width }, () => rng.normal())]));
}

test('prunes exactly the smallest |γ| globally, just down to the target', (t) => {
  const full = paramCount(arch);
  for (let seed = 0; seed < 10; seed++) {
    const rng = new Rng(seed);
    const gammas = randomGammas(rng);
    const target = Math.round(full * (0.5 + 0.4 * rng.uniform()));
    const r = slimmingPrunes(arch, gammas, target);
    const all = arch.layers.flatMap((l) => Array.from(gammas.get(l.name)!, (g, c) => ({ key: `${l.name}/${c}`, g: Math.abs(g) }))).sort((a, b) => a.g - b.g);
    const pruned = r.decisions.filter((d) => d.applied).map((d) => `${d.layer}/${d.channel}`);
    const k = pruned.length;
    t.true(k > 0);
    // at these targets no layer reaches its minimum width, so the pruned set is the k smallest
    t.deepEqual([...pruned].sort(), all.slice(0, k).map((x) => x.key).sort(), `seed ${seed}`);
    t.is(r.threshold, all[k - 1]!.g);
    t.true(r.decisions.every((d) => d.kind === 'prune' && d.reason === 'smallest-gamma'));
    // the result has at most `target` parameters, and one prune fewer would not
    const state = randomState(arch, rng);
    const after = applyMorphisms(state, appliedMorphisms(arch, r.decisions, new Map())).arch;
    t.is(paramCount(after), r.params);
    t.true(r.params <= target, `${r.params} > ${target}`);
    const fewer = appliedMorphisms(arch, r.decisions.filter((d) => `${d.layer}/${d.channel}` !== all[k - 1]!.key), new Map());
    t.true(paramCount(applyMorphisms(state, fewer).arch) > target, `seed ${seed}: one prune fewer also reaches the target`);
  }
});

test('a layer at its minimum width is skipped, the walk goes on; a target above the count prunes nothing', (t) => {
  const gammas = randomGammas(new Rng(1));
  gammas.set('conv3', Float32Array.of(1e-6, -2e-6, 3e-6, -4e-6, 5e-6, 6e-6)); // the six smallest
  const r = slimmingPrunes(arch, gammas, paramCount(arch) - 2000, 2);
  const conv3 = r.decisions.filter((d) => d.layer === 'conv3');
  t.deepEqual(conv3.filter((d) => d.applied).map((d) => d.channel), [0, 1, 2, 3]);
  t.deepEqual(conv3.filter((d) => !d.applied).map((d) => [d.channel, d.reason]), [[4, 'min-width'], [5, 'min-width']]);
  t.true(r.decisions.some((d) => d.applied && d.layer !== 'conv3'), 'the walk went on past conv3');
  const none = slimmingPrunes(arch, gammas, paramCount(arch));
  t.deepEqual(none.decisions, []);
  t.is(none.params, paramCount(arch));
  t.throws(() => slimmingPrunes(arch, new Map(), 100), { message: /conv1 has 6 channels, γ none/ });
  t.throws(() => slimmingPrunes(arch, gammas, 0), { message: /positive integer/ });
});

for (const make of [() => vgg19(4), () => mobilenetv1(4)]) {
  const a = make();
  test(`${a.family}: the SGD step adds lr·(1+μ)·s·sign(γ) to the dense layers' BN scales and nothing else`, async (t) => {
    // Nesterov, dampening 0: g' = g + s·sign(γ) ⇒ buf' − buf = s·sign(γ), step' − step = (1+μ)·s·sign(γ),
    // whatever the momentum buffer held; so γ' − γ'' = −lr·(1+μ)·s·sign(γ) exactly (up to float rounding).
    const rng = new Rng(7);
    const base = randomState(a, rng);
    for (const l of a.layers) base.params.get(param.bn(l.name, 'bn', 'weight'))!.forEach((v, i, g) => (g[i] = i % 2 ? -v : v)); // both signs
    const images = randomImages(rng, 8, a);
    const labels = BigInt64Array.from({ length: 8 }, (_, i) => BigInt(i % 10));
    const hyper = { momentum: 0.9, nesterov: true, weightDecay: 1e-4 };
    const s = 0.01;
    const lr = 0.05;
    const step = async (bnL1?: number) => {
      const state = { arch: a, params: new Map(base.params), momentum: new Map(base.momentum) };
      const engine = await Engine.create(a, 8, bnL1 ? { ...hyper, bnL1 } : hyper, { device: 'cpu', threads: 1 });
      try {
        await engine.trainStep(state, images, labels, lr);
      } finally {
        await engine.release();
      }
      return state;
    };
    const plain = await step();
    const slim = await step(s);
    const gammas = new Set(a.layers.map((l) => param.bn(l.name, 'bn', 'weight')));
    for (const spec of paramSpecs(a)) {
      const p = plain.params.get(spec.name)!;
      const q = slim.params.get(spec.name)!;
      if (!gammas.has(spec.name)) {
        t.deepEqual(q, p, `${spec.name} changed`);
        continue;
      }
      const g0 = base.params.get(spec.name)!;
      for (let c = 0; c < p.length; c++) {
        const want = -lr * (1 + 0.9) * s * Math.sign(g0[c]!);
        t.true(Math.abs(q[c]! - p[c]! - want) < 1e-6, `${spec.name}[${c}]: ${q[c]! - p[c]!} vs ${want}`);
      }
    }
  });
}
