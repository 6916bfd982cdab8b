// Splitting steepest descent (Liu, Wu, Wang 2019; grow.method steepest; docs/method.md "Baselines and
// Appendix C"): the smallest eigenvalue λ_min and its eigenvector v_min of every channel's splitting
// matrix S_c, by power iteration on products S_c·v_c from the splitting graph (src/grow/splitting.ts).
//
// S is an expectation over a FIXED list of batches: the caller passes the batches the Gauss-Newton
// growing phase's final pass would read (the held-out training batches, first grow.final_batches of
// pass k of the 'final-pass' stream; src/grow/grow-data.ts), and each product is the mean of the
// batches' products, so every power-iteration step applies the same matrix
//   S_c = (1/B) Σ_batches Σ_{n,h,w} g_y σ''_β(a) u uᵀ   (g_y of the batch's mean loss).
// The power iteration runs on the host, for all channels of all layers at once per pass over the batches:
//   1. DOMINANT_ITERATIONS steps of v ← S v/‖S v‖; ρ_c = ‖S v_c‖ of the last, ≈ |λ|max of S_c;
//   2. from the same random start, SHIFTED_ITERATIONS steps of v ← (ρ_c v − S v)/‖ρ_c v − S v‖: the
//      eigenvalues of ρ_c I − S_c are ρ_c − λ_i ∈ [0, 2ρ_c] when ρ_c ≥ |λ|max, the largest is ρ_c − λ_min,
//      so v converges to v_min;
//   3. Rayleigh-Ritz on the span of step 2's iterates (they and their products are kept): the smallest
//      eigenpair of Qᵀ S_c Q (Q an orthonormal basis of the span) gives v_min = Q y and λ_min = vᵀ S_c v.
//      Plain power iteration converges at the rate (ρ − λ_2)/(ρ − λ_min), far too slowly when λ_2 is
//      close to λ_min; the Ritz pair of the same products needs no extra pass.
import { ArchState } from '../models/arch';
import { convSpec, paramSpecs, TensorMap } from '../models/params';
import { IO, splitSvName, splittingVName } from '../models/names';
import type { ModelState } from '../models/state';
import { createSession, f32Tensor, i64Tensor, ort, RuntimeOptions } from '../runtime/session';
import { Rng } from '../util/rng';
import { STREAMS } from '../util/streams';
import { symmetricEigen } from '../util/symmetric-eigen';
import { buildSplittingGraph } from './splitting';
import type { EvalBatch } from './true-delta';

/** power-iteration steps for ρ_c ≈ |λ|max (step 1 of the file comment) */
export const DOMINANT_ITERATIONS = 8;
/** power-iteration steps on ρ_c I − S_c for v_min (step 2) */
export const SHIFTED_ITERATIONS = 20;

/** λ_min and v_min of every channel of one layer. */
export interface SplittingEigen {
  /** [width]: the smallest eigenvalue of S_c (loss per squared step: ΔL ≈ ½ε²λ_min for θ = ε·v_min) */
  lambdaMin: Float64Array;
  /** [width × fan-in] row-major, row c a unit vector in [C_in, k, k] order: channel c's v_min */
  vMin: Float32Array;
}

/** Products S·V for every layer: V per layer (rows = channels), returns S_c·v_c in the same layout. */
export type SplittingProduct = (v: TensorMap) => Promise<TensorMap>;

/**
 * Runs the splitting graph of one architecture state on ONNX Runtime; create a new one when the
 * architecture changes.
 */
export class SplittingEngine {
  private constructor(
    readonly arch: ArchState,
    readonly batchSize: number,
    private readonly session: ort.InferenceSession,
  ) {}

  /** Build and load the splitting graph of `arch` for batches of `batchSize` (`debug`: x, a, g_y outputs too). */
  static async create(arch: ArchState, batchSize: number, runtime: RuntimeOptions, debug = false): Promise<SplittingEngine> {
    return new SplittingEngine(arch, batchSize, await createSession(buildSplittingGraph(arch, batchSize, { debug }), runtime));
  }

