// The SLURM backend of `nasgrow sweep`: one job script (slurm/job.sh) and one job array per submission
// (`sbatch --array=I,J-K%M`), a task per point that is not done and not already queued; the task's
// index is the point's index in sweep.json, and it runs `nasgrow sweep point DIR INDEX` with
// --threads $SLURM_CPUS_PER_TASK. The script asks for --requeue: a preempted or requeued task runs the
// same command again, which resumes the point's run folder. A cancelled task is submitted again by the
// next `nasgrow sweep --backend slurm`, and resumes too. SLURM's client tools are driven as commands
// (no npm package talks to SLURM); `sacct` is not used, as it needs accounting (slurmdbd).
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { SlurmSettings } from '../../config';
import { readPointStatus, readSubmissions, recordSubmission, sweepFolder } from '../../report';
import { writeFileAtomic } from '../../util/atomic-write';
import { UserError } from '../../util/errors';
import { UsageError } from '../errors';
import { PreparedSweep, cliEntry, failedPointLine, pointsFailed, resultLine } from './common';
import { integerRanges } from '../../util/ranges';
import { plural } from '../../util/plural';

/** SLURM refused or failed a command: its stderr, and what was asked. */
export class SlurmError extends UserError {}

/** SLURM states in which a task will still run (or runs). */
const LIVE = new Set(['PENDING', 'RUNNING', 'CONFIGURING', 'COMPLETING', 'REQUEUED', 'REQUEUE_HOLD', 'REQUEUE_FED', 'RESIZING', 'SUSPENDED', 'STAGE_OUT', 'SIGNALING']);

function notInstalled(tool: string): UsageError {
  return new UsageError(`${tool} not found on PATH: --backend slurm drives SLURM's client tools (sbatch, squeue, scancel); run it on a machine of the cluster (a login node), or use --backend local`);
}

/**
 * That SLURM's client tools are here (sbatch answers --version), checked before a sweep folder is made.
 * @throws UsageError when sbatch is not on PATH; SlurmError when it fails
 */
export function checkSlurmTools(): void {
  slurmTool('sbatch', ['--version']);
}

/** Run one of SLURM's client tools; its stdout. @throws UsageError when it is not installed, SlurmError when it fails. */
function slurmTool(tool: string, args: string[]): string {
  const r = spawnSync(tool, args, { encoding: 'utf8' });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') throw notInstalled(tool);
  if (r.status !== 0) throw new SlurmError(`\`${tool} ${args.join(' ')}\` failed (exit ${r.status ?? r.signal}): ${(r.stderr || r.stdout || '').trim() || 'no message'}`);
  return r.stdout;
}

/**
 * The tasks of this sweep's submissions that SLURM still holds: point index -> state (PENDING,
 * RUNNING, ...). One squeue call, an array task per line.
 * @throws UsageError without squeue; SlurmError when it fails.
 */
export function queuedTasks(dir: string): Map<number, string> {
  const jobs = new Set(readSubmissions(dir).map((s) => s.job));
  const out = new Map<number, string>();
  if (jobs.size === 0) return out;
  // every job of the user, an array task per line (-r); ours picked by job id (squeue -j fails on an id
  // it no longer knows)
  const text = slurmTool('squeue', ['-h', '-r', '--me', '-o', '%F|%K|%T']);
  for (const line of text.split('\n')) {
    const [job, task, state] = line.trim().split('|');
    if (!job || !jobs.has(job) || task === undefined || !/^\d+$/.test(task) || !state) continue;
    out.set(Number(task), state);
  }
  return out;
}

/**
 * Whether SLURM still holds array task `job`_`task` (queued or running). An id squeue no longer knows
 * is not held.
 * @throws UsageError without squeue.
 */
export function slurmTaskHeld(job: string, task: string): boolean {
  const r = spawnSync('squeue', ['-h', '-r', '-j', task === '' ? job : `${job}_${task}`, '-o', '%T'], { encoding: 'utf8' });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') throw notInstalled('squeue');
  return r.status === 0 && r.stdout.split('\n').some((state) => LIVE.has(state.trim()));
}

/** A word for the shell, single-quoted. */
function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The job script of sweep folder `dir`: SBATCH options from the sweep file's slurm settings, its setup
 * lines, then the point of the task's index. Paths are absolute: a cluster's nodes must see the sweep
 * folder and this installation at the same paths (a shared file system).
 */
