// Paired-by-seed comparisons (src/report/paired.ts) and the t-interval under them (src/util/stats.ts).
import test from 'ava';
import { pairedMarkdown, pairedRows, partnerlessGaussNewton, RunResult, unpairedResults } from '../../src/report';
import { meanInterval95 } from '../../src/util/stats';

test('the 95% t-interval matches a hand computation, and is NaN for one value', (t) => {
  // mean 2, s = 1, n = 4: 2 ± 3.182 · 1/2
  const ci = meanInterval95([1, 2, 3, 2]);
  t.is(ci.mean, 2);
  t.true(Math.abs(ci.high - (2 + (3.182 * Math.sqrt(2 / 3)) / 2)) < 1e-12);
  t.true(Number.isNaN(meanInterval95([5]).low));
});

const result = (method: string, seed: number, testError: number, params = 1000, lambdaP: number | null = 1e-5, mmacPerImage = 1): RunResult => ({
  dir: `/r/${method}-${seed}`,
  seed,
  dataset: 'cifar10',
  datasetLabel: 'CIFAR-10',
  family: 'vgg19',
  width: 16,
  lambdaP,
  method,
  testError,
  params,
  mmacPerImage,
  wallSeconds: 1,
  hardware: null,
  gpu: false,
  budgetEpochs: 1,
  budget: '1',
});

test('methods pair with Gauss-Newton on the same seed only, as error differences in points', (t) => {
  const gn = [result('gauss-newton', 0, 0.3, 1000), result('gauss-newton', 1, 0.32, 1000), result('gauss-newton', 2, 0.31, 1000)];
  const uniform = [result('uniform', 0, 0.31, 1100, 1e-5, 1.5), result('uniform', 1, 0.33, 1100, 1e-5, 2.5), result('uniform', 5, 0.2, 1100)];
  const otherLambda = [result('random', 0, 0.5, 1000, 3e-7)];
  const rows = pairedRows([gn, uniform, otherLambda], () => 'VGG-19 w=16');
  t.is(rows.length, 1);
  const [u] = rows;
  t.deepEqual(u!.seeds, [0, 1]);
  t.true(Math.abs(u!.diff.mean - 1) < 1e-9);
  t.is(u!.gnBetter, 2);
  t.true(Math.abs(u!.paramsRatio - 1.1) < 1e-12);
  // compute ratios 1.5 and 2.5 on the paired seeds (seed 5 has no pair)
  t.true(Math.abs(u!.mmacRatio - 2) < 1e-12);
  t.regex(pairedMarkdown(rows), /\| CIFAR-10 \| VGG-19 w=16 \| 1e-5 \| uniform \| 2 \(0, 1\) \| \+1\.00 \| \[\+1\.00, \+1\.00\] \| 2 of 2 \| 1\.100 \| 2\.000 \|/);
  t.is(pairedMarkdown([]), '');
  // a baseline that retrains its reference's network: said so, not shown as an interval of zeros
  const grown = (r: RunResult, e: number): RunResult => ({ ...r, grownError: e });
  const gnGrown = [grown(gn[0]!, 0.5), grown(gn[1]!, 0.6)];
  const same = pairedRows([gnGrown, [grown(result('random', 0, 0.3), 0.52), grown(result('random', 1, 0.32), 0.63)]], () => 'VGG-19 w=16');
  t.true(same[0]!.identical);
  // the growing networks differ: random's error − Gauss-Newton's, 2 and 3 points
  t.true(Math.abs(same[0]!.grownDiff!.mean - 2.5) < 1e-9);
  t.is(rows[0]!.grownDiff, null);
  t.regex(pairedMarkdown(same), /\| random \| 2 \(0, 1\) \| \+0\.00 \| the same network \(by construction\) \| 0 of 2 \(2 tied\) \| 1\.000 \| 1\.000 \| \+2\.50 \[-3\.85, \+8\.85\] \|/);
  t.false(rows[0]!.identical);
});