  /** The graph's outputs on one batch for directions `v` (layer → [width × fan-in]); row c of `splitting_v.<l>_grad` is S_c·v_c. */
  async run(model: ModelState, v: TensorMap, images: Float32Array, labels: BigInt64Array): Promise<ort.InferenceSession.OnnxValueMapType> {
    const [C, H, W] = this.arch.inputShape;
    const B = this.batchSize;
    const feeds: Record<string, ort.Tensor> = { [IO.images]: f32Tensor(images, [B, C, H, W]), [IO.labels]: i64Tensor(labels, [B]) };
    for (const s of paramSpecs(this.arch)) feeds[s.name] = f32Tensor(model.params.get(s.name)!, s.shape);
    for (const layer of this.arch.layers) feeds[splittingVName(layer.name)] = f32Tensor(v.get(layer.name)!, convSpec(this.arch, layer.name).shape);
    return this.session.run(feeds);
  }

  /** S·V averaged over `batches` (the expectation S is taken over): layer → [width × fan-in]. */
  product(model: ModelState, batches: readonly EvalBatch[]): SplittingProduct {
    if (batches.length === 0) throw new Error('splitting steepest descent: no batches to average the splitting matrices over');
    return async (v) => {
      const sum = new Map<string, Float64Array>(this.arch.layers.map((l) => [l.name, new Float64Array(v.get(l.name)!.length)]));
      for (const bt of batches) {
        const out = await this.run(model, v, bt.images, bt.labels);
        for (const layer of this.arch.layers) {
          const sv = out[splitSvName(layer.name)]!.data as Float32Array;
          const acc = sum.get(layer.name)!;
          for (let i = 0; i < acc.length; i++) acc[i] += sv[i]!;
        }
      }
      return new Map([...sum].map(([k, acc]) => [k, Float32Array.from(acc, (x) => x / batches.length)]));
    };
  }

  /** Free the ORT session. */
  async release(): Promise<void> {
    await this.session.release();
  }
}

/** Rows of `a` [rows × len] scaled to unit norm in place (a zero row stays zero). */
function normaliseRows(a: Float64Array, rows: number): void {
  const len = a.length / rows;
  for (let c = 0; c < rows; c++) {
    let ss = 0;
    for (let k = c * len; k < (c + 1) * len; k++) ss += a[k]! * a[k]!;
    const n = Math.sqrt(ss);
    if (n > 0) for (let k = c * len; k < (c + 1) * len; k++) a[k]! /= n;
  }
}

/**
 * λ_min and v_min of every channel's symmetric matrix S_c, given only products (`product`: all rows
 * of all layers at once), by the power iteration and Rayleigh-Ritz step of the file comment from `start` (layer → [rows ×
 * len], any non-zero rows). `rows` names the layers and their channel counts.
 * A channel whose S_c·v is 0 (S_c = 0: nothing flows through it) keeps its start and gets λ_min = 0.
 * Costs iterations.dominant + iterations.shifted calls of `product`.
 * @returns layer → λ_min [rows] and unit v_min [rows × len]
 */
