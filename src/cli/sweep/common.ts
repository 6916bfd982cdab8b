// What the sweep commands share (./sweep.ts, ./local.ts, ./slurm.ts, ./status.ts): a prepared sweep,
// the CLI entry that runs a point, the machine's cores, a point's result line, the error of failed points.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadSweepFile, SweepFile, SweepPoint } from '../../config';
import { PointStatus, RunLock, readJsonl, readManifest, readRunReport, runFolder, sweepFolder } from '../../report';
import { UserError } from '../../util/errors';
import { UsageError } from '../errors';
import { plural } from '../../util/plural';

/** A sweep ready to run: its file, folder, points (this file's), and which of them are done. */
export interface PreparedSweep {
  sweep: SweepFile;
  dir: string;
  points: SweepPoint[];
  /** indices in sweep.json of this file's points, in the file's order */
  indices: number[];
  done: Set<string>;
  /** the sweep folder's lock (SWEEP_LOCK), held until the backend is done with the folder */
  lock: RunLock;
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
    [`${failed.length} of ${plural(total, 'point')} failed (the other points went on without them):`, ...failed, `fix what their errors name, then ${again} again: done points are skipped, started ones resume`].join('\n'),
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
      // a uniform control (model.uniform_match) says what it was matched by, as `nasgrow table` does
      const manifest = readManifest(dir);
      const matched = 'matched' in manifest && manifest.matched ? `, uniform matched by ${manifest.matched.by === 'macs' ? 'MACs' : 'parameters'}` : '';
      const params = typeof last?.params === 'number' ? `, ${last.params.toLocaleString('en-US')} params` : '';
      return last ? `test error ${pct(1 - (last.test_acc as number))} (train, epoch ${last.epoch}${params}${matched})` : 'finished';
    }
    const u = r.uniform_baseline ? `, uniform ${pct(r.uniform_baseline.test_error)} (${r.uniform_baseline.params.toLocaleString('en-US')} params)` : '';
    return `test error ${pct(r.test_error)} (${r.method ?? 'gauss-newton'}, ${r.params.toLocaleString('en-US')} params)${u}`;
  } catch {
    return 'finished';
  }
}

/**
 * Check the folder argument of `nasgrow sweep status|point`: it exists and is a folder. A sweep file
 * given instead is named as such, with its folder (the `out` it sets).
 * @throws UsageError saying what to name instead.
 */
export function checkSweepFolderArg(dir: string, command: string): void {
  if (!fs.existsSync(dir)) throw new UsageError(`${dir} does not exist: name a sweep folder (the out of a sweep file)`);
  if (fs.statSync(dir).isDirectory()) return;
  let out: string | null = null;
  try {
    out = loadSweepFile(dir).out;
  } catch {
    // not a sweep file either: the plain message
  }
  throw new UsageError(
    out !== null
      ? `${dir} is a sweep file; \`nasgrow sweep ${command}\` takes its sweep folder: \`nasgrow sweep ${command} ${path.relative(process.cwd(), out) || '.'}${command === 'point' ? ' NAME' : ''}\``
      : `${dir} is a file, not a sweep folder: name a sweep folder (the out of a sweep file)`,
  );
}