test('results without a Gauss-Newton partner are named under the paired table, not dropped silently', (t) => {
  const net = () => 'VGG-19 w=16';
  const gn = [result('gauss-newton', 0, 0.3), result('gauss-newton', 1, 0.32)];
  // seed 5 has no Gauss-Newton run; a control retrained 12 epochs has no grown architecture retrained 12
  const uniform = [result('uniform', 0, 0.31), result('uniform', 5, 0.2), result('uniform', 1, 0.33)];
  const retrained = [{ ...result('uniform', 0, 0.29), retrainedEpochs: 12 }];
  const plain = [result('train', 3, 0.4)];
  const groups = [gn, uniform, retrained, plain];
  const left = unpairedResults(groups, net);
  t.deepEqual(
    left.map((u) => [u.method, u.retrainedEpochs, u.seeds, u.otherRetraining.seeds]),
    [
      ['uniform', null, [5], []],
      ['uniform', 12, [0], [0]],
    ],
  );
  const md = pairedMarkdown(pairedRows(groups, net), left);
  t.regex(md, /\| uniform \| 2 \(0, 1\) \|/);
  t.regex(md, /\n- uniform on VGG-19 w=16, CIFAR-10, λ_p 1e-5: seed 5: no Gauss-Newton result of this seed in the table\n/);
  // Gauss-Newton's seed 0 is there, but as its run retrained it, not for 12 epochs
  t.regex(md, /\n- uniform retrained 12 epochs on VGG-19 w=16, CIFAR-10, λ_p 1e-5: seed 0: Gauss-Newton's result is here only as its run retrained it \(tabulate `nasgrow train` runs of its arch\.json for 12 epochs beside them\)\n/);
  // the other way round: runs' own results against Gauss-Newton's retrained 12 epochs
  const other = unpairedResults([[{ ...gn[0]!, retrainedEpochs: 12 }], [result('random', 0, 0.4)]], net);
  t.regex(pairedMarkdown([], other), /- random on .*: seed 0: Gauss-Newton's result is here only retrained 12 epochs \(tabulate the Gauss-Newton run itself beside them\)/);
  // Gauss-Newton's seed 1 of another setting (other θ steps: another pairing)
  const otherSetting = unpairedResults([[{ ...gn[1]!, pairing: 'a' }], [{ ...result('uniform', 1, 0.3), pairing: 'b' }]], net);
  t.deepEqual(otherSetting[0]!.otherSetting, [1]);
  t.regex(pairedMarkdown([], otherSetting), /- uniform on .*: seed 1: Gauss-Newton's result is of another setting \(its config differs in more than the method's keys: compare the run folders' config\.yaml\)\n/);
  // nothing pairs at all: the note alone says why the paired table is missing
  t.regex(pairedMarkdown([], left), /^\nLeft out of the pairing/);
  // no Gauss-Newton result anywhere (controls tabulated alone): said so, seed by seed; plain
  // `nasgrow train` runs pair with nothing and are not listed
  t.regex(pairedMarkdown([], unpairedResults([uniform, plain], net)), /^\nLeft out of the pairing.*\n\n- uniform on .*: seeds 0-1, 5: no Gauss-Newton result of these seeds in the table\n$/s);
});

test('Gauss-Newton seeds that a method of the same setting did not run are named too', (t) => {
  const net = () => 'VGG-19 w=16';
  const gn = [0, 1, 2, 3, 4].map((s) => result('gauss-newton', s, 0.3));
  const uniform = [0, 1, 2].map((s) => result('uniform', s, 0.31));
  const baselines = ['random', 'steepest'].map((m) => [0, 1].map((s) => result(m, s, 0.4)));
  // another λ_p: not Gauss-Newton's setting, so it leaves no Gauss-Newton seed out
  const otherLambda = [result('slimming', 0, 0.4, 1000, 1e-4)];
  const groups = [gn, uniform, ...baselines, otherLambda];
  const p = partnerlessGaussNewton(groups, net);
  t.deepEqual(p.map((x) => [x.method, x.seeds, x.missing]), [
    ['gauss-newton', [2, 3, 4], [{ methods: ['random', 'steepest'], seeds: [2, 3, 4] }, { methods: ['uniform'], seeds: [3, 4] }]],
  ]);
  const md = pairedMarkdown(pairedRows(groups, net), unpairedResults(groups, net), p);
  t.regex(md, /\n- gauss-newton on VGG-19 w=16, CIFAR-10, λ_p 1e-5: seeds 2-4: not in the random or steepest rows \(no such result of these seeds in the table\); seeds 3-4: not in the uniform row \(no uniform result of these seeds in the table\)\n/);
  // Gauss-Newton alone, or every method on every seed: nothing left out
  t.deepEqual(partnerlessGaussNewton([gn], net), []);
  t.deepEqual(partnerlessGaussNewton([gn.slice(0, 3), uniform], net), []);
});
