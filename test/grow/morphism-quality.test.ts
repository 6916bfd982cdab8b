// The morphism-quality experiment's pieces: (b)'s gradient of the true loss with respect to a split's θ
// (autodiff through the expanded network, ∂L/∂W'[c] − ∂L/∂W'[c+1]) against a central finite difference
// of the true loss, and the summary's fractions and ratios against the rows they summarise.
import test from 'ava';
import { vgg19 } from '../../src/models/arch';
import { param } from '../../src/models/names';
import { freshModelState } from '../../src/models/state';
import { applyMorphisms } from '../../src/morphisms';
import { gradientProbe, lossProbe } from '../../src/grow/true-delta';
import { minEigen, QualityRow, summarizeQuality } from '../../src/grow/morphism-quality';
import { Rng } from '../../src/util/rng';

test('morphism-quality (b): ∂L/∂θ_c from the expanded network equals a finite difference of the true loss', async (t) => {
  const arch = vgg19(3, [1, 16, 16], 4);
  const state = freshModelState(arch, 5);
  const batch = 8;
  const rng = new Rng(3);
  const [C, H, W] = arch.inputShape;
  const images = Float32Array.from({ length: batch * C * H * W }, () => rng.normal());
  const labels = BigInt64Array.from({ length: batch }, () => BigInt(rng.int(arch.classes)));
  const runtime = { device: 'cpu' as const, threads: 1 };
  for (const [layer, c] of [
    ['conv2', 1],
    ['conv15', 2],
  ] as const) {
    const w = state.params.get(param.convWeight(layer))!;
    const rowLen = w.length / 3;
    const theta = Float32Array.from({ length: rowLen }, (_, k) => 0.3 * w[c * rowLen + k]! + 0.05 * rng.normal());
    const dir = Float32Array.from({ length: rowLen }, () => rng.normal());
    const expand = (th: Float32Array) => applyMorphisms(state, [{ kind: 'split', layer, channel: c, theta: th }]);
    const expanded = expand(theta);
    const probe = await gradientProbe(expanded.arch, batch, param.convWeight(layer), runtime);
    const { grad } = await probe.run(expanded, images, labels);
    await probe.release();
    let analytic = 0;
    for (let k = 0; k < rowLen; k++) analytic += (grad[c * rowLen + k]! - grad[(c + 1) * rowLen + k]!) * dir[k]!;
    const loss = await lossProbe(expanded.arch, batch, runtime);
    // ReLU and max-pool kinks make the loss piecewise smooth: steps of 1e-4 and more cross enough of them
    // to move the difference by 10-20%; at 3e-5 it agrees to 0.3% and float32 noise is still ≈1%
    const h = 3e-5;
    const at = async (s: number) => loss.loss(expand(Float32Array.from(theta, (v, k) => v + s * dir[k]!)), [{ images, labels }]);
    const numeric = ((await at(h)) - (await at(-h))) / (2 * h);
    await loss.release();
    t.true(Math.abs(analytic) > 1e-4, `${layer}: the directional derivative ${analytic} is too small to test`);
    t.true(Math.abs(analytic - numeric) <= 0.03 * Math.abs(numeric) + 1e-5, `${layer} channel ${c}: autodiff ${analytic} vs finite difference ${numeric}`);
  }
});

test('morphism-quality: the summary counts the rows (fractions, a/b over b > 0, the top quarter by b)', (t) => {
  const row = (channel: number, a: number, b: number): QualityRow => ({ channel, a, b, c: NaN, aOverB: b > 0 ? a / b : NaN, thetaAOverW: 1, thetaBOverW: 1, thetaCOverW: 1, lambdaMin: -1, d: NaN, thetaDOverW: 1, splittingLambdaMin: -1 });
  const rows = [row(0, 1, 2), row(1, 3, 4), row(2, -1, -0.5), row(3, 2, 2), row(4, 0.5, 8)];
  const s = summarizeQuality(rows);
  t.is(s.channels, 5);
  t.is(s.fraction_a_ge_c, null);
  t.is(s.fraction_a_ge_d, null);
  t.is(s.fraction_a_ge_b, 1 / 5);
  t.is(s.fraction_a_positive, 4 / 5);
  t.is(s.fraction_b_positive, 4 / 5);
  t.is(s.a_over_b.channels, 4);
  t.is(s.a_over_b.median, (0.5 + 0.75) / 2);
  // ceil(5 / 4) = 2 channels with the largest b: 4 (b 8) and 1 (b 4)
  t.deepEqual(s.top_quarter_by_b.channels, [4, 1]);
  t.is(s.top_quarter_by_b.a_over_b.median, (0.0625 + 0.75) / 2);
  const withC = summarizeQuality(rows.map((r) => ({ ...r, c: 1 })));
  t.is(withC.fraction_a_ge_c, 3 / 5);
  t.is(summarizeQuality(rows.map((r) => ({ ...r, d: 2 }))).fraction_a_ge_d, 2 / 5);
});

test('morphism-quality (c): power iteration finds the most negative eigenvalue, whatever the sign of the dominant one', async (t) => {
  // H = Q diag(d) Qᵀ with a fixed rotation Q of the first two axes
  const rot = (x: Float64Array) => Float64Array.from(x, (v, i) => (i === 0 ? 0.6 * v - 0.8 * x[1]! : i === 1 ? 0.8 * x[0]! + 0.6 * v : v));
  const rotT = (x: Float64Array) => Float64Array.from(x, (v, i) => (i === 0 ? 0.6 * v + 0.8 * x[1]! : i === 1 ? -0.8 * x[0]! + 0.6 * v : v));
  for (const d of [
    [5, -2, 1, 0.5],
    [-5, 2, 1, 0.5],
    [1, 2, 3, 4],
  ]) {
    const hv = async (x: Float64Array) => rot(rotT(x).map((v, i) => d[i]! * v));
    const { vector, value } = await minEigen(hv, Float64Array.from([0.3, -0.2, 0.5, 0.7]), 200);
    const min = Math.min(...d);
    t.true(Math.abs(value - min) < 1e-6, `${d}: ${value}`);
    const e = rotT(vector).map(Math.abs);
    t.true(Math.abs(e[d.indexOf(min)]! - 1) < 1e-4, `${d}: ${[...e]}`);
  }
});
