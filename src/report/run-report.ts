// report.json of `nasgrow run` (src/cli/run/run.ts writes it when the run is done): the found
// architecture's test error, size and cost, and the uniform baseline's. Read back by a finished run
// resumed (its summary) and by `nasgrow table`; its shape is checked here, so that a damaged file is a
// user error naming it rather than NaN in a table.
import { readJsonFile } from './json-file';

/** The uniform-width network trained beside the grown one (grow.uniform_baseline). */
export interface UniformBaselineReport {
  width: number;
  params: number;
  mmac_per_image: number;
  /** fraction of test examples classified wrong */
  test_error: number;
  test_loss: number;
}

/** What report.json holds. */
export interface RunReport {
  /** grow.method of the run (absent in reports written before baselines: gauss-newton) */
  method?: string;
  /** the reference run folder of a baseline that copies its counts or target (grow.reference), or null */
  reference?: string | null;
  /** grow.method slimming: the wide network it trained and pruned, the L1 strength and the target */
  slimming?: { width: number; params_before: number; l1: number; target_params: number | null } | null;
  /** fraction of test examples classified wrong, from the counts */
  test_error: number;
  test_loss: number;
  /** whether the found architecture was retrained from scratch (grow.retrain_epochs > 0) */
  retrained: boolean;
  params: number;
  mmac_per_image: number;
  flops_per_image: number;
  widths: number[];
  seed_params: number;
  /** wall time of the whole run, every invocation (resumes) summed, the uniform baseline included */
  wall_seconds: number;
  uniform_baseline: UniformBaselineReport | null;
}

const REMEDY = 'Restore it, or resume the run (`nasgrow run CONFIG --resume DIR`) after deleting it: the run writes it again from its retraining checkpoints';

const isNumber = (v: unknown) => typeof v === 'number' && Number.isFinite(v);

/** What is wrong with a parsed report.json, or null when it has the shape of RunReport. */
export function runReportProblem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'it is not a JSON object';
  const r = value as Record<string, unknown>;
  for (const key of ['test_error', 'test_loss', 'params', 'mmac_per_image', 'flops_per_image', 'seed_params', 'wall_seconds']) {
    // JSON.stringify writes a NaN loss as null
    if (!isNumber(r[key]) && !(key === 'test_loss' && r[key] === null)) return `"${key}" must be a number, not ${JSON.stringify(r[key]) ?? 'missing'}`;
  }
  if (typeof r.retrained !== 'boolean') return `"retrained" must be true or false, not ${JSON.stringify(r.retrained) ?? 'missing'}`;
  if (!Array.isArray(r.widths) || !r.widths.every(isNumber)) return '"widths" must be a list of numbers';
  const b = r.uniform_baseline;
  if (b !== null && b !== undefined) {
    if (typeof b !== 'object' || Array.isArray(b)) return '"uniform_baseline" must be an object or null';
    const u = b as Record<string, unknown>;
    for (const key of ['width', 'params', 'mmac_per_image', 'test_error']) {
      if (!isNumber(u[key])) return `"uniform_baseline.${key}" must be a number, not ${JSON.stringify(u[key]) ?? 'missing'}`;
    }
  }
  return null;
}

/**
 * The report of the run whose report.json is `file`, or null when the file does not exist (the run has
 * not finished).
 * @throws RunFileError naming the file when it is unreadable, empty, not JSON, or not of RunReport's shape.
 */
export function readRunReport(file: string): RunReport | null {
  const r = readJsonFile<RunReport>(file, 'the result of this run', runReportProblem, REMEDY);
  return r && { ...r, uniform_baseline: r.uniform_baseline ?? null };
}
