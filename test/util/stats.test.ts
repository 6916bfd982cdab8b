// The correlations the experiments report: ties share their average rank, and a missing value (NaN)
// gives NaN rather than a correlation.
import test from 'ava';
import { median, pearson, spearman } from '../../src/util/stats';

test('spearman averages tied ranks; pearson is the plain product-moment correlation', (t) => {
  // ranks with ties averaged: [1, 2.5, 2.5, 4] against [1, 2, 3, 4] → 4.5 / √(4.5·5)
  t.true(Math.abs(spearman([1, 2, 2, 3], [1, 2, 3, 4]) - 4.5 / Math.sqrt(22.5)) < 1e-12);
  t.is(spearman([3, 1, 2], [30, 10, 20]), 1);
  t.true(Math.abs(pearson([1, 2, 3], [2, 4, 7]) - 0.9933992677987828) < 1e-12);
});

test('no correlation from missing or degenerate data', (t) => {
  t.true(Number.isNaN(spearman([NaN, NaN, NaN, NaN], [1, 2, 3, 4])));
  t.true(Number.isNaN(pearson([1, NaN, 3], [1, 2, 3])));
  t.true(Number.isNaN(pearson([1, 1, 1], [1, 2, 3])));
  t.true(Number.isNaN(spearman([1], [2])));
  t.throws(() => pearson([1, 2], [1]));
  t.is(median([3, NaN, 1, 2, 10]), 2.5);
  t.true(Number.isNaN(median([NaN])));
});
