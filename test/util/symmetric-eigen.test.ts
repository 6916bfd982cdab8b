// The Jacobi eigen-decomposition (src/util/symmetric-eigen.ts) that the splitting power iteration's
// Ritz step and the splitting tests rely on: A·v = λ·v for every pair, orthonormal vectors, and the
// eigenvalues of a matrix built from known ones.
import test from 'ava';
import { symmetricEigen } from '../../src/util/symmetric-eigen';
import { Rng } from '../../src/util/rng';

test('symmetricEigen: A v = λ v, orthonormal vectors, known eigenvalues recovered', (t) => {
  const n = 7;
  const rng = new Rng(11);
  // A = Q diag(d) Qᵀ with Q from Gram-Schmidt on random vectors
  const d = [-3, -1.5, -1.5, 0, 0.25, 2, 5];
  const Q: number[][] = [];
  for (let i = 0; i < n; i++) {
    const v = Array.from({ length: n }, () => rng.normal());
    for (const q of Q) {
      const dot = v.reduce((s, x, k) => s + x * q[k]!, 0);
      for (let k = 0; k < n; k++) v[k] = v[k]! - dot * q[k]!;
    }
    const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
    Q.push(v.map((x) => x / norm));
  }
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) A[i * n + j] += Q[k]![i]! * d[k]! * Q[k]![j]!;
  const { values, vectors } = symmetricEigen(A, n);
  t.deepEqual(Array.from(values, (v) => Math.round(v * 1e9) / 1e9).sort((a, b) => a - b), d);
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < n; r++) {
      let av = 0;
      for (let k = 0; k < n; k++) av += A[r * n + k]! * vectors[k * n + i]!;
      t.true(Math.abs(av - values[i]! * vectors[r * n + i]!) < 1e-9);
    }
    for (let j = 0; j < n; j++) {
      let dot = 0;
      for (let k = 0; k < n; k++) dot += vectors[k * n + i]! * vectors[k * n + j]!;
      t.true(Math.abs(dot - (i === j ? 1 : 0)) < 1e-9);
    }
  }
  t.throws(() => symmetricEigen(new Float64Array(5), 2), { message: /5 values for a 2×2 matrix/ });
});
