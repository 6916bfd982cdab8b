// The local backend of `nasgrow sweep`: the points that are not done run in a pool of --jobs processes
// (`nasgrow sweep point DIR NAME`, ./point.ts), each with the machine's cores shared out as
// runtime.threads, so that the pool does not oversubscribe the CPU (a parallel kernel waits for its
// slowest thread, so on a shared core every kernel runs at the pace of the thread that is descheduled;
// nasgrow's sessions do not spin, docs/performance.md#threads-and-spinning). A point's terminal
// output goes to logs/<name>.log. A failed point is reported and the others go on; the sweep exits 1 at the end when
// any failed. Stopped (Ctrl-C, SIGTERM), the sweep stops its points; run again, it skips the done
// points and resumes the others.
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { formatDuration, readPointStatus, sweepFolder } from '../../report';
import { PreparedSweep, availableCores, cliEntry, failedPointLine, pointsFailed, resultLine } from './common';
import { plural } from '../../util/plural';

/**
 * Run the points of `s` that are not done, `jobs` at a time, each with `threads` threads (default
 * floor(cores / jobs)).
 * @throws SweepPointsFailed (./common.ts pointsFailed) after every point has run, when any failed.
 */
export async function runLocalSweep(s: PreparedSweep, opts: { jobs: number; threads?: number }, log: (line: string) => void): Promise<void> {
  const todo = s.points.filter((p) => !s.done.has(p.name));
  if (todo.length === 0) {
    log(`every point is done: \`nasgrow table ${s.dir}\` tabulates them`);
    return;
  }
  const cores = availableCores();
  const jobs = Math.min(opts.jobs, todo.length);
  const threads = opts.threads ?? Math.max(1, Math.floor(cores / jobs));
  if (jobs * threads > cores && jobs <= cores) log(`warning: ${plural(jobs, 'point')} at a time with ${plural(threads, 'thread')} each want more threads than this machine has cores (${cores})`);
  if (jobs > cores) log(`warning: --jobs ${opts.jobs} runs more points at a time than this machine has cores (${cores}): each runs at far less than 1/${jobs} of the speed`);
  log(`running ${plural(todo.length, 'point')}, ${jobs} at a time with ${plural(threads, 'thread')} each; each point's output in ${path.join(s.dir, 'logs')}`);

  const f = sweepFolder(s.dir);
  fs.mkdirSync(path.join(s.dir, 'logs'), { recursive: true });
  const children = new Set<ChildProcess>();
  let stopping: NodeJS.Signals | null = null;
  const stop = (signal: NodeJS.Signals) => {
    stopping = signal;
    // the same signal, so that each point's train.log names what the user sent
    for (const c of children) c.kill(signal);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  const failed: string[] = [];
  let finished = 0;
  const queue = [...todo];
  const worker = async () => {
    for (let p = queue.shift(); p !== undefined && stopping === null; p = queue.shift()) {
      const logFile = f.log(p.name);
      const fd = fs.openSync(logFile, 'a');
      const started = Date.now();
      log(`[${p.name}] started`);
      const child = spawn(process.execPath, [cliEntry(), 'sweep', 'point', s.dir, p.name, '--threads', String(threads)], { stdio: ['ignore', fd, fd] });
      children.add(child);
      const code = await new Promise<number | null>((resolve) => {
        child.on('close', (c, signal) => resolve(c ?? (signal ? null : 1)));
        child.on('error', () => resolve(null));
      });
      children.delete(child);
      fs.closeSync(fd);
      finished++;
      const took = formatDuration((Date.now() - started) / 1000);
      if (code === 0) log(`[${p.name}] done in ${took} (${finished}/${todo.length}): ${resultLine(s, p.name)}`);
      else if (stopping !== null) log(`[${p.name}] stopped (${stopping}): \`nasgrow sweep ${s.sweep.source}\` resumes it`);
      else {
        const error = failedPointLine(readPointStatus(s.dir, p.name), `exit ${code ?? 'by a signal'}`);
        failed.push(`  ${p.name}: ${error} (log: ${logFile})`);
        log(`[${p.name}] failed after ${took} (${finished}/${todo.length}): ${error}`);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: jobs }, worker));
  } finally {
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
  }
  if (stopping !== null) {
    log(`sweep stopped by ${stopping}: run \`nasgrow sweep ${s.sweep.source}\` again to go on (done points are skipped, started ones resume)`);
    process.exit(stopping === 'SIGINT' ? 130 : 143);
  }
  if (failed.length > 0) {
    throw pointsFailed(failed, todo.length, `run \`nasgrow sweep ${s.sweep.source}\``);
  }
  log(`sweep done: \`nasgrow table ${s.dir}\` tabulates it, \`nasgrow sweep status ${s.dir}\` lists its points`);
}
