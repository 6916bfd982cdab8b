// The layout of a run folder, and creating it:
//
//   <run>/config.yaml     the resolved config (paths relative to the run folder)
//   <run>/arch.json       the current architecture state
//   <run>/metrics.jsonl   one record per epoch          (MetricsWriter)
//   <run>/metrics.csv     the same, as a table
//   <run>/train.log       the log lines, time-stamped   (RunLog)
//   <run>/checkpoints/
//   <run>/graphs/
import * as fs from 'fs';
import * as path from 'path';
import { UserError } from '../util/errors';
import { writeFileAtomic } from '../util/atomic-write';

export interface RunFolder {
  dir: string;
  config: string;
  arch: string;
  metricsJsonl: string;
  metricsCsv: string;
  log: string;
  checkpoints: string;
  graphs: string;
}

/** An error in what the user asked for (exit code 1 in the CLI), not a bug. */
export class RunFolderError extends UserError {}

/** The paths of a run folder's parts (nothing is created). */
export function runFolder(dir: string): RunFolder {
  const abs = path.resolve(dir);
  return {
    dir: abs,
    config: path.join(abs, 'config.yaml'),
    arch: path.join(abs, 'arch.json'),
    metricsJsonl: path.join(abs, 'metrics.jsonl'),
    metricsCsv: path.join(abs, 'metrics.csv'),
    log: path.join(abs, 'train.log'),
    checkpoints: path.join(abs, 'checkpoints'),
    graphs: path.join(abs, 'graphs'),
  };
}

export interface PrepareOptions {
  /** continue the run in `dir` (which must be a run folder) instead of starting a new one */
  resume: boolean;
  /** the resolved config, written to config.yaml */
  configYaml: string;
}

/**
 * Create the run folder (or check the one being resumed), its subfolders, and config.yaml.
 * A new run refuses a folder that already has files in it.
 */
export function prepareRunFolder(dir: string, options: PrepareOptions): RunFolder {
  const run = runFolder(dir);
  const stat = statOrNull(run.dir);
  if (stat && !stat.isDirectory()) throw new RunFolderError(`${run.dir} exists and is not a folder: choose another --out`);
  if (options.resume) {
    if (!stat) throw new RunFolderError(`cannot resume ${run.dir}: the folder does not exist`);
    if (!fs.existsSync(run.config)) throw new RunFolderError(`cannot resume ${run.dir}: it is not a nasgrow run folder (it has no config.yaml)`);
  } else if (stat && fs.readdirSync(run.dir).length > 0) {
    throw new RunFolderError(
      `the run folder ${run.dir} already exists and is not empty: use --resume ${dir} to continue that run, or choose a new --out`,
    );
  }
  fs.mkdirSync(run.checkpoints, { recursive: true });
  fs.mkdirSync(run.graphs, { recursive: true });
  writeFileAtomic(run.config, options.configYaml);
  return run;
}

function statOrNull(p: string): fs.Stats | null {
  try {
    return fs.statSync(p);
  } catch {
    return null;
  }
}


/** Appends time-stamped lines to a log file (train.log); each line is written before log() returns. */
export class RunLog {
  constructor(readonly file: string) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
  }

  /** Append `line` (each of its lines stamped with the current time, ISO 8601). */
  write(line: string): void {
    const stamp = new Date().toISOString();
    const text = line
      .split('\n')
      .map((l) => `${stamp} ${l}`)
      .join('\n');
    fs.appendFileSync(this.file, text + '\n');
  }
}