export function jobScript(dir: string, source: string, s: SlurmSettings): string {
  const f = sweepFolder(dir);
  const opts = [
    `--job-name=nasgrow-${path.basename(dir).replace(/[^A-Za-z0-9._-]/g, '-')}`,
    `--output=${path.join(f.slurmDir, '%A_%a.out')}`,
    `--cpus-per-task=${s.cpus_per_task}`,
    // a preempted or requeued task runs again and resumes its point
    '--requeue',
    '--open-mode=append',
    ...(s.partition ? [`--partition=${s.partition}`] : []),
    ...(s.time ? [`--time=${s.time}`] : []),
    ...(s.mem ? [`--mem=${s.mem}`] : []),
    ...s.sbatch_args,
  ];
  return [
    '#!/bin/bash',
    ...opts.map((o) => `#SBATCH ${o}`),
    `# nasgrow sweep ${source}: one array task per point; the task index is the point's index in`,
    `# ${f.manifest}. Written by \`nasgrow sweep --backend slurm\`, which submits it with --array.`,
    ...s.setup,
    'set -eu',
    `exec ${shq(process.execPath)} ${shq(cliEntry())} sweep point ${shq(dir)} "$SLURM_ARRAY_TASK_ID" --threads "\${SLURM_CPUS_PER_TASK:-${s.cpus_per_task}}"`,
    '',
  ].join('\n');
}

/**
 * Submit the points of `s` that are neither done nor queued as one job array; with `wait`, follow it
 * until no task of the sweep is queued, printing each point as it ends.
 * @throws UsageError without SLURM's tools; SlurmError when sbatch refuses; SweepPointsFailed (after
 *   waiting) when a point failed.
 */
export async function submitSweep(s: PreparedSweep, opts: { wait: boolean }, log: (line: string) => void): Promise<void> {
  const f = sweepFolder(s.dir);
  const queued = queuedTasks(s.dir);
  const todo = s.points.map((p, i) => ({ p, index: s.indices[i]! })).filter(({ p, index }) => !s.done.has(p.name) && !LIVE.has(queued.get(index) ?? ''));
  const inQueue = s.points.filter((_, i) => LIVE.has(queued.get(s.indices[i]!) ?? ''));
  if (inQueue.length > 0) log(`${inQueue.length} point${inQueue.length === 1 ? ' is' : 's are'} queued or running already: ${inQueue.map((p) => p.name).join(', ')}`);
  if (todo.length > 0) {
    fs.mkdirSync(f.slurmDir, { recursive: true });
    writeFileAtomic(f.jobScript, jobScript(s.dir, s.sweep.source, s.sweep.slurm));
    fs.chmodSync(f.jobScript, 0o755);
    const indices = todo.map((t) => t.index);
    const throttle = s.sweep.slurm.max_running ? `%${s.sweep.slurm.max_running}` : '';
    const out = slurmTool('sbatch', ['--parsable', `--array=${integerRanges(indices)}${throttle}`, f.jobScript]);
    const job = out.trim().split(';')[0]!;
    recordSubmission(s.dir, { job, tasks: indices, at: new Date().toISOString() });
    log(`submitted job array ${job} (${plural(todo.length, 'task')}: ${todo.map((t) => `${t.index}=${t.p.name}`).join(', ')}); output in ${f.slurmDir}`);
  } else if (inQueue.length === 0) {
    log(`every point is done: \`nasgrow table ${s.dir}\` tabulates them`);
    return;
  }
  if (!opts.wait) {
    log(`\`nasgrow sweep status ${s.dir}\` shows each point; \`nasgrow sweep ${s.sweep.source} --backend slurm\` again submits the points that stopped (they resume)`);
    return;
  }
  await waitForQueue(s, log);
}

async function waitForQueue(s: PreparedSweep, log: (line: string) => void): Promise<void> {
  const reported = new Set<string>();
  const failed: string[] = [];
  const report = () => {
    for (const p of s.points) {
      if (reported.has(p.name) || s.done.has(p.name)) continue;
      const st = readPointStatus(s.dir, p.name);
      if (st?.state === 'done') log(`[${p.name}] done: ${resultLine(s, p.name)}`);
      else if (st?.state === 'failed') {
        const line = failedPointLine(st, 'failed');
        failed.push(`  ${p.name}: ${line}`);
        log(`[${p.name}] failed: ${line}`);
      } else continue;
      reported.add(p.name);
    }
  };
  for (;;) {
    const queued = queuedTasks(s.dir);
    report();
    if (![...queued.values()].some((state) => LIVE.has(state))) break;
    await new Promise((r) => setTimeout(r, 2000));
  }
  report();
  const unfinished = s.points.filter((p) => !s.done.has(p.name) && !reported.has(p.name));
  if (unfinished.length > 0) log(`left the queue without finishing (cancelled or timed out): ${unfinished.map((p) => p.name).join(', ')}; submit again to resume them`);
  const ran = s.points.filter((p) => !s.done.has(p.name)).length;
  if (failed.length > 0) throw pointsFailed(failed, ran, `submit \`nasgrow sweep ${s.sweep.source} --backend slurm\``);
  log(`job array finished: \`nasgrow table ${s.dir}\` tabulates the sweep`);
}
