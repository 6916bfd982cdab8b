// Architecture JSON files (an ArchState, as a run folder's arch.json holds it): reading, checking,
// and whether one fits a dataset. Depends on nothing in src/config but datasets.ts, so that
// schema.ts can use it for its cross-key checks; resolve-arch.ts, which needs a config, builds on it.
import * as fs from 'fs';
import * as path from 'path';
import { ArchState, validateArch } from '../models/arch';
import type { DataShape } from '../data/kinds';
import { UserError } from '../util/errors';

/** An error in what the user supplied (exit code 1 in the CLI), not a bug. */
export class ArchFileError extends UserError {}

/** Read and validate an architecture JSON file. Throws ArchFileError naming the file and the offending field. */
export function loadArchFile(file: string): ArchState {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ArchFileError(`${file}: cannot read the architecture file (${(err as Error).message})`);
  }
  if (text.trim() === '') throw new ArchFileError(`${file}: the architecture file is empty; write the architecture into it (a run folder's arch.json holds one) or name another file`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    // an arch.json damaged, or another file named by mistake (a config, a checkpoint)
    const hint = path.basename(file) === 'arch.json' ? 'the file is truncated or was edited by hand' : "an architecture file is JSON, like a run folder's arch.json: name one of those";
    // (JSON.parse quotes the text it stopped at, newlines and all: one line here)
    throw new ArchFileError(`${file}: not valid JSON (${(err as Error).message.replace(/\s+/g, ' ')}); ${hint}`);
  }
  return checkArch(raw, file);
}

/** Check that a parsed JSON value is a valid ArchState; throws ArchFileError, whose message starts with `where`. */
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
    if (typeof layer.name !== 'string') fail(`layers[${i}].name must be a string`);
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

/** Why an architecture cannot run on data of this shape, or null when it can. */
export function archShapeMismatch(arch: ArchState, shape: DataShape): string | null {
  const same = arch.inputShape.every((d, i) => d === shape.inputShape[i]);
  if (same && arch.classes === shape.classes) return null;
  return `the architecture takes ${arch.inputShape.join('x')} inputs and ${arch.classes} classes, but the data has ${shape.inputShape.join('x')} images and ${shape.classes} classes`;
}
