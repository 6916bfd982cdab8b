// `nasgrow report RUN`: (re)write RUN/report.html, the run's self-contained report page
// (src/report/report-page.ts). `nasgrow run` and `nasgrow train` write it when they finish.
import * as path from 'path';
import { readRunData, reportPageHtml } from '../../report';
import { writeFileAtomic } from '../../util/atomic-write';
import { macsOfJson, runFigures } from '../shared/run-figures';

/** The command line of `nasgrow report` (see ./command-object.ts). */
export interface ReportArgs {
  run: string;
}

/**
 * Write `dir`/report.html from what the run folder holds now; returns the page's path.
 * @throws RunFolderError (exit 1) naming `flag` and the path when `dir` is not a run folder, RunFileError
 *   naming a damaged file, before anything is written; UserError naming report.html when it cannot be
 *   written.
 */
export async function writeRunReport(dir: string, flag = 'RUN'): Promise<string> {
  const run = readRunData(dir, flag);
  const figures = await runFigures(run);
  const html = reportPageHtml(run, figures, { macs: run.arch ? macsOfJson(run.arch.json) : null });
  const file = path.join(run.dir, 'report.html');
  writeFileAtomic(file, html);
  return file;
}

/** `nasgrow report RUN`: write the page and say where it is. */
export async function runReport(args: ReportArgs): Promise<void> {
  const file = await writeRunReport(args.run);
  process.stdout.write(`wrote ${file}\n`);
}
