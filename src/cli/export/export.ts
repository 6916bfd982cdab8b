// `nasgrow export`: build the architecture from a config or from --family/--width, then write every
// graph of it (train, eval, infer with fresh weights, grow) with the config's optimizer and growing
// settings (the schema's defaults without a config).
import * as path from 'path';
import { DataShape, TrainConfig, datasetShape, loadConfig, parseConfig, resolveArch } from '../../config';
import { writeGrowGraph, Granularity } from '../../grow/graph';
import { ArchState, SEED_WIDTH, seedArch } from '../../models/arch';
import { freshModelState } from '../../models/state';
import { SgdHyper, sgdOf } from '../../train/optimizer';
import { buildInferenceGraph } from '../../train/graphs';
import { writeArchGraphs } from '../../train/write-graphs';
import { writeModel } from '../../onnx/writer';
import { enclosingRunFolder } from '../../report';
import { writeJsonFile } from '../../util/atomic-write';
import { UsageError } from '../errors';

/** The command line of `nasgrow export` (see ./command-object.ts). */
export interface ExportArgs {
  config?: string;
  family?: 'vgg19' | 'mobilenetv1';
  width?: string;
  input?: string;
  classes?: number;
  out: string;
  batch?: number;
  seed?: number;
}


/**
 * `nasgrow export`: write the graphs and print their paths, one per line.
 * @throws UsageError (exit 1), before anything is written, for an argument problem (exportTarget) or
 *   an --out that is empty or a run folder (checkExportFolder).
 */
export async function runExport(args: ExportArgs, out: { write(s: string): unknown } = process.stdout): Promise<void> {
  const target = exportTarget(args);
  const outDir = checkExportFolder(args.out);
  const written = exportGraphs({ ...target, outDir });
  for (const file of written) out.write(file + '\n');
}

/**
 * The absolute folder an export writes to (`dir`, from --out), once it is known not to be a run's:
 * export writes arch.json and train/eval/infer/grow.onnx, which would replace a run's own arch.json
 * (read back on resume) and its graphs/infer.onnx (its result), without the run's lock.
 * @throws UsageError when --out is empty (it would mean the working directory), or `dir` is a run
 *   folder or lies inside one (its config.yaml, run.json or .lock; src/report enclosingRunFolder).
 */
export function checkExportFolder(dir: string): string {
  if (dir === '') throw new UsageError('--out is empty: name the folder to write the graphs to');
  const run = enclosingRunFolder(dir);
  if (run) {
    const where = run.runDir === path.resolve(dir) ? `is a nasgrow run folder (it holds ${run.mark})` : `is inside the nasgrow run folder ${run.runDir} (it holds ${run.mark})`;
    throw new UsageError(`the export folder ${dir} ${where}: export would write arch.json and .onnx files among the run's files; choose another --out`);
  }
  return path.resolve(dir);
}

/** What to export: the architecture, and the settings its training and growing graphs are built with. */
export interface ExportTarget {
  arch: ArchState;
  /** batch size baked into the training and growing graphs */
  batchSize: number;
  /** seed of the fresh weights the inference graph carries */
  seed: number;
  sgd: SgdHyper;
  granularity: Granularity;
}

/**
 * Write arch.json, train.onnx, eval.onnx, infer.onnx (fresh weights from `seed`, which its metadata
 * records as nasgrow.init_seed) and grow.onnx of `arch` into `outDir` (created when missing); returns
 * the paths written.
 */
export function exportGraphs(t: ExportTarget & { outDir: string }): string[] {
  const state = freshModelState(t.arch, t.seed);
  const arch = path.join(t.outDir, 'arch.json');
  writeJsonFile(arch, t.arch);
  const graphs = writeArchGraphs(t.outDir, t.arch, t.batchSize, t.sgd);
  // the seed, so that the weights can be drawn again (a trained run's infer.onnx has none: its
  // weights come from training)
  const infer = path.join(t.outDir, 'infer.onnx');
  const inferGraph = buildInferenceGraph(t.arch, state.params);
  inferGraph.metadata.set('nasgrow.init_seed', String(t.seed));
  writeModel(inferGraph, infer);
  return [arch, ...graphs, infer, writeGrowGraph(t.outDir, t.arch, t.batchSize, t.granularity)];
}

