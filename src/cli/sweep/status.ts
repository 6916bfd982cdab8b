// `nasgrow sweep status DIR`: one line per point of a sweep folder — its state, how far its run got,
// its result, its wall time and where it ran. The run folders and points/<name>.json say what
// happened; SLURM's queue (when the sweep was submitted there and squeue is at hand) says what is
// queued or running now.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { formatDuration, readJsonl, readPointStatus, readRunProgress, readSubmissions, readSweepManifest, runFolder, sweepFolder } from '../../report';
import { loadConfig, retrainEpochs, TrainConfig } from '../../config';
import { processAlive } from '../../util/process-alive';
import { checkSweepFolderArg, failedPointLine, resultLine } from './common';
import { queuedTasks } from './slurm';
import { plural } from '../../util/plural';

/** The command line of `nasgrow sweep status`. */
export interface StatusArgs {
  dir: string;
}

/** One point's line of the status table. */
export interface PointRow {
  name: string;
  state: 'done' | 'failed' | 'running' | 'queued' | 'interrupted' | 'not started';
  progress: string;
  result: string;
  where: string;
}

/** The state of every point of sweep folder `dir`. @throws RunFileError for a damaged sweep.json or status file. */
export function sweepStatus(dir: string): PointRow[] {
  const m = readSweepManifest(dir);
  const f = sweepFolder(dir);
  let queued = new Map<number, string>();
  let queueNote = '';
  if (readSubmissions(dir).length > 0) {
    try {
      queued = queuedTasks(dir);
    } catch (e) {
      queueNote = ` (SLURM's queue unknown: ${(e as Error).message.split('\n')[0]})`;
    }
  }
  return m.points.map((p, index) => {
    const runDir = f.point(p.name);
    const st = readPointStatus(dir, p.name);
    const started = fs.existsSync(runFolder(runDir).config);
    const progress = !started ? '' : pointProgress(runDir, m.command);
    const inQueue = queued.get(index);
    // a done point's wall time; a running one's time so far
    let state: PointRow['state'];
    let result = '';
    if (st?.state === 'done' && started) {
      state = 'done';
      result = resultLine({ dir }, p.name);
    } else if (inQueue === 'PENDING' || inQueue === 'REQUEUED') state = 'queued';
    else if (inQueue !== undefined) state = 'running';
    // a local point's process: checked on this host, taken at its word on another (SLURM's are in `queued`)
    else if (st?.state === 'running' && !st.slurm && (st.host !== os.hostname() || processAlive(st.pid))) state = 'running';
    else if (st?.state === 'failed') {
      state = 'failed';
      // the error's first line, cut to keep the table readable (points/<name>.json has it whole)
      const first = failedPointLine(st, 'failed');
      result = first.length > 90 ? `${first.slice(0, 90)}… (points/${p.name}.json)` : first;
    } else state = started || st ? 'interrupted' : 'not started';
    // a finished attempt's wall time (the last attempt's: a resumed point's earlier ones are in its
    // run's progress.json); a running one's time so far
    const time = st?.seconds !== undefined ? `, ${formatDuration(st.seconds)}` : state === 'running' && st ? `, ${formatDuration((Date.now() - Date.parse(st.started)) / 1000)} so far` : '';
    const where = st ? `${st.host}${st.slurm ? ` (SLURM ${st.slurm.job}_${st.slurm.task})` : ` pid ${st.pid}`}${time}` : '';
    return { name: p.name, state, progress, result, where: where + (inQueue ? `, ${inQueue}` : '') + (state === 'running' || state === 'queued' ? '' : queueNote) };
  });
}

/**
 * How far a point's run got, in completed steps against what its config.yaml plans: "2 of 3 phases
 * done", "3 phases, 2 of 4 retraining epochs done", "3 phases, retrained, 1 of 4 uniform baseline
 * epochs done", "3 phases, retrained" (finished); for `train`, "5 of 12 epochs done". Epochs are
 * counted from metrics.jsonl, once each (a run killed between an epoch's record and its checkpoint
 * writes the record again).
 */
function pointProgress(runDir: string, command: 'run' | 'train'): string {
  let cfg: TrainConfig | null = null;
  try {
    cfg = loadConfig(runFolder(runDir).config, { checkPaths: false, cwd: runDir });
  } catch {
    // a config.yaml this build cannot read: the counts alone
  }
  const records = readJsonl(runFolder(runDir).metricsJsonl);
  const epochs = (kind: string) => new Set(records.filter((r) => r.kind === kind && r.phase === null).map((r) => r.epoch)).size;
  // "2 of 4 retraining epochs done"; without a plan, "2 retraining epochs done"
  const done = (n: number, total: number | null | undefined, word: string) => `${total ? `${n} of ${plural(total, word)}` : plural(n, word)} done`;
  if (command === 'train') return done(epochs('train'), cfg?.train.epochs, 'epoch');
  let p;
  try {
    p = readRunProgress(path.join(runDir, 'progress.json'));
  } catch {
    return 'progress.json damaged';
  }
  const g = cfg?.grow;
  const cycles = g?.cycles;
  if (!cycles || p.completedPhases < cycles) return done(p.completedPhases, cycles, 'phase');
  const planned = retrainEpochs(g);
  const phases = plural(p.completedPhases, 'phase');
  if (p.retrainDone) return `${phases}, retrained`;
  // the retraining, then the uniform baseline (progress.json's retrainDone covers both)
  const retrained = epochs('retrain');
  if (retrained < planned || !g.uniform_baseline) return `${phases}, ${done(retrained, planned, 'retraining epoch')}`;
  return `${phases}, retrained, ${done(epochs('baseline'), planned, 'uniform baseline epoch')}`;
}


/** Print the status table, and a closing line with counts and what to do next. */
export async function runStatus(args: StatusArgs, write: (s: string) => void = (s) => process.stdout.write(s)): Promise<void> {
  checkSweepFolderArg(args.dir, 'status');
  const rows = sweepStatus(args.dir);
  const head = ['point', 'state', 'progress', 'result', 'where'];
  const cells = rows.map((r) => [r.name, r.state, r.progress, r.result, r.where]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((x, i) => x.padEnd(widths[i]!)).join('  ').trimEnd() + '\n';
  write(line(head));
  for (const c of cells) write(line(c));
  const count = (s: PointRow['state']) => rows.filter((r) => r.state === s).length;
  const states: PointRow['state'][] = ['done', 'running', 'queued', 'failed', 'interrupted', 'not started'];
  write(`\n${plural(rows.length, 'point')}: ${states.filter((s) => count(s) > 0).map((s) => `${count(s)} ${s}`).join(', ')}\n`);
}
