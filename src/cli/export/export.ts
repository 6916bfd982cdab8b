// `nasgrow export`: build the architecture from a config or from --family/--width, then hand it to
// the graph exporter.
import * as path from 'path';
import { DataShape, datasetShape, loadConfig, resolveArch } from '../../config';
import { ArchState, Family, seedArch } from '../../models/arch';
import { ExportCommandModule, loadImplementation } from '../contracts';
import { UsageError } from '../errors';
import type { ExportArgs } from './command-object';

/** The paper's seed widths. */
export const SEED_WIDTH: Record<Family, number> = { vgg19: 16, mobilenetv1: 32 };

export async function runExport(args: ExportArgs, out: { write(s: string): unknown } = process.stdout): Promise<void> {
  const { arch, batchSize, seed } = exportTarget(args);
  const exporter = loadExporter();
  const written = await exporter.exportGraphs({ arch, batchSize, outDir: path.resolve(args.out), seed });
  for (const file of written) out.write(file + '\n');
}

export function loadExporter(): ExportCommandModule {
  return loadImplementation<ExportCommandModule>(() => require('../../train/export-command'), 'src/train/export-command', 'exportGraphs');
}

/** What to export, from the arguments; every argument problem is a UsageError naming the flag. */
export function exportTarget(args: ExportArgs): { arch: ArchState; batchSize: number; seed: number } {
  const input = args.input !== undefined ? parseShape(args.input) : undefined;
  const classes = args.classes !== undefined ? checkInt(args.classes, '--classes', 2) : undefined;
  const batch = args.batch !== undefined ? checkInt(args.batch, '--batch', 1) : undefined;
  const seed = args.seed !== undefined ? checkInt(args.seed, '--seed', 0) : undefined;

  if (args.config !== undefined) {
    if (args.family !== undefined || args.width !== undefined) {
      throw new UsageError('give either a CONFIG or --family/--width, not both');
    }
    const cfg = loadConfig(args.config);
    const known = datasetShape(cfg.data.dataset);
    const inputShape = input ?? known?.inputShape;
    const classCount = classes ?? known?.classes ?? cfg.data.classes?.length;
    if (inputShape === undefined || classCount === undefined) {
      throw new UsageError(`${args.config} uses an ${cfg.data.dataset} dataset, whose image shape is known only once read: give --input C,H,W and --classes K`);
    }
    const data: DataShape = { inputShape, classes: classCount };
    return { arch: resolveArch(cfg, data), batchSize: batch ?? cfg.train.batch_size, seed: seed ?? cfg.seed };
  }

  if (args.family === undefined) throw new UsageError('give a CONFIG, or --family (vgg19 or mobilenetv1) and --width');
  const width = args.width !== undefined ? parseWidths(args.width) : SEED_WIDTH[args.family];
  let arch: ArchState;
  try {
    arch = seedArch(args.family, width, input ?? [3, 32, 32], classes ?? 10);
  } catch (err) {
    throw new UsageError(`--family ${args.family}: ${(err as Error).message}`);
  }
  return { arch, batchSize: batch ?? 64, seed: seed ?? 0 };
}

function checkInt(v: number, flag: string, min: number): number {
  if (!Number.isInteger(v) || v < min) throw new UsageError(`${flag} must be an integer >= ${min}, got ${v}`);
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
