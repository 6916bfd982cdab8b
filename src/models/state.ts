// Everything that changes while a network trains: weights, BatchNorm running statistics, SGD momentum.
// A morphism maps one ModelState to another (src/morphisms/apply.ts); the training step updates one
// (src/train/engine.ts); a checkpoint stores one (./checkpoint.ts).
import { ArchState } from './arch';
import { initParams, numel, paramSpecs, TensorMap } from './params';
import { STREAMS } from '../util/streams';

export interface ModelState {
  arch: ArchState;
  /** every parameter and running statistic, by name (src/models/names.ts), shaped as paramSpecs says */
  params: TensorMap;
  /** SGD momentum buffer per trainable parameter, by the parameter's name */
  momentum: TensorMap;
}

/**
 * Fresh weights for `arch` (initParams, drawn from `seed` and the named random stream `stream`,
 * src/util/streams.ts) and zero momentum buffers.
 */
export function freshModelState(arch: ArchState, seed: number, stream: string = STREAMS.init): ModelState {
  const params = initParams(arch, seed, stream);
  const momentum: TensorMap = new Map();
  for (const s of paramSpecs(arch)) if (s.trainable) momentum.set(s.name, new Float32Array(numel(s.shape)));
  return { arch, params, momentum };
}
