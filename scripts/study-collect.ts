// Copies the multi-seed study's finished points from their sweep folders into docs/study/runs/ and
// regenerates the study's tables (docs/study/*.md) from the copies with `nasgrow table`, so that what
// docs/REPRODUCTION.md quotes is what anyone gets from the committed summaries.
//
//   npm run build && node dist/scripts/study-collect.js [--runs runs/study] [--out docs/study]
//
// A maintainer's script, not part of the nasgrow CLI. It merges: a point already in docs/study/runs/
// and absent from --runs (run on another machine, another session) is kept, so a sweep whose grid
// grew can be run on a fresh machine for its new points only and collected beside the old ones.
// What is copied of a done point (docs/REPRODUCTION.md, "The multi-seed study"): the run summaries
// config.yaml, run.json, progress.json, report.json, metrics.jsonl and the architecture files
// (arch.json, uniform-baseline/arch.json; the `*-retrain12-*` sweeps read them through model.arch).
// Checkpoints, graphs and logs stay behind: they are large and nothing in the tables reads them.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import yargs from 'yargs';

/** The files of a run folder that are committed, relative to the folder. */
const SUMMARY_FILES = ['config.yaml', 'run.json', 'progress.json', 'report.json', 'metrics.jsonl', 'arch.json', path.join('uniform-baseline', 'arch.json')];

/** Each committed table: its file under docs/study/, the sweep folders it reads, the paper rows shown;
 *  `seeds`: only these points (`seed-N`) of the sweeps, for a result stated on a subset of their seeds
 *  (a test fixed on some seeds and confirmed on others). */
const TABLES: { file: string; sweeps: string[]; paper: 'ours' | 'none'; seeds?: number[] }[] = [
  { file: 'vgg19.md', sweeps: ['vgg19-gn', 'vgg19-baselines'], paper: 'ours' },
  { file: 'mobilenetv1.md', sweeps: ['mobilenetv1-gn', 'mobilenetv1-baselines', 'mobilenetv1-tune'], paper: 'ours' },
  { file: 'mobilenetv1-full.md', sweeps: ['mobilenetv1-full'], paper: 'none' },
  { file: 'mobilenetv1-retrain12.md', sweeps: ['mobilenetv1-retrain12-grown', 'mobilenetv1-retrain12-uniform', 'mobilenetv1-retrain12-uniform-macs'], paper: 'none' },
  // the compute-matched test on the seeds its idea came from, and its confirmation on the others
  { file: 'mobilenetv1-retrain12-seeds0-7.md', sweeps: ['mobilenetv1-retrain12-grown', 'mobilenetv1-retrain12-uniform', 'mobilenetv1-retrain12-uniform-macs'], paper: 'none', seeds: [0, 1, 2, 3, 4, 5, 6, 7] },
  { file: 'mobilenetv1-retrain12-seeds8-15.md', sweeps: ['mobilenetv1-retrain12-grown', 'mobilenetv1-retrain12-uniform', 'mobilenetv1-retrain12-uniform-macs'], paper: 'none', seeds: [8, 9, 10, 11, 12, 13, 14, 15] },
  { file: 'vgg19-tune.md', sweeps: ['vgg19-tune'], paper: 'none' },
  { file: 'vgg19-confirm.md', sweeps: ['vgg19-confirm'], paper: 'none' },
  { file: 'vgg19-tune-phases.md', sweeps: ['vgg19-tune', 'vgg19-tune-phases'], paper: 'none' },
  { file: 'vgg19-confirm-theta.md', sweeps: ['vgg19-confirm-theta'], paper: 'none' },
  { file: 'vgg19-retrain12.md', sweeps: ['vgg19-retrain12-grown', 'vgg19-retrain12-uniform', 'vgg19-retrain12-uniform-macs'], paper: 'none' },
];

/** The names of a sweep folder's points whose status says done (points/<name>.json, written by `nasgrow sweep`). */
function donePoints(sweepDir: string): string[] {
  const statusDir = path.join(sweepDir, 'points');
  if (!fs.existsSync(statusDir)) return [];
  return fs.readdirSync(statusDir)
    .filter((f) => f.endsWith('.json'))
    .filter((f) => (JSON.parse(fs.readFileSync(path.join(statusDir, f), 'utf8')) as { state?: string }).state === 'done')
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

/** Copy one sweep's done points into out/runs/<sweep>/; returns the names copied. */
function collectSweep(runsDir: string, outRuns: string, sweep: string): string[] {
  const from = path.join(runsDir, sweep);
  const done = donePoints(from);
  for (const name of done) {
    for (const rel of SUMMARY_FILES) {
      const src = path.join(from, name, rel);
      if (!fs.existsSync(src)) continue;
      const dst = path.join(outRuns, sweep, name, rel);
      fs.mkdirSync(path.dirname(dst), { recursive: true });
      fs.copyFileSync(src, dst);
    }
  }
  // the sweep file beside the folder (a folder of its own would be read as a run by `nasgrow table`):
  // the committed one, sweeps/study/<sweep>.yaml, when there is one, as the folder's copy of the file it
  // ran may carry a machine's local `exclude` of points run elsewhere; else the folder's own copy
  const committed = path.join(__dirname, '..', '..', 'sweeps', 'study', `${sweep}.yaml`); // from dist/scripts/
  if (done.length > 0) fs.copyFileSync(fs.existsSync(committed) ? committed : path.join(from, 'sweep.yaml'), path.join(outRuns, `${sweep}.sweep.yaml`));
  return done;
}

function main(): void {
  const argv = yargs(process.argv.slice(2))
    .option('runs', { type: 'string', default: 'runs/study', describe: 'the folder holding the study\'s sweep folders' })
    .option('out', { type: 'string', default: 'docs/study', describe: 'where runs/ and the tables are written' })
    .option('tables-only', { type: 'boolean', default: false, describe: 'regenerate the tables from what is already committed' })
    .strict().help().parseSync();
  const outRuns = path.join(argv.out, 'runs');
  if (!argv['tables-only']) {
    if (!fs.existsSync(argv.runs)) throw new Error(`${argv.runs}: no such folder (--runs names the folder holding the study's sweep folders)`);
    for (const sweep of fs.readdirSync(argv.runs).sort()) {
      if (!fs.existsSync(path.join(argv.runs, sweep, 'sweep.json'))) continue;
      const copied = collectSweep(argv.runs, outRuns, sweep);
      console.log(`${sweep}: ${copied.length} done point${copied.length === 1 ? '' : 's'} copied${copied.length > 0 ? ` (${copied.join(', ')})` : ''}`);
    }
  }
  const cli = path.join(__dirname, '..', 'src', 'cli', 'main.js');
  for (const t of TABLES) {
    const sweepDirs = t.sweeps.map((s) => path.join(outRuns, s));
    const missing = sweepDirs.filter((d) => !fs.existsSync(d));
    if (missing.length > 0) { console.log(`${t.file}: skipped, ${missing.join(', ')} missing`); continue; }
    const dirs = t.seeds === undefined ? sweepDirs : sweepDirs.flatMap((d) => t.seeds!.map((n) => path.join(d, `seed-${n}`)).filter((p) => fs.existsSync(p)));
    const table = execFileSync(process.execPath, [cli, 'table', ...dirs, '--paper', t.paper], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    fs.writeFileSync(path.join(argv.out, t.file), table);
    console.log(`${t.file}: nasgrow table ${dirs.join(' ')} --paper ${t.paper}`);
  }
}

main();
