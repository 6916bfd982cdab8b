// What the sweep commands share (./sweep.ts, ./local.ts, ./slurm.ts, ./status.ts): a prepared sweep,
// the CLI entry that runs a point, the machine's cores, a point's result line, the error of failed points.
import * as os from 'os';
import * as path from 'path';
import type { SweepFile, SweepPoint } from '../../config';
import { readJsonl, readRunReport, runFolder, sweepFolder } from '../../report';
import { UserError } from '../../util/errors';

/** A sweep ready to run: its file, folder, points (this file's), and which of them are done. */
export interface PreparedSweep {
  sweep: SweepFile;
  dir: string;
  points: SweepPoint[];
  /** indices in sweep.json of this file's points, in the file's order */
  indices: number[];
  done: Set<string>;
}

/** The CPU cores this process may use. */
export function availableCores(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

/** Some points of a sweep failed: each is named with its error's first line and its log. */
export class SweepPointsFailed extends UserError {}

/** The entry point of this installation's CLI, for child processes and job scripts. */
export function cliEntry(): string {
  return path.resolve(__dirname, '..', 'main.js');
}

/** A point's result in one line: the test error of each network its run reports. */
export function resultLine(s: { dir: string }, name: string): string {
  const dir = sweepFolder(s.dir).point(name);
  try {
    const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
    const r = readRunReport(path.join(dir, 'report.json'));
    if (!r) {
      // `nasgrow train` writes no report.json: its last evaluated epoch
      const last = readJsonl(runFolder(dir).metricsJsonl).filter((m) => m.kind === 'train' && typeof m.test_acc === 'number').pop();
      return last ? `test error ${pct(1 - (last.test_acc as number))} (train, epoch ${last.epoch})` : 'finished';
    }
    const u = r.uniform_baseline ? `, uniform ${pct(r.uniform_baseline.test_error)} (${r.uniform_baseline.params.toLocaleString('en-US')} params)` : '';
    return `test error ${pct(r.test_error)} (${r.method ?? 'gauss-newton'}, ${r.params.toLocaleString('en-US')} params)${u}`;
  } catch {
    return 'finished';
  }
}
