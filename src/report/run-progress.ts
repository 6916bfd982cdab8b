// progress.json of `nasgrow run` (src/cli/run/run.ts): how far the run got, read back by --resume.
// Its shape is checked here, so that a damaged file is a user error naming it, not a crash later or
// a resume from the wrong phase.
import { readJsonFile } from './json-file';

/** What progress.json holds. */
export interface RunProgress {
  /** phases whose morphisms have been applied and whose state is saved */
  completedPhases: number;
  /** whether the retraining (and its test) finished */
  retrainDone: boolean;
  /** wall time of every invocation of this run so far, seconds */
  seconds: number;
}

const REMEDY =
  'Restore it, or write it again as {"completedPhases": N, "retrainDone": false, "seconds": 0} with N the number of ' +
  'phases/phase-NN folders that hold a state.safetensors (the highest such NN; the run then resumes after phase N), or start a new run';

/** What is wrong with a parsed progress.json, or null when it has the shape of RunProgress. */
export function progressProblem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'it is not a JSON object';
  const p = value as Record<string, unknown>;
  if (!Number.isSafeInteger(p.completedPhases) || (p.completedPhases as number) < 0) {
    return `"completedPhases" must be a whole number >= 0, not ${JSON.stringify(p.completedPhases) ?? 'missing'}`;
  }
  if (typeof p.retrainDone !== 'boolean') return `"retrainDone" must be true or false, not ${JSON.stringify(p.retrainDone) ?? 'missing'}`;
  if (typeof p.seconds !== 'number' || !Number.isFinite(p.seconds) || p.seconds < 0) {
    return `"seconds" must be a number >= 0, not ${JSON.stringify(p.seconds) ?? 'missing'}`;
  }
  return null;
}

/**
 * The progress of the run whose progress.json is `file`: nothing done yet when the file does not exist
 * (a run stopped in its first phase has none).
 * @throws RunFileError naming the file when it is unreadable, empty, not JSON, or not of RunProgress's shape.
 */
export function readRunProgress(file: string): RunProgress {
  const p = readJsonFile<RunProgress>(file, 'the progress file of this run', progressProblem, REMEDY);
  return p ? { completedPhases: p.completedPhases, retrainDone: p.retrainDone, seconds: p.seconds } : { completedPhases: 0, retrainDone: false, seconds: 0 };
}
