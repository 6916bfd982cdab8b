// Correlations, medians, means and spreads for the experiments' and tables' summaries, from
// simple-statistics (npm): Pearson's r, and Spearman's ρ as Pearson's r of the midranks (tied values share
// the mean of their ranks).
import * as ss from 'simple-statistics';

const allFinite = (x: ArrayLike<number>) => Array.prototype.every.call(x, (v: number) => Number.isFinite(v));

/**
 * Pearson correlation of paired samples; NaN when there are fewer than 2 pairs, a sample is constant,
 * or a value is not finite (a missing measurement must not become a correlation).
 */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`pearson: ${a.length} and ${b.length} values are not pairs`);
  if (a.length < 2 || !allFinite(a) || !allFinite(b)) return NaN;
  const r = ss.sampleCorrelation(Array.from(a), Array.from(b));
  return Number.isFinite(r) ? r : NaN;
}

/** Spearman rank correlation (ties get their average rank); NaN as for pearson. */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`spearman: ${a.length} and ${b.length} values are not pairs`);
  if (a.length < 2 || !allFinite(a) || !allFinite(b)) return NaN;
  const r = ss.sampleRankCorrelation(Array.from(a), Array.from(b));
  return Number.isFinite(r) ? r : NaN;
}

/** Median of the finite values (the mean of the middle two for an even count); NaN when there are none. */
export function median(values: ArrayLike<number>): number {
  const finite = Array.from(values).filter(Number.isFinite);
  return finite.length ? ss.median(finite) : NaN;
}

/** Arithmetic mean; NaN for no values. */
export function mean(values: ArrayLike<number>): number {
  return values.length ? ss.mean(Array.from(values)) : NaN;
}

/**
 * Sample standard deviation (n − 1 in the denominator: the spread of seeds drawn from a setting, not
 * of the seeds themselves); NaN for fewer than 2 values, where there is no spread to estimate.
 */
export function sampleStd(values: ArrayLike<number>): number {
  return values.length >= 2 ? ss.sampleStandardDeviation(Array.from(values)) : NaN;
}

/** The p-quantile (0 ≤ p ≤ 1) of the finite values, interpolated as simple-statistics does; NaN when there are none. */
export function quantile(values: ArrayLike<number>, p: number): number {
  const finite = Array.from(values).filter(Number.isFinite);
  return finite.length ? ss.quantile(finite, p) : NaN;
}

/** Student's t quantile t_{0.975, df} for df = 1..30 (two-sided 95%); from standard tables. */
const T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

/**
 * The mean of `values` with its two-sided 95% confidence interval from Student's t with n − 1 degrees
 * of freedom: mean ± t_{0.975,n−1} · s / √n (s the sample standard deviation). Beyond 30 degrees of
 * freedom t is taken as 2.042 (df 30), which errs wide by at most 4%. The interval is NaN for n < 2.
 */
export function meanInterval95(values: ArrayLike<number>): { mean: number; low: number; high: number; n: number } {
  const n = values.length;
  const m = mean(values);
  if (n < 2) return { mean: m, low: NaN, high: NaN, n };
  const half = T975[Math.min(n - 1, 30) - 1]! * (sampleStd(values) / Math.sqrt(n));
  return { mean: m, low: m - half, high: m + half, n };
}