export async function splittingMinEigen(
  rows: readonly { layer: string; rows: number }[],
  product: SplittingProduct,
  start: TensorMap,
  iterations = { dominant: DOMINANT_ITERATIONS, shifted: SHIFTED_ITERATIONS },
): Promise<Map<string, SplittingEigen>> {
  const v0 = new Map<string, Float64Array>(rows.map((r) => {
    const v = Float64Array.from(start.get(r.layer)!);
    normaliseRows(v, r.rows);
    return [r.layer, v] as const;
  }));
  const apply = async (v: Map<string, Float64Array>): Promise<Map<string, Float64Array>> => {
    const out = await product(new Map([...v].map(([k, x]) => [k, Float32Array.from(x)])));
    return new Map([...v.keys()].map((k) => [k, Float64Array.from(out.get(k)!)]));
  };
  const rowNorms = (a: Float64Array, n: number) => {
    const len = a.length / n;
    return Float64Array.from({ length: n }, (_, c) => Math.sqrt(a.subarray(c * len, (c + 1) * len).reduce((s, x) => s + x * x, 0)));
  };

  // 1. ρ_c ≈ |λ|max: v ← Sv/‖Sv‖; the first product, S v0, is kept for step 2's first iteration
  const sv0 = await apply(v0);
  let sv = sv0;
  let v: Map<string, Float64Array> = v0;
  for (let i = 1; i < iterations.dominant; i++) {
    v = new Map([...sv].map(([k, x]) => [k, Float64Array.from(x)]));
    for (const r of rows) normaliseRows(v.get(r.layer)!, r.rows);
    sv = await apply(v);
  }
  const rho = new Map(rows.map((r) => [r.layer, rowNorms(sv.get(r.layer)!, r.rows)]));

  // 2. v ← (ρ v − S v)/‖·‖ from the same start: converges to the top eigenvector of ρI − S, v_min.
  // Every iterate and its product are kept for step 3.
  v = v0;
  sv = sv0;
  const iterates: Map<string, Float64Array>[] = [v0];
  const products: Map<string, Float64Array>[] = [sv0];
  for (let i = 0; i < iterations.shifted; i++) {
    const next = new Map<string, Float64Array>();
    for (const r of rows) {
      const x = v.get(r.layer)!;
      const y = sv.get(r.layer)!;
      const p = rho.get(r.layer)!;
      const len = x.length / r.rows;
      const z = new Float64Array(x.length);
      for (let c = 0; c < r.rows; c++) {
        for (let k = c * len; k < (c + 1) * len; k++) z[k] = p[c]! > 0 ? p[c]! * x[k]! - y[k]! : x[k]!;
      }
      normaliseRows(z, r.rows);
      next.set(r.layer, z);
    }
    v = next;
    sv = await apply(v);
    iterates.push(v);
    products.push(sv);
  }

  // 3. Rayleigh-Ritz on the span of the iterates (a Krylov subspace of S_c from v0): power iteration
  // alone needs ~log(1/tol)/log((ρ−λ_min)/(ρ−λ_2)) steps, hundreds when λ_2 is close to λ_min (seen on
  // a tiny VGG: λ_min −2.03e-3, λ_2 −1.90e-3, |λ|max 3.27e-3 gave |cos| 0.98 after 60 steps); the
  // smallest Ritz pair of the same products is far closer, at no extra pass. λ_min = vᵀ S v.
  const result = new Map<string, SplittingEigen>();
  for (const r of rows) {
    const len = iterates[0]!.get(r.layer)!.length / r.rows;
    const lambda = new Float64Array(r.rows);
    const vMin = new Float32Array(r.rows * len);
    for (let c = 0; c < r.rows; c++) {
      const xs = iterates.map((m) => m.get(r.layer)!.subarray(c * len, (c + 1) * len));
      const ys = products.map((m) => m.get(r.layer)!.subarray(c * len, (c + 1) * len));
      const ritz = smallestRitz(xs, ys);
      lambda[c] = ritz.value;
      vMin.set(Float32Array.from(ritz.vector), c * len);
    }
    result.set(r.layer, { lambdaMin: lambda, vMin });
  }
  return result;
}

/** A basis vector kept by Gram-Schmidt must retain this fraction of its norm (else it adds mostly rounding). */
const RITZ_KEEP = 1e-3;

/**
 * The smallest Ritz pair of a symmetric S on span(xs), given ys[i] = S·xs[i]: Gram-Schmidt (twice) turns
 * xs into an orthonormal Q with the same linear combinations applied to ys (S·Q, S being linear);
 * T = Qᵀ(SQ) symmetrised; its smallest eigenpair (θ, y) gives v = Q y and λ = vᵀ(SQ y).
 * A vector of zeros (S_c = 0 and nothing kept) gives xs[0] and λ = 0.
 */
