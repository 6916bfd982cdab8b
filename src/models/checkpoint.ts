// Checkpoints: a ModelState (architecture, every parameter and running statistic, every momentum
// buffer) in one safetensors file, readable from Python with numpy alone. The architecture JSON and
// free-form metadata (epoch, phase, seed) sit in the safetensors header's __metadata__. The phase
// states of `nasgrow run` (phases/phase-NN/state.safetensors) are checkpoints too.
//
// Faults (src/util/safetensors.ts checks the file itself): a checkpoint carries a SHA-256 of the whole
// file (format nasgrow-checkpoint-2), so a flipped bit anywhere, in a weight, a momentum or the
// architecture, is refused instead of resuming to a different result. Loading needs every tensor the
// architecture has, with its exact shape, and no other; a missing momentum buffer is an error, not
// zeros. Every such problem is a CheckpointError (a user error) that names the file and what to do.
//
// Checkpoints written before the checksum (format nasgrow-checkpoint-1) are still read, with a warning
// that they cannot be verified: they hold the state of runs that may have taken days, the writer that
// made them always wrote whole files atomically, and everything but the checksum is still checked
// (exact tensor set and shapes, a valid architecture). A run resumed from one writes checkpoints with
// the checksum from then on.
import * as fs from 'fs';
import * as path from 'path';
import { ArchState, validateArch } from './arch';
import { momentumName } from './names';
import { paramSpecs, TensorMap } from './params';
import { ModelState } from './state';
import { FileError } from '../util/errors';
import { CHECKSUM_KEY, DecodedSafetensors, readSafetensors, SafeTensor, SafetensorsError, writeSafetensors } from '../util/safetensors';

const FORMAT_PREFIX = 'nasgrow-checkpoint-';
const FORMAT = `${FORMAT_PREFIX}2`;
const UNCHECKSUMMED_FORMAT = `${FORMAT_PREFIX}1`;
/** metadata keys saveCheckpoint writes itself (the caller's metadata cannot use them) */
const RESERVED = ['arch', 'format', CHECKSUM_KEY];

/** A checkpoint that is missing, damaged or not a nasgrow checkpoint: a user error naming the file. */
export class CheckpointError extends FileError {}

/** What to do about a damaged checkpoint of `nasgrow train` or of a retraining (loadCheckpoint's default). */
export const CHECKPOINT_REMEDY = 'remove it to resume from the checkpoint before it (or from the beginning, when it is the only one), or start a new run';

/**
 * Write `state` and `metadata` to `file` atomically, with a checksum (tensors in paramSpecs order, then
 * momenta). @throws Error when `metadata` uses a key saveCheckpoint writes itself (arch, format, sha256).
 */
export function saveCheckpoint(file: string, state: ModelState, metadata: Record<string, string>): void {
  const reserved = Object.keys(metadata).filter((k) => RESERVED.includes(k));
  if (reserved.length > 0) throw new Error(`checkpoint metadata may not use the key(s) ${reserved.join(', ')}`);
  const tensors = new Map<string, SafeTensor>();
  for (const s of paramSpecs(state.arch)) {
    tensors.set(s.name, { dtype: 'F32', shape: s.shape, data: state.params.get(s.name)! });
    if (s.trainable) tensors.set(momentumName(s.name), { dtype: 'F32', shape: s.shape, data: state.momentum.get(s.name)! });
  }
  writeSafetensors(file, tensors, { ...metadata, arch: JSON.stringify(state.arch), format: FORMAT }, { checksum: true });
}

export interface LoadCheckpointOptions {
  /** told when the checkpoint predates checksums and is loaded unverified (default: process.emitWarning) */
  warn?: (message: string) => void;
  /** what the user should do when the checkpoint is missing or damaged (default: CHECKPOINT_REMEDY) */
  remedy?: string;
}

/**
 * Read a checkpoint written by saveCheckpoint (or, with a warning, by nasgrow before checkpoints had a
 * checksum). Returns the state and the metadata the caller saved (without arch, format, sha256); the
 * tensors are byte for byte those saved.
 * @throws CheckpointError naming the file when it does not exist, cannot be read, is not a valid
 *   safetensors file, fails its checksum, is not a nasgrow checkpoint (or one of a newer format), or
 *   its architecture or tensors (a parameter or momentum missing, mis-shaped, or extra) do not match.
 */
export function loadCheckpoint(file: string, options: LoadCheckpointOptions = {}): { state: ModelState; metadata: Record<string, string> } {
  const remedy = options.remedy ?? CHECKPOINT_REMEDY;
  const damaged = (problem: string): never => {
    throw new CheckpointError(file, problem, `checkpoint ${file} is damaged: ${problem}; ${remedy}`);
  };
  let decoded: DecodedSafetensors;
  try {
    decoded = readSafetensors(file);
  } catch (e) {
    if (!(e instanceof SafetensorsError)) throw e;
    if (e.missing) throw new CheckpointError(file, e.problem, `checkpoint ${file} does not exist; ${remedy}`);
    return damaged(e.problem);
  }
  const { tensors, metadata, checksummed } = decoded;

  const format = metadata.format;
  if (format === undefined || !format.startsWith(FORMAT_PREFIX)) {
    throw new CheckpointError(file, 'not a nasgrow checkpoint', `${file} is not a nasgrow checkpoint (its metadata has no format ${FORMAT}); ${remedy}`);
  }
  if (format === FORMAT) {
    if (!checksummed) damaged(`it has no checksum (${CHECKSUM_KEY}), which every ${FORMAT} file has`);
  } else if (format === UNCHECKSUMMED_FORMAT) {
    if (!checksummed) {
      (options.warn ?? ((m: string) => process.emitWarning(m)))(
        `${file} was written by an earlier nasgrow without a checksum: it is loaded unverified (damage inside it cannot be detected)`,
      );
    }
  } else {
    throw new CheckpointError(file, `unknown format ${format}`, `${file} was written by a newer nasgrow (format ${format}; this one reads ${UNCHECKSUMMED_FORMAT} and ${FORMAT}): use that version, or start a new run`);
  }

  let arch: ArchState;
  try {
    arch = validateArch(JSON.parse(metadata.arch ?? '') as ArchState);
  } catch (e) {
    return damaged(metadata.arch === undefined ? 'its metadata has no architecture' : `its architecture is not valid (${(e as Error).message})`);
  }

  const take = (name: string, shape: number[], what: string): Float32Array => {
    const t = tensors.get(name);
    if (!t) return damaged(`the ${what} ${name} is missing`);
    if (t.dtype !== 'F32') return damaged(`the ${what} ${name} is ${t.dtype}, not F32`);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      return damaged(`the ${what} ${name} has the shape [${t.shape.join(', ')}], the architecture needs [${shape.join(', ')}]`);
    }
    return t.data;
  };
  const params: TensorMap = new Map();
  const momentum: TensorMap = new Map();
  const expected = new Set<string>();
  for (const s of paramSpecs(arch)) {
    params.set(s.name, take(s.name, s.shape, 'parameter'));
    expected.add(s.name);
    if (s.trainable) {
      momentum.set(s.name, take(momentumName(s.name), s.shape, 'momentum buffer'));
      expected.add(momentumName(s.name));
    }
  }
  const extra = [...tensors.keys()].filter((n) => !expected.has(n));
  if (extra.length > 0) damaged(`it holds tensors its architecture does not have (${extra.slice(0, 3).join(', ')}${extra.length > 3 ? ', …' : ''})`);

  const saved = Object.fromEntries(Object.entries(metadata).filter(([k]) => !RESERVED.includes(k)));
  return { state: { arch, params, momentum }, metadata: saved };
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
