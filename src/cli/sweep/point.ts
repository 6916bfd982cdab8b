// `nasgrow sweep point DIR NAME`: run one point of a sweep in its run folder — what each process of the
// local backend and each task of a SLURM job array runs. A point never started runs with --out; one
// with a run folder resumes it (--resume: a finished run only prints its summary), so a killed,
// requeued or preempted point continues where it stopped. Its status file (points/<name>.json) says
// running while it runs, then done or failed with the error as the terminal showed it.
import * as os from 'os';
import * as path from 'path';
import * as fs from 'fs';
import type { Override } from '../../config';
import { PointStatus, RunLock, SweepManifest, lockHolder, readPointStatus, readSweepManifest, runFolder, sweepFolder, writePointStatus } from '../../report';
import { UsageError, reportError } from '../errors';
import { checkSweepFolderArg } from './common';
import { slurmTaskHeld } from './slurm';
import type { TrainArgs } from '../shared/run-setup';

/** The command line of `nasgrow sweep point`. */
export interface PointArgs {
  dir: string;
  /** the point's name, or its index in sweep.json (what a SLURM array task knows) */
  point: string;
  threads?: number;
  verbose?: boolean;
}

/**
 * The point of sweep folder `dir` named `point` (or at that index).
 * @throws UsageError naming the sweep folder and the points it has.
 */
export function findPoint(dir: string, m: SweepManifest, point: string): { index: number; name: string; values: Record<string, unknown> } {
  const byName = m.points.findIndex((p) => p.name === point);
  const index = byName >= 0 ? byName : /^\d+$/.test(point) && Number(point) < m.points.length ? Number(point) : -1;
  if (index < 0) {
    const names = m.points.map((p) => p.name);
    throw new UsageError(`${dir} has no point ${JSON.stringify(point)}: its points are ${names.slice(0, 8).join(', ')}${names.length > 8 ? `, ... (${names.length})` : ''}, or their index 0-${names.length - 1}`);
  }
  return { index, ...m.points[index]! };
}

/**
 * The arguments of `nasgrow run`/`train` that run point `name` of sweep folder `dir`: its base config,
 * values and run folder. A problem with a value names `point.origins[key]` (the sweep file's line,
 * when the point comes from it), else sweep.json.
 */
export function pointTrainArgs(dir: string, point: { name: string; values: Record<string, unknown>; origins?: Record<string, string> }, threads?: number): TrainArgs {
  const f = sweepFolder(dir);
  const runDir = f.point(point.name);
  const origin = `${f.manifest} (point ${point.name})`;
  const overrides: Override[] = Object.entries(point.values).map(([key, value]) => ({ key, value, origin: point.origins?.[key] ?? origin }));
  const started = fs.existsSync(runFolder(runDir).config);
  return { config: f.base, overrides, threads, ...(started ? { resume: runDir } : { out: runDir }) };
}

/** Where this process runs under SLURM (its job and array task), or null outside SLURM. */
export function slurmTask(): PointStatus['slurm'] {
  const job = process.env.SLURM_ARRAY_JOB_ID ?? process.env.SLURM_JOB_ID;
  if (!job) return null;
  return { job, task: process.env.SLURM_ARRAY_TASK_ID ?? '' };
}

/**
 * Run one point: status running, then the run (`nasgrow run` or `nasgrow train` in-process), then
 * status done, or failed with the error's exit status and text (and the error thrown on, for the CLI's
 * handler and exit status).
 */
export async function runPoint(args: PointArgs): Promise<void> {
  checkSweepFolderArg(args.dir, 'point');
  const dir = path.resolve(args.dir);
  const m = readSweepManifest(dir);
  const point = findPoint(dir, m, args.point);
  // stopped, the point is the sweep's to go on with: its status, its threads
  const trainArgs = { ...pointTrainArgs(dir, point, args.threads), resumeHow: `running the sweep again (or \`nasgrow sweep point ${dir} ${point.name}\` for this point alone)` };
  const f = sweepFolder(dir);
  const started = new Date();
  const base = { started: started.toISOString(), host: os.hostname(), pid: process.pid, slurm: slurmTask() };
  const seconds = () => Math.round((Date.now() - started.getTime()) / 100) / 10;
  const previous = readPointStatus(dir, point.name);
  releaseStaleSlurmLock(f.point(point.name), previous);
  // a point another process is running (a sweep started twice, a point run by hand beside its sweep)
  // is refused before its status is touched: that record is the other process's
  if (fs.existsSync(f.point(point.name))) RunLock.assertFree(f.point(point.name));
  writePointStatus(dir, point.name, { state: 'running', ...base });
  process.stderr.write(`sweep point ${point.name} (${dir}): ${trainArgs.resume ? 'resuming' : 'starting'}${previous?.state === 'failed' ? ' (its last attempt failed)' : ''}\n`);
  try {
    if (m.command === 'run') await (await import('../run/run')).runRun(trainArgs);
    else await (await import('../train/train')).runTrain(trainArgs);
  } catch (e) {
    let text = '';
    const code = reportError(e, false, { write: (s: string) => (text += s), isTTY: false });
    writePointStatus(dir, point.name, { state: 'failed', ...base, finished: new Date().toISOString(), seconds: seconds(), exit_code: code, error: text.trim() });
    throw e;
  }
  // a done point run again (by hand: the pool and SLURM skip it) finds its run finished and does
  // nothing: its record goes back to the attempt that did the work (a killed re-run leaves 'running',
  // so that the pool looks at the point again)
  if (previous?.state === 'done') writePointStatus(dir, point.name, previous);
  else writePointStatus(dir, point.name, { state: 'done', ...base, finished: new Date().toISOString(), seconds: seconds() });
}

/**
 * A run folder's lock left by an earlier SLURM task of this point on another node (preempted, timed
 * out, node failure; requeued here) is the run's own and released: the lock names that task's host and
 * PID, which this node cannot check, so the point's status (written by that task) says which SLURM task
 * it was, and SLURM says whether it still runs. A task requeued with its own job and task id, or one
 * SLURM no longer holds, is gone. Locks of the same host are left to RunLock, which checks the PID.
 */
function releaseStaleSlurmLock(runDir: string, previous: PointStatus | null): void {
  const lockFile = path.join(runDir, '.lock');
  if (!previous?.slurm || previous.state !== 'running' || previous.host === os.hostname() || !fs.existsSync(lockFile)) return;
  // an unreadable lock RunLock replaces itself
  const holder = lockHolder(lockFile);
  if (holder === null || holder.host !== previous.host || holder.pid !== previous.pid) return;
  const me = slurmTask();
  const requeuedSelf = me !== null && me !== undefined && me.job === previous.slurm.job && me.task === previous.slurm.task;
  if (!requeuedSelf && slurmTaskHeld(previous.slurm.job, previous.slurm.task)) return;
  fs.rmSync(lockFile, { force: true });
  process.stderr.write(`released the lock of SLURM task ${previous.slurm.job}_${previous.slurm.task} (process ${previous.pid} on ${previous.host}), which ${requeuedSelf ? 'was requeued as this task' : 'SLURM no longer runs'}\n`);
}
