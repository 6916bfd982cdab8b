// Morphism parameters θ of every channel of every dense layer, with their Adam state.
import { ArchState } from '../models/arch';
import { convSpec, TensorMap } from '../models/params';
import { Rng } from '../util/rng';
import { STREAMS } from '../util/streams';

export interface ThetaState {
  /** θ per layer, shape of the layer's conv weight: row c is channel c's split parameters */
  theta: TensorMap;
  adamM: TensorMap;
  adamV: TensorMap;
  /** Adam steps taken */
  step: number;
}

/**
 * θ = 0 is a stationary point of the split estimate (s is even in θ), so θ starts random: row c is
 * normal with std = scale × RMS(w_in[c]) (docs/method.md#theta-initialisation; default scale 1e-2).
 */
export function initTheta(arch: ArchState, weights: TensorMap, scale: number, seed: number, phase: number): ThetaState {
  const rng = Rng.derive(seed, `${STREAMS.thetaInit}-${phase}`);
  const theta: TensorMap = new Map();
  const adamM: TensorMap = new Map();
  const adamV: TensorMap = new Map();
  for (const layer of arch.layers) {
    const spec = convSpec(arch, layer.name);
    const w = weights.get(spec.name)!;
    const rowLen = w.length / spec.shape[0]!;
    const t = new Float32Array(w.length);
    const ss = rowSumSquares(w, spec.shape[0]!);
    for (let c = 0; c < spec.shape[0]!; c++) {
      const std = scale * Math.sqrt(ss[c]! / rowLen);
      for (let k = 0; k < rowLen; k++) t[c * rowLen + k] = rng.normal() * std;
    }
    theta.set(layer.name, t);
    adamM.set(layer.name, new Float32Array(w.length));
    adamV.set(layer.name, new Float32Array(w.length));
  }
  return { theta, adamM, adamV, step: 0 };
}

/** Σ_k a[c, k]² for every row c of a row-major [rows, …] tensor (float64 sums): ‖w_in[c]‖², ‖θ_c‖². */
export function rowSumSquares(a: Float32Array, rows: number): Float64Array {
  const len = a.length / rows;
  const out = new Float64Array(rows);
  for (let c = 0; c < rows; c++) {
    let ss = 0;
    for (let k = c * len; k < (c + 1) * len; k++) ss += a[k]! * a[k]!;
    out[c] = ss;
  }
  return out;
}
