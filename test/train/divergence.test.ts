// The advice a diverged run gives: it must name what to change. The normalisation is checked first,
// as inputs normalised to infinity make the loss NaN whatever the learning rate.
import test from 'ava';
import { divergenceAdvice } from '../../src/train/loop';

const hyper = { momentum: 0.9, nesterov: true, weightDecay: 1e-4 };

test('inputs normalised to infinity or beyond 1e6 are blamed on data.normalize, not on train.lr', (t) => {
  // the adversarial tester's two normalisations: float32 inputs of +-Infinity
  for (const [mean, std, size] of [
    [0.5, 1e-300, /std 1e-300 make the normalised inputs \(pixel\/255 − mean\) \/ std Infinity in float32/],
    [1e300, 1, /mean 1e\+300 and std 1 make the normalised inputs \(pixel\/255 − mean\) \/ std Infinity in float32/],
    [0.5, 1e-7, /as large as 5\.00e\+6/],
  ] as const) {
    const advice = divergenceAdvice(hyper, 0.05, { mean: [0.5, mean], std: [0.25, std] });
    t.regex(advice, /^Likely cause: data\.normalize: channel 1's mean/, advice);
    t.regex(advice, size);
    t.regex(advice, /data\.normalize is in units of pixel values scaled to \[0, 1\]/);
    t.notRegex(advice, /train\.lr 0\.05 is too large/);
  }
});

test('with ordinary inputs the learning rate or weight decay is named, as before', (t) => {
  const norm = { mean: [0.286], std: [0.353] };
  t.regex(divergenceAdvice(hyper, 0.05, norm), /likely cause: train\.lr 0\.05 is too large/);
  t.regex(divergenceAdvice({ ...hyper, weightDecay: 100 }, 0.05, norm), /Likely cause: train\.weight_decay 100 × lr 0\.05 = 5 ≥ 1/);
  // the bound itself: std 1e-6 with a mean of 0 reaches 1e6, which is allowed
  t.regex(divergenceAdvice(hyper, 0.05, { mean: [0], std: [1e-6] }), /likely cause: train\.lr/);
  t.regex(divergenceAdvice(hyper, 0.05), /likely cause: train\.lr/);
});