export function smallestRitz(xs: readonly ArrayLike<number>[], ys: readonly ArrayLike<number>[]): { value: number; vector: Float64Array } {
  const len = xs[0]!.length;
  const q: Float64Array[] = [];
  const sq: Float64Array[] = [];
  const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
    let s = 0;
    for (let k = 0; k < len; k++) s += a[k]! * b[k]!;
    return s;
  };
  xs.forEach((x0, i) => {
    const x = Float64Array.from(x0);
    const y = Float64Array.from(ys[i]!);
    const n0 = Math.sqrt(dot(x, x));
    if (n0 === 0) return;
    for (let pass = 0; pass < 2; pass++) {
      for (let j = 0; j < q.length; j++) {
        const h = dot(q[j]!, x);
        for (let k = 0; k < len; k++) {
          x[k] -= h * q[j]![k]!;
          y[k] -= h * sq[j]![k]!;
        }
      }
    }
    const n = Math.sqrt(dot(x, x));
    if (n < RITZ_KEEP * n0) return;
    q.push(x.map((v) => v / n));
    sq.push(y.map((v) => v / n));
  });
  if (q.length === 0) return { value: 0, vector: Float64Array.from(xs[0]!) };
  const m = q.length;
  const T = new Float64Array(m * m);
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) T[i * m + j] = dot(q[i]!, sq[j]!);
  const { values, vectors } = symmetricEigen(T, m);
  let best = 0;
  for (let i = 1; i < m; i++) if (values[i]! < values[best]!) best = i;
  const v = new Float64Array(len);
  const sv = new Float64Array(len);
  for (let j = 0; j < m; j++) {
    const yj = vectors[j * m + best]!;
    for (let k = 0; k < len; k++) {
      v[k] += yj * q[j]![k]!;
      sv[k] += yj * sq[j]![k]!;
    }
  }
  const norm = Math.sqrt(dot(v, v));
  for (let k = 0; k < len; k++) {
    v[k] /= norm;
    sv[k] /= norm;
  }
  return { value: dot(v, sv), vector: v };
}

/** The power iteration's start for phase `phase` (0-based): normal rows from stream splitting-start-k/<layer>. */
export function splittingStart(arch: ArchState, seed: number, phase: number): TensorMap {
  return new Map(
    arch.layers.map((layer) => {
      const rng = Rng.derive(seed, `${STREAMS.splittingStart}-${phase}/${layer.name}`);
      return [layer.name, Float32Array.from({ length: convSpec(arch, layer.name).shape.reduce((a, b) => a * b, 1) }, () => rng.normal())];
    }),
  );
}

/**
 * λ_min [width] and v_min [width × fan-in] of every channel of every dense layer of `model`, with S
 * averaged over `batches` (each of `batchSize` images; see the file comment for which), the power
 * iteration starting from stream splitting-start-`phase`/<layer> of `seed`. Runs on `runtime`.
 * Costs (DOMINANT_ITERATIONS + SHIFTED_ITERATIONS) × batches.length passes of the splitting graph.
 * @throws Error when `batches` is empty or ORT fails
 */
export async function splittingDirections(model: ModelState, batches: readonly EvalBatch[], batchSize: number, runtime: RuntimeOptions, seed: number, phase: number): Promise<Map<string, SplittingEigen>> {
  const arch = model.arch;
  const engine = await SplittingEngine.create(arch, batchSize, runtime);
  try {
    return await splittingMinEigen(
      arch.layers.map((l) => ({ layer: l.name, rows: l.width })),
      engine.product(model, batches),
      splittingStart(arch, seed, phase),
    );
  } finally {
    await engine.release();
  }
}
