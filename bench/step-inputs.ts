// The inputs the whole-step benchmarks time a step on (bench/bench.ts grow lines, bench/ab.ts): one batch
// of random normal images with random labels (stream Rng(2)), fresh seed-0 weights, and θ at 1e-2 × RMS.
import { ArchState } from '../src/models/arch';
import { freshModelState, ModelState } from '../src/models/state';
import { initTheta } from '../src/grow/theta';
import { Rng } from '../src/util/rng';

export interface StepInputs {
  images: Float32Array;
  labels: BigInt64Array;
  state: ModelState;
  theta: ReturnType<typeof initTheta>;
}

/** One batch of `batch` random images and labels for `arch`, its fresh weights and a θ to grow with. */
export function stepInputs(arch: ArchState, batch: number): StepInputs {
  const rng = new Rng(2);
  const [C, H, W] = arch.inputShape;
  const images = Float32Array.from({ length: batch * C * H * W }, () => rng.normal());
  const labels = BigInt64Array.from({ length: batch }, () => BigInt(rng.int(arch.classes)));
  const state = freshModelState(arch, 0);
  return { images, labels, state, theta: initTheta(arch, state.params, 1e-2, 0, 0) };
}