/** The config every key of which has its default (data.path, which has none, is a placeholder). */
function configDefaults(): TrainConfig {
  return parseConfig('data: { path: . }\n', '(defaults)', { checkPaths: false });
}

/** What to export, from the arguments; every argument problem is a UsageError naming the flag. */
export function exportTarget(args: ExportArgs): ExportTarget {
  const input = args.input !== undefined ? parseShape(args.input) : undefined;
  const classes = args.classes !== undefined ? checkInt(args.classes, '--classes', 2) : undefined;
  const batch = args.batch !== undefined ? checkInt(args.batch, '--batch', 1) : undefined;
  // the config's seed range: the weights' RNG takes 32 bits, and a larger value would wrap to another seed
  const seed = args.seed !== undefined ? checkInt(args.seed, '--seed', 0, MAX_SEED) : undefined;

  if (args.config !== undefined) {
    if (args.family !== undefined || args.width !== undefined) {
      throw new UsageError('give either a CONFIG or --family/--width, not both');
    }
    // only the architecture is needed: the data need not be here when its shape is known
    const cfg = loadConfig(args.config, { checkPaths: false });
    const known = datasetShape(cfg.data.dataset);
    const inputShape = input ?? known?.inputShape;
    const classCount = classes ?? known?.classes ?? cfg.data.classes?.length;
    if (inputShape === undefined || classCount === undefined) {
      throw new UsageError(`${args.config} uses an ${cfg.data.dataset} dataset, whose image shape is known only once read: give --input C,H,W and --classes K`);
    }
    const data: DataShape = { inputShape, classes: classCount };
    return { arch: resolveArch(cfg, data), batchSize: batch ?? cfg.train.batch_size, seed: seed ?? cfg.seed, sgd: sgdOf(cfg), granularity: cfg.grow.granularity };
  }

  if (args.family === undefined) throw new UsageError('give a CONFIG, or --family (vgg19 or mobilenetv1) and --width');
  const width = args.width !== undefined ? parseWidths(args.width) : SEED_WIDTH[args.family];
  let arch: ArchState;
  try {
    arch = seedArch(args.family, width, input ?? [3, 32, 32], classes ?? 10);
  } catch (err) {
    throw new UsageError(`--family ${args.family}: ${(err as Error).message}`);
  }
  const defaults = configDefaults();
  return { arch, batchSize: batch ?? defaults.train.batch_size, seed: seed ?? defaults.seed, sgd: sgdOf(defaults), granularity: defaults.grow.granularity };
}

/** The largest seed, as the config's `seed` allows (src/config/schema.ts). */
const MAX_SEED = 4294967295;

function checkInt(v: number, flag: string, min: number, max = Infinity): number {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new UsageError(`${flag} must be an integer ${max === Infinity ? `>= ${min}` : `from ${min} to ${max}`}, got ${v}`);
  }
  return v;
}

function parseIntList(text: string, flag: string): number[] {
  const parts = text.split(',').map((s) => s.trim());
  const values = parts.map(Number);
  if (parts.some((p) => !/^\d+$/.test(p)) || values.some((v) => v < 1)) {
    throw new UsageError(`${flag} must be positive integers separated by commas, got ${JSON.stringify(text)}`);
  }
  return values;
}

/** "16" -> 16, "16,32,..." -> [16, 32, ...] */
export function parseWidths(text: string): number | number[] {
  const values = parseIntList(text, '--width');
  return values.length === 1 ? values[0]! : values;
}

/** "3,32,32" -> [3, 32, 32] */
export function parseShape(text: string): [number, number, number] {
  const values = parseIntList(text, '--input');
  if (values.length !== 3) throw new UsageError(`--input must be C,H,W (three integers), got ${JSON.stringify(text)}`);
  return [values[0]!, values[1]!, values[2]!];
}
