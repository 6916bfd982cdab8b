// The architecture a config describes. Apart from arch-file.ts because it needs TrainConfig, whose
// schema.ts imports arch-file.ts for its cross-key checks: kept together they made an import cycle.
import { ArchState, seedArch } from '../models/arch';
import type { UniformMatchBy } from '../models/params';
import { ArchFileError, archShapeMismatch, loadArchFile } from './arch-file';
import { DataShape, datasetShape } from '../data/kinds';
import { matchedArch, type TrainConfig } from './schema';

/**
 * The architecture a config describes: the model.arch file when set (or, with model.uniform_match,
 * its uniform control matched by parameters or multiply-accumulates), else the seed family at the
 * configured width. `data` gives the image shape and class count; it defaults to the dataset's own
 * (required for image-folder datasets, whose shape is known only after reading them). Throws
 * ArchFileError when the file cannot be read or does not fit the data, or the seed cannot be built.
 */
export function resolveArch(cfg: TrainConfig, data?: DataShape): ArchState {
  return resolveArchMatched(cfg, data).arch;
}

/** What a uniform control was matched to (model.uniform_match on model.arch): run.json's `matched`. */
export interface ArchMatch {
  by: UniformMatchBy;
  /** the model.arch file's architecture */
  of: ArchState;
}

/**
 * resolveArch, and with model.uniform_match what the architecture was matched to (the model.arch
 * file's, read once), null without. Throws as resolveArch.
 */
export function resolveArchMatched(cfg: TrainConfig, data?: DataShape): { arch: ArchState; matched: ArchMatch | null } {
  const shape = data ?? datasetShape(cfg.data.dataset);
  if (cfg.model.arch !== null) {
    const arch = loadArchFile(cfg.model.arch);
    if (shape) {
      const mismatch = archShapeMismatch(arch, shape);
      if (mismatch) throw new ArchFileError(`${cfg.model.arch}: ${mismatch}`);
    }
    const by = cfg.model.uniform_match;
    return { arch: matchedArch(arch, by), matched: by === null ? null : { by, of: arch } };
  }
  if (!shape) {
    throw new ArchFileError(
      `the seed architecture needs the image shape and class count, which an ${cfg.data.dataset} dataset reveals only once read`,
    );
  }
  try {
    return { arch: seedArch(cfg.model.family, cfg.model.width ?? undefined, shape.inputShape, shape.classes), matched: null };
  } catch (err) {
    throw new ArchFileError(`model: ${(err as Error).message}`);
  }
}
