// What the sweep commands share (./sweep.ts, ./local.ts, ./slurm.ts, ./status.ts): a prepared sweep,
// the CLI entry that runs a point, the machine's cores, a point's result line, the error of failed points.
import * as os from 'os';
import * as path from 'path';
import type { SweepFile, SweepPoint } from '../../config';
import { PointStatus, readJsonl, readRunReport, runFolder, sweepFolder } from '../../report';
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

/**
 * The first line of a failed point's error as its status file `st` records it (its exit status when
 * the error has no text), or `otherwise` when the status does not say failed.
 */
export function failedPointLine(st: PointStatus | null, otherwise: string): string {
  if (st?.state !== 'failed') return otherwise;
  return st.error?.split('\n')[0] || (st.exit_code !== undefined ? `exit ${st.exit_code}` : otherwise);
}

/**
 * The error a sweep ends with when points failed: `failed` holds one line per failed point
 * ("  name: first line of its error ..."), `total` the points this sweep ran, `again` how to run
 * the sweep again (the local command, or "submit it").
 */
export function pointsFailed(failed: string[], total: number, again: string): SweepPointsFailed {
  return new SweepPointsFailed(
    [`${failed.length} of ${total} point${total === 1 ? '' : 's'} failed (the other points went on without them):`, ...failed, `fix what their errors name, then ${again} again: done points are skipped, started ones resume`].join('\n'),
  );
}

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
