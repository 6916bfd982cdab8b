// Function preservation: splits with θ = 0, and prunes of channels whose outgoing weights are zero,
// change no logit — in eval mode (BN running statistics, copied with the channel) and in train mode
// (BN batch statistics, identical for the two copies). Seeds at small width, then a property test
// over random grown architectures of both families.
//
// Tolerances: eval mode, max abs logit difference ≤ 1e-5. Train mode: the same, or 10× the
// difference a mere channel permutation makes if that is larger — the copies' statistics are exactly
// equal, but the next dense op sums in another order, and batch-statistics BN amplifies that float32
// noise by up to 1/sqrt(eps) where a channel's batch variance is tiny (measured: a permutation alone
// moves logits by up to ~1e-4 at batch 16, by the same order as the morphisms do).
import test, { ExecutionContext } from 'ava';
import { applyMorphisms, Morphism } from '../../src/morphisms';
import { ModelState } from '../../src/models/state';
import { Rng } from '../../src/util/rng';
import { FAMILIES, logits, maxAbsDiff, Mode, permuteChannels, randomImages, randomMorphisms, randomState, rowLength } from './helpers';

const TOLERANCE = 1e-5;
const BATCH = 3;

/** Asserts that applying `ms` to `state` leaves the logits on one random batch unchanged. */
async function assertPreserved(t: ExecutionContext, state: ModelState, ms: Morphism[], mode: Mode, rng: Rng, label: string): Promise<void> {
  const images = randomImages(rng, BATCH, state.arch);
  const before = await logits(state, images, BATCH, mode);
  const diff = maxAbsDiff(before, await logits(applyMorphisms(state, ms), images, BATCH, mode));
  const noise = mode === 'train' ? maxAbsDiff(before, await logits(permuteChannels(state, rng), images, BATCH, mode)) : 0;
  const tolerance = Math.max(TOLERANCE, 10 * noise);
  t.true(diff <= tolerance, `${label} (${mode}, widths ${state.arch.layers.map((l) => l.width).join(',')}): max abs diff ${diff}, tolerance ${tolerance}`);
}

const splitEveryChannel = (state: ModelState): Morphism[] =>
  state.arch.layers.flatMap((layer) =>
    Array.from({ length: layer.width }, (_, c): Morphism => ({ kind: 'split', layer: layer.name, channel: c, theta: new Float32Array(rowLength(state, layer.name)) })),
  );

for (const { family, layers, make } of FAMILIES) {
  for (const mode of ['eval', 'train'] as Mode[]) {
    test(`${family} seed (width 4), ${mode} mode: splitting every channel with θ = 0 changes no logit`, async (t) => {
      const rng = new Rng(11);
      const state = randomState(make(4), rng);
      await assertPreserved(t, state, splitEveryChannel(state), mode, rng, 'seed');
    });
  }

  test(`${family}: 20 random grown architectures, splits with θ = 0 + prunes of silenced channels preserve the logits (eval and train mode)`, async (t) => {
    const rng = new Rng(family === 'vgg19' ? 101 : 202);
    for (let trial = 0; trial < 20; trial++) {
      const widths = Array.from({ length: layers }, () => 1 + rng.int(6));
      let state = randomState(make(widths), rng);
      // every other state is grown once first (θ ≠ 0, prunes of live channels): non-uniform, already-grown weights
      if (trial % 2 === 1) state = applyMorphisms(state, randomMorphisms(state, rng, false));
      const ms = randomMorphisms(state, rng, true); // silences the channels it prunes
      t.true(ms.some((m) => m.kind === 'split') && ms.some((m) => m.kind === 'prune'), `trial ${trial} has both kinds`);
      for (const mode of ['eval', 'train'] as Mode[]) await assertPreserved(t, state, ms, mode, rng, `trial ${trial}`);
    }
  });
}

test('negative control: a split with θ ≠ 0, or a prune of a live channel, does change the logits', async (t) => {
  const rng = new Rng(5);
  const state = randomState(FAMILIES[0]!.make(4), rng);
  const images = randomImages(rng, BATCH, state.arch);
  const before = await logits(state, images, BATCH, 'eval');
  const theta = Float32Array.from({ length: rowLength(state, 'conv3') }, () => rng.normal());
  const split = await logits(applyMorphisms(state, [{ kind: 'split', layer: 'conv3', channel: 1, theta }]), images, BATCH, 'eval');
  const prune = await logits(applyMorphisms(state, [{ kind: 'prune', layer: 'conv3', channel: 1 }]), images, BATCH, 'eval');
  t.true(maxAbsDiff(before, split) > 1e-3);
  t.true(maxAbsDiff(before, prune) > 1e-3);
});
