// The folder of a sweep (`nasgrow sweep`, src/cli/sweep/): one run folder per point, named after the
// point, beside the files that say what the sweep is and how each point went:
//
//   sweep.json          what the sweep is: its points (name and config values), the command, when made
//   sweep.yaml          the sweep file as given; base.yaml: its base config, relative paths made absolute
//   <point>/            the point's run folder (`nasgrow run` or `nasgrow train` --out)
//   points/<point>.json how the point's last attempt went: running, done or failed (with the error)
//   logs/<point>.log    the point's terminal output (local backend; SLURM writes slurm/<job>_<task>.out)
//   slurm/              the job script and every submission (submissions.jsonl)
//
// A point is done when its run folder holds the finished run (report.json or the last epoch); the
// status file tells a failure and its error, and where a running point runs.
import * as fs from 'fs';
import * as path from 'path';
import { appendFileWhole, writeJsonFile } from '../util/atomic-write';
import { RunFileError, readJsonFile } from './json-file';

/** sweep.json. */
export interface SweepManifest {
  nasgrow: string;
  created: string;
  /** the sweep file as the user named it when the sweep was made */
  source: string;
  command: 'run' | 'train';
  points: Array<{ name: string; values: Record<string, unknown> }>;
}

/** points/<point>.json: the last attempt at a point. */
export interface PointStatus {
  state: 'running' | 'done' | 'failed';
  started: string;
  finished?: string;
  /** wall time of this attempt, seconds */
  seconds?: number;
  host: string;
  pid: number;
  /** SLURM's job and array task of the attempt, when it ran under SLURM */
  slurm?: { job: string; task: string } | null;
  /** a failed point: the exit status (1: a problem in the input; 2: a bug) and the error as printed */
  exit_code?: number;
  error?: string;
}

/** One sbatch submission of slurm/submissions.jsonl. */
export interface SlurmSubmission {
  job: string;
  /** the points it ran, by index in sweep.json */
  tasks: number[];
  at: string;
}

/** The paths of a sweep folder's files. */
export function sweepFolder(dir: string) {
  return {
    dir,
    manifest: path.join(dir, 'sweep.json'),
    sweepFile: path.join(dir, 'sweep.yaml'),
    base: path.join(dir, 'base.yaml'),
    point: (name: string) => path.join(dir, name),
    status: (name: string) => path.join(dir, 'points', `${name}.json`),
    log: (name: string) => path.join(dir, 'logs', `${name}.log`),
    slurmDir: path.join(dir, 'slurm'),
    jobScript: path.join(dir, 'slurm', 'job.sh'),
    submissions: path.join(dir, 'slurm', 'submissions.jsonl'),
  };
}

/** Whether `dir` is a sweep folder (it holds sweep.json). */
export function isSweepFolder(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'sweep.json'));
}

const REMEDY = 'Restore it from the sweep file: run `nasgrow sweep SWEEP.yaml` with the sweep file that made this folder after moving sweep.json aside';

function manifestProblem(v: unknown): string | null {
  if (typeof v !== 'object' || v === null) return 'it is not a JSON object';
  const m = v as Record<string, unknown>;
  if (m.command !== 'run' && m.command !== 'train') return `"command" must be "run" or "train", not ${JSON.stringify(m.command)}`;
  if (!Array.isArray(m.points) || m.points.some((p) => typeof p !== 'object' || p === null || typeof (p as { name?: unknown }).name !== 'string' || typeof (p as { values?: unknown }).values !== 'object')) {
    return '"points" must be a list of { name, values }';
  }
  return null;
}

/**
 * sweep.json of sweep folder `dir`.
 * @throws RunFileError naming the file when it is missing, unreadable or damaged.
 */
export function readSweepManifest(dir: string): SweepManifest {
  const file = sweepFolder(dir).manifest;
  const m = readJsonFile<SweepManifest>(file, 'the manifest of this sweep', manifestProblem, REMEDY);
  if (m === null) throw new RunFileError(file, 'is missing', `${dir} is not a sweep folder: it has no sweep.json (\`nasgrow sweep SWEEP.yaml\` makes one)`);
  return m;
}

/** Write sweep.json (atomically). */
export function writeSweepManifest(dir: string, m: SweepManifest): void {
  writeJsonFile(sweepFolder(dir).manifest, m);
}

function statusProblem(v: unknown): string | null {
  if (typeof v !== 'object' || v === null) return 'it is not a JSON object';
  const s = v as Record<string, unknown>;
  if (!['running', 'done', 'failed'].includes(s.state as string)) return `"state" must be running, done or failed, not ${JSON.stringify(s.state)}`;
  return null;
}

/**
 * points/<name>.json of a sweep folder, or null for a point never started.
 * @throws RunFileError naming a damaged file.
 */
export function readPointStatus(dir: string, name: string): PointStatus | null {
  return readJsonFile<PointStatus>(sweepFolder(dir).status(name), 'the status of this sweep point', statusProblem, 'Delete it: the point is then taken as not started, and its run folder as it is');
}

/** Write points/<name>.json (atomically; the folder is made if needed). */
export function writePointStatus(dir: string, name: string, s: PointStatus): void {
  const file = sweepFolder(dir).status(name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeJsonFile(file, s);
}

/** Append one submission to slurm/submissions.jsonl. */
export function recordSubmission(dir: string, s: SlurmSubmission): void {
  appendFileWhole(sweepFolder(dir).submissions, JSON.stringify(s) + '\n');
}

/** Every submission of the sweep, oldest first (none when the file does not exist); unreadable lines are skipped. */
export function readSubmissions(dir: string): SlurmSubmission[] {
  let text = '';
  try {
    text = fs.readFileSync(sweepFolder(dir).submissions, 'utf8');
  } catch {
    return [];
  }
  const out: SlurmSubmission[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const s = JSON.parse(line) as SlurmSubmission;
      if (typeof s.job === 'string' && Array.isArray(s.tasks)) out.push(s);
    } catch {
      /* a line cut by a crash: that submission's tasks show as not queued */
    }
  }
  return out;
}
