// Using only part of a dataset, for short-budget configs and smoke tests.
//
// 'stratified' (the default) takes examples class by class in rounds: each round takes, for every
// class in label order, that class's next example in dataset order, until `n` are taken. Classes stay
// balanced (to within one example, unless a class runs out) even for datasets stored class by class,
// like image folders, where the plain first n would all be one class. 'first' takes examples 0..n-1.
// Either way the chosen examples keep their dataset order, and the choice depends only on the labels,
// so it is the same on every run.

export type LimitMode = 'stratified' | 'first';

/** Indices (ascending) of the examples kept when limiting to `n`. */
export function limitIndices(labels: ArrayLike<number>, classes: number, n: number, mode: LimitMode = 'stratified'): Uint32Array {
  const total = labels.length;
  if (!(n >= 0) || !Number.isInteger(n)) throw new Error(`limit must be a non-negative integer, got ${n}`);
  if (n >= total) return Uint32Array.from({ length: total }, (_, i) => i);
  if (mode === 'first') return Uint32Array.from({ length: n }, (_, i) => i);
  const byClass: number[][] = Array.from({ length: classes }, () => []);
  for (let i = 0; i < total; i++) byClass[labels[i]].push(i);
  const chosen: number[] = [];
  for (let round = 0; chosen.length < n; round++) {
    for (let c = 0; c < classes && chosen.length < n; c++) {
      if (round < byClass[c].length) chosen.push(byClass[c][round]);
    }
  }
  return Uint32Array.from(chosen.sort((a, b) => a - b));
}
