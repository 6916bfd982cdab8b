// Morphism parameters θ of every channel of every dense layer, with their Adam state.
import { ArchState } from '../models/arch';
import { paramSpecs, TensorMap } from '../models/params';
import { Rng } from '../util/rng';

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
 * normal with std = scale × RMS(w_in[c]) (ALGORITHM.md; default scale 1e-2).
 */
export function initTheta(arch: ArchState, weights: TensorMap, scale: number, seed: number, phase: number): ThetaState {
  const rng = Rng.derive(seed, `theta-phase-${phase}`);
  const theta: TensorMap = new Map();
  const adamM: TensorMap = new Map();
  const adamV: TensorMap = new Map();
  for (const layer of arch.layers) {
    const spec = paramSpecs(arch).find((s) => s.name === `${layer.name}.conv.weight`)!;
    const w = weights.get(spec.name)!;
    const rowLen = w.length / spec.shape[0]!;
    const t = new Float32Array(w.length);
    for (let c = 0; c < spec.shape[0]!; c++) {
      let ss = 0;
      for (let k = 0; k < rowLen; k++) ss += w[c * rowLen + k]! ** 2;
      const std = scale * Math.sqrt(ss / rowLen);
      for (let k = 0; k < rowLen; k++) t[c * rowLen + k] = rng.normal() * std;
    }
    theta.set(layer.name, t);
    adamM.set(layer.name, new Float32Array(w.length));
    adamV.set(layer.name, new Float32Array(w.length));
  }
  return { theta, adamM, adamV, step: 0 };
}
