// Architecture JSON files (an ArchState, as a run folder's arch.json holds it) and the architecture a
// config describes.
import * as fs from 'fs';
import { ArchState, seedArch, validateArch } from '../models/arch';
import { DataShape, datasetShape } from './datasets';
import type { TrainConfig } from './schema';
import { UserError } from '../util/errors';

/** An error in what the user supplied (exit code 1 in the CLI), not a bug. */
export class ArchFileError extends UserError {}

/** Read and validate an architecture JSON file; errors name the file and the offending field. */
export function loadArchFile(file: string): ArchState {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ArchFileError(`${file}: cannot read the architecture file (${(err as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ArchFileError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  return checkArch(raw, file);
}

/** Check that a parsed JSON value is a valid ArchState; `where` names it in messages. */
export function checkArch(raw: unknown, where: string): ArchState {
  const fail = (msg: string): never => {
    throw new ArchFileError(`${where}: ${msg}`);
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('an architecture must be a JSON object with family, inputShape, classes and layers');
  const a = raw as Record<string, unknown>;
  for (const k of ['family', 'inputShape', 'classes', 'layers']) if (!(k in a)) fail(`missing "${k}"`);
  if (!Array.isArray(a.layers)) fail('"layers" must be a list');
  (a.layers as unknown[]).forEach((l, i) => {
    if (typeof l !== 'object' || l === null) fail(`layers[${i}] must be an object`);
    const layer = l as Record<string, unknown>;
    for (const k of ['name', 'kernel', 'stride', 'width', 'pool', 'depthwise']) if (!(k in layer)) fail(`layers[${i}] is missing "${k}"`);
    if (typeof layer.pool !== 'boolean') fail(`layers[${i}].pool must be true or false`);
    if (layer.depthwise !== null && (typeof layer.depthwise !== 'object' || Array.isArray(layer.depthwise))) {
      fail(`layers[${i}].depthwise must be null or { "stride": n }`);
    }
  });
  try {
    return validateArch(a as unknown as ArchState);
  } catch (err) {
    return fail((err as Error).message);
  }
}

/**
 * The architecture a config describes: the model.arch file when set, else the seed family at the
 * configured width. `data` gives the image shape and class count; it defaults to the dataset's own
 * (required for image-folder datasets, whose shape is known only after reading them).
 */
export function resolveArch(cfg: TrainConfig, data?: DataShape): ArchState {
  const shape = data ?? datasetShape(cfg.data.dataset);
  if (cfg.model.arch !== null) {
    const arch = loadArchFile(cfg.model.arch);
    if (shape) {
      const mismatch = archShapeMismatch(arch, shape);
      if (mismatch) throw new ArchFileError(`${cfg.model.arch}: ${mismatch}`);
    }
    return arch;
  }
  if (!shape) {
    throw new ArchFileError(
      `the seed architecture needs the image shape and class count, which an ${cfg.data.dataset} dataset reveals only once read`,
    );
  }
  try {
    return seedArch(cfg.model.family, cfg.model.width, shape.inputShape, shape.classes);
  } catch (err) {
    throw new ArchFileError(`model: ${(err as Error).message}`);
  }
}

/** Why an architecture cannot run on data of this shape, or null when it can. */
export function archShapeMismatch(arch: ArchState, shape: DataShape): string | null {
  const same = arch.inputShape.every((d, i) => d === shape.inputShape[i]);
  if (same && arch.classes === shape.classes) return null;
  return `the architecture takes ${arch.inputShape.join('x')} inputs and ${arch.classes} classes, but the data has ${shape.inputShape.join('x')} images and ${shape.classes} classes`;
}
