// Everything that changes while a network trains: weights, BN running statistics, SGD momentum.
import { ArchState } from '../models/arch';
import { initParams, paramSpecs, numel, TensorMap } from '../models/params';
import { readSafetensors, SafeTensor, writeSafetensors } from '../util/safetensors';
import { momentumName } from './graphs';

export interface ModelState {
  arch: ArchState;
  /** every parameter and running statistic, by name */
  params: TensorMap;
  /** SGD momentum buffer per trainable parameter, by parameter name */
  momentum: TensorMap;
}

export function freshModelState(arch: ArchState, seed: number): ModelState {
  const params = initParams(arch, seed);
  const momentum: TensorMap = new Map();
  for (const s of paramSpecs(arch)) if (s.trainable) momentum.set(s.name, new Float32Array(numel(s.shape)));
  return { arch, params, momentum };
}

/** A checkpoint: the model state plus free-form metadata (epoch, phase, ...), as safetensors. */
export function saveCheckpoint(file: string, state: ModelState, metadata: Record<string, string>): void {
  const tensors = new Map<string, SafeTensor>();
  for (const s of paramSpecs(state.arch)) {
    tensors.set(s.name, { dtype: 'F32', shape: s.shape, data: state.params.get(s.name)! });
    if (s.trainable) tensors.set(momentumName(s.name), { dtype: 'F32', shape: s.shape, data: state.momentum.get(s.name)! });
  }
  writeSafetensors(file, tensors, { ...metadata, arch: JSON.stringify(state.arch), format: 'nasgrow-checkpoint-1' });
}

export function loadCheckpoint(file: string): { state: ModelState; metadata: Record<string, string> } {
  const { tensors, metadata } = readSafetensors(file);
  if (!metadata.arch) throw new Error(`${file}: not a nasgrow checkpoint (no architecture in its metadata)`);
  const arch = JSON.parse(metadata.arch) as ArchState;
  const params: TensorMap = new Map();
  const momentum: TensorMap = new Map();
  for (const s of paramSpecs(arch)) {
    const t = tensors.get(s.name);
    if (!t || t.dtype !== 'F32' || numel(t.shape) !== numel(s.shape)) throw new Error(`${file}: tensor ${s.name} is missing or has the wrong shape (corrupt checkpoint?)`);
    params.set(s.name, t.data as Float32Array);
    if (s.trainable) {
      const m = tensors.get(momentumName(s.name));
      momentum.set(s.name, m ? (m.data as Float32Array) : new Float32Array(numel(s.shape)));
    }
  }
  return { state: { arch, params, momentum }, metadata };
}
