// Finite-difference check of emitted gradients, run under onnxruntime-node.
//
// For a graph y = f(x1..xk) we differentiate the scalar L = Σ y·R (R fixed random) and compare the
// analytic directional derivative <∇L, v> with the central difference (L(x+εv) − L(x−εv)) / 2ε for
// several random directions v, plus single coordinates. Everything runs in float32 under ORT, so the
// tolerance is relative (default 1e-2) with an absolute floor scaled to the loss.
import * as fs from 'fs';
import * as path from 'path';
import { GraphBuilder, DType } from '../../src/onnx/graph';
import { modelBytes } from '../../src/onnx/writer';
import { backward } from '../../src/autodiff/backward';
import { createSession, f32Tensor, i64Tensor, ort } from '../../src/runtime/session';
import { Rng } from '../../src/util/rng';
import { tempDir } from './temp-dir';

export interface GradInput {
  name: string;
  shape: number[];
  /** values (default: standard normal) */
  data?: Float32Array | BigInt64Array;
  dtype?: DType;
  /** differentiate w.r.t. this input (default true for float inputs) */
  wrt?: boolean;
}

export interface GradcheckOptions {
  seed?: number;
  eps?: number;
  rtol?: number;
  directions?: number;
  coordinates?: number;
}

export interface GradcheckReport {
  worst: number;
  lines: string[];
  ok: boolean;
}

export const emittedModels: string[] = [];
const modelDir = tempDir('nasgrow-gradcheck-');

export function randn(rng: Rng, n: number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal() * scale;
  return a;
}

/** Values bounded away from 0 (|x| >= margin) so kinks like ReLU's are not straddled by ±ε. */
export function awayFromZero(rng: Rng, n: number, margin = 0.2): Float32Array {
  const a = randn(rng, n);
  for (let i = 0; i < n; i++) a[i] = Math.sign(a[i]! || 1) * (Math.abs(a[i]!) + margin);
  return a;
}

/** A permutation of well-separated values (distinct maxima for max-pool). */
export function distinct(rng: Rng, n: number, gap = 0.05): Float32Array {
  const idx = rng.shuffle(Array.from({ length: n }, (_, i) => i));
  return Float32Array.from(idx, (k) => (k - n / 2) * gap);
}

export async function gradcheck(
  label: string,
  inputs: GradInput[],
  build: (b: GraphBuilder, xs: string[]) => string,
  opts: GradcheckOptions = {},
): Promise<GradcheckReport> {
  const rng = new Rng(opts.seed ?? 1);
  const eps = opts.eps ?? 1e-2;
  const rtol = opts.rtol ?? 1e-2;
  const b = new GraphBuilder(`gradcheck_${label}`);
  const values = inputs.map((i) => {
    const dtype = i.dtype ?? DType.FLOAT;
    const n = i.shape.reduce((a, d) => a * d, 1);
    const data = i.data ?? randn(rng, n);
    return { ...i, dtype, data, wrt: i.wrt ?? dtype === DType.FLOAT };
  });
  const names = values.map((v) => b.input(v.name, v.dtype, v.shape));
  const y = build(b, names);
  const ys = b.staticShape(y);
  const R = b.initializer('R', { dtype: DType.FLOAT, shape: ys, data: randn(rng, ys.reduce((a, d) => a * d, 1)) });
  const loss = b.op1('ReduceSum', [b.op1('Mul', [y, R])], { keepdims: 0 }, { names: ['loss'] });
  b.output(loss);
  const wrt = values.filter((v) => v.wrt).map((v) => v.name);
  const { grads } = backward(b, loss, wrt);
  const gradNames: string[] = [];
  for (const w of wrt) {
    const g = grads.get(w);
    if (!g) throw new Error(`${label}: no gradient reached ${w}`);
    const out = b.op1('Identity', [g], {}, { names: [`check_grad_${w}`] });
    b.output(out);
    gradNames.push(out);
  }
  const bytes = modelBytes(b.graph);
  const file = path.join(modelDir, `${label.replace(/[^A-Za-z0-9_-]/g, '_')}.onnx`);
  fs.writeFileSync(file, bytes);
  emittedModels.push(file);
  const session = await createSession(b.graph, { device: 'cpu', threads: 1 });
  const feed = (override?: { name: string; data: Float32Array }) => {
    const f: Record<string, ort.Tensor> = {};
    for (const v of values) {
      const data = override && override.name === v.name ? override.data : v.data;
      f[v.name] = v.dtype === DType.INT64 ? i64Tensor(data as BigInt64Array, v.shape) : f32Tensor(data as Float32Array, v.shape);
    }
    return f;
  };
  const base = await session.run(feed());
  const L0 = Math.abs((base.loss!.data as Float32Array)[0]!);
  const lines: string[] = [];
  let worst = 0;
  for (let k = 0; k < wrt.length; k++) {
    const v = values.find((x) => x.name === wrt[k])!;
    const x = v.data as Float32Array;
    const g = base[gradNames[k]!]!.data as Float32Array;
    const dirs: Float32Array[] = [];
    for (let d = 0; d < (opts.directions ?? 3); d++) dirs.push(randn(rng, x.length));
    for (let c = 0; c < Math.min(opts.coordinates ?? 3, x.length); c++) {
      const e = new Float32Array(x.length);
      e[rng.int(x.length)] = 1;
      dirs.push(e);
    }
    for (const dir of dirs) {
      const plus = Float32Array.from(x, (xi, i) => xi + eps * dir[i]!);
      const minus = Float32Array.from(x, (xi, i) => xi - eps * dir[i]!);
      const lp = (await session.run(feed({ name: v.name, data: plus }))).loss!.data as Float32Array;
      const lm = (await session.run(feed({ name: v.name, data: minus }))).loss!.data as Float32Array;
      const fd = (lp[0]! - lm[0]!) / (2 * eps);
      let an = 0;
      for (let i = 0; i < x.length; i++) an += g[i]! * dir[i]!;
      // float32 rounding of L is ~1e-7·L per evaluation, so the difference quotient carries ~1e-5·L/ε noise.
      const err = Math.abs(fd - an) / (Math.max(Math.abs(fd), Math.abs(an)) + (1e-5 * (1 + L0)) / eps);
      worst = Math.max(worst, err);
      lines.push(`${v.name}: fd=${fd.toExponential(4)} analytic=${an.toExponential(4)} err=${err.toExponential(2)}`);
    }
  }
  await session.release();
  return { worst, lines, ok: worst <= rtol };
}
