// Checkpoints: a ModelState (architecture, every parameter and running statistic, every momentum
// buffer) in one safetensors file, readable from Python with numpy alone. The architecture JSON and
// free-form metadata (epoch, phase, seed) sit in the safetensors header's __metadata__.
import * as fs from 'fs';
import * as path from 'path';
import { ArchState } from './arch';
import { momentumName } from './names';
import { numel, paramSpecs, TensorMap } from './params';
import { ModelState } from './state';
import { readSafetensors, SafeTensor, writeSafetensors } from '../util/safetensors';

const FORMAT = 'nasgrow-checkpoint-1';

/** Write `state` and `metadata` to `file` atomically (tensors in paramSpecs order, then momenta). */
export function saveCheckpoint(file: string, state: ModelState, metadata: Record<string, string>): void {
  const tensors = new Map<string, SafeTensor>();
  for (const s of paramSpecs(state.arch)) {
    tensors.set(s.name, { dtype: 'F32', shape: s.shape, data: state.params.get(s.name)! });
    if (s.trainable) tensors.set(momentumName(s.name), { dtype: 'F32', shape: s.shape, data: state.momentum.get(s.name)! });
  }
  writeSafetensors(file, tensors, { ...metadata, arch: JSON.stringify(state.arch), format: FORMAT });
}

/**
 * Read a checkpoint written by saveCheckpoint.
 * @throws Error when the file is not a nasgrow checkpoint or a tensor is missing or mis-sized.
 */
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

const EPOCH_CHECKPOINT = /^epoch-(\d+)\.safetensors$/;

/** The checkpoint file of the state after `epoch` epochs: `<dir>/epoch-NNNN.safetensors`. */
export function epochCheckpointPath(dir: string, epoch: number): string {
  return path.join(dir, `epoch-${String(epoch).padStart(4, '0')}.safetensors`);
}

/** The epoch checkpoint in `dir` with the most epochs, or null when there is none (or no folder). */
export function latestCheckpoint(dir: string): { file: string; epoch: number } | null {
  if (!fs.existsSync(dir)) return null;
  let best: { file: string; epoch: number } | null = null;
  for (const f of fs.readdirSync(dir)) {
    const m = EPOCH_CHECKPOINT.exec(f);
    if (m && (!best || Number(m[1]) > best.epoch)) best = { file: path.join(dir, f), epoch: Number(m[1]) };
  }
  return best;
}
