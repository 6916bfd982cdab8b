// `nasgrow sweep SWEEP.yaml`: run every point of a sweep (src/config/sweep-file.ts) in its own run
// folder under the sweep folder (src/report/sweep-folder.ts), on this machine (./local.ts) or as one
// SLURM job array (./slurm.ts).
//
// Order of work: the sweep file; every point's config, checked as `nasgrow run` checks it (the
// config with the point's values, the output folder, the resume rules), with the data read and the
// network checked once per distinct data and model; only then is anything written. A sweep folder
// made before must have been made from the same base config and the same values for its points (new
// grid values add points); points whose runs are done are skipped, started ones resume.
import * as fs from 'fs';
import * as path from 'path';
import { ConfigError, ConfigProblem, SweepFile, SweepPoint, absolutePathsConfigText, diffConfigs, excludedPoints, inlineYaml, loadConfig, loadSweepFile, sweepPoints } from '../../config';
import { RunLock, SWEEP_LOCK, SweepManifest, isSweepFolder, readPointStatus, readSweepManifest, runFolder, sweepFolder, writeSweepManifest } from '../../report';
import { writeFileAtomic } from '../../util/atomic-write';
import { checkFolder } from '../../util/folders';
import { UsageError, wholeNumber } from '../errors';
import { checkStart, checkStartData, PLACE_KEYS } from '../shared/run-setup';
import { nasgrowVersion } from '../version';
import type { PreparedSweep } from './common';
import { pointTrainArgs } from './point';
import { plural } from '../../util/plural';

/** The command line of `nasgrow sweep SWEEP.yaml`. */
export interface SweepArgs {
  file: string;
  jobs?: number;
  /** local: threads per point (default: the cores shared out among --jobs) */
  threads?: number;
  backend: 'local' | 'slurm';
  /** slurm: wait until the job array has left the queue (printing progress) */
  wait?: boolean;
  /** check everything and print the points, run nothing and write nothing */
  dryRun?: boolean;
  verbose?: boolean;
}

/** `nasgrow sweep SWEEP.yaml`: check, prepare the sweep folder, run the points that are not done. */
export async function runSweep(args: SweepArgs, log: (line: string) => void = (l) => process.stdout.write(l + '\n')): Promise<void> {
  const prepared = await prepareSweep(args, log);
  if (prepared === null) return;
  try {
    if (args.backend === 'slurm') {
      const { submitSweep } = await import('./slurm');
      await submitSweep(prepared, { wait: args.wait === true }, log);
    } else {
      const { runLocalSweep } = await import('./local');
      await runLocalSweep(prepared, { jobs: args.jobs ?? 1, ...(args.threads !== undefined ? { threads: args.threads } : {}) }, log);
    }
  } finally {
    prepared.lock.release();
  }
}

/** What a start writes into a new sweep folder before sweep.json (prepareSweep's order): its lock,
 *  base.yaml and sweep.yaml, and their temporary files (`<file>.<digits>`, src/util/atomic-write.ts). */
const WRITTEN_BEFORE_MANIFEST = /^(\.sweep\.lock|base\.yaml|sweep\.yaml)(\.\d+)?$/;

/**
 * Read and check the sweep and every point, then (unless --dry-run) make or update the sweep folder.
 * Returns null for a dry run.
 * @throws ConfigError listing the problems of every point (each naming the sweep file, key and value);
 *   UsageError when the sweep folder holds something else or another sweep; the start checks' errors.
 */
export async function prepareSweep(args: SweepArgs, log: (line: string) => void): Promise<PreparedSweep | null> {
  wholeNumber(args.jobs, '--jobs', 1, 1);
  wholeNumber(args.threads, '--threads', 1, 1);
  if (args.threads !== undefined && args.backend === 'slurm') throw new UsageError('--threads is for the local backend (a SLURM task runs with slurm.cpus_per_task threads)');
  if (args.wait && args.backend !== 'slurm') throw new UsageError('--wait is for --backend slurm (the local backend always waits)');
  const sweep = loadSweepFile(args.file);
  // a backend that cannot run is a problem to report before the sweep folder is made
  if (args.backend === 'slurm') (await import('./slurm')).checkSlurmTools();
  const points = sweepPoints(sweep);
  const dir = sweep.out;
  const f = sweepFolder(dir);

  // every point's config, with its values as the overrides (problems with the sweep's values name
  // the sweep file; the base config's own problems are reported once)
  const problems: ConfigProblem[] = [];
  const seen = new Set<string>();
  for (const p of points) {
    try {
      loadConfig(sweep.config, { overrides: Object.entries(p.values).map(([key, value]) => ({ key, value, origin: p.origins[key]! })) });
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      for (const q of e.problems) {
        const k = `${q.source}|${q.key}|${q.problem}`;
        if (!seen.has(k)) problems.push(q);
        seen.add(k);
      }
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);

  // the sweep folder: new, or this sweep's, and not being run by another `nasgrow sweep` (whose
  // points would be started twice, and its sweep.json rewritten under it)
  checkFolder(dir, `the sweep folder (out of ${sweep.source})`);
  if (!args.dryRun && fs.existsSync(dir)) RunLock.assertFree(dir, SWEEP_LOCK);
  const baseText = absolutePathsConfigText(fs.readFileSync(sweep.config, 'utf8'), path.dirname(sweep.config), `the base config of the sweep ${sweep.source}, copied from ${sweep.config} (relative paths made absolute)`);
  let manifest: SweepManifest;
  let placeChanged: string[] = [];
  const fresh = !isSweepFolder(dir);
  if (!fresh) {
    manifest = readSweepManifest(dir);
    placeChanged = checkSameSweep(dir, manifest, sweep, points, baseText);
  } else {
    // a start stopped (killed, a power cut) after taking the lock and before writing sweep.json leaves
    // only what it writes first: that folder is started again as new (its stale lock is taken over)
    const others = fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => !WRITTEN_BEFORE_MANIFEST.test(n)) : [];
    if (others.length > 0) {
      throw new UsageError(`the sweep folder ${dir} (out of ${sweep.source}) is not empty and is not a sweep folder (no sweep.json; it holds ${others.slice(0, 3).join(', ')}${others.length > 3 ? ', ...' : ''}): set out to a new folder, or empty it`);
    }
    manifest = { nasgrow: nasgrowVersion(), created: new Date().toISOString(), source: sweep.source, command: sweep.command, points: [] };
  }
  const known = new Set(manifest.points.map((p) => p.name));
  const added = points.filter((p) => !known.has(p.name));
  const all: SweepManifest = { ...manifest, points: [...manifest.points, ...added.map((p) => ({ name: p.name, values: p.values }))] };
  const indices = points.map((p) => all.points.findIndex((q) => q.name === p.name));
  const leftOut = manifest.points.filter((p) => !points.some((q) => q.name === p.name)).map((p) => p.name);

  // done points are skipped; the others are checked as their run would check them, data once per setting
  const done = new Set<string>();
  for (const p of points) if (readPointStatus(dir, p.name)?.state === 'done' && fs.existsSync(runFolder(f.point(p.name)).config)) done.add(p.name);
  const kind = sweep.command === 'run' ? 'grow' : 'train';
  const dataChecked = new Set<string>();
  const runCheck = sweep.command === 'run' ? (await import('../run/run')).runCheck : null;
  for (const p of points) {
    if (done.has(p.name)) continue;
    // the point reads the base config from the sweep folder once it exists; here, from the file
    const plan = checkStart({ ...pointTrainArgs(dir, p), config: sweep.config }, kind);
    const setting = JSON.stringify([plan.cfg.data, plan.cfg.model, plan.cfg.train.batch_size, plan.cfg.grow.method, plan.cfg.grow.reference]);
    if (dataChecked.has(setting)) continue;
    dataChecked.add(setting);
    const { data } = await checkStartData(plan, sweep.config, kind, (line) => (line.startsWith('data:') ? undefined : log(line)), runCheck ? runCheck(sweep.config) : undefined);
    await data.close();
  }

  const todo = points.filter((p) => !done.has(p.name));
  const excludedNow = excludedPoints(sweep);
  log(`sweep ${sweep.source}: ${plural(points.length, 'point')} (${sweep.grid.map((g) => `${g.key} × ${g.values.length}`).join(', ')}${excludedNow.length > 0 ? `, ${excludedNow.length} left out by exclude` : ''}) in ${dir}; ${done.size} done, ${todo.length} to run`);
  // points the folder has that the file no longer runs: left out by exclude, or gone from the grid
  const leftByExclude = leftOut.filter((n) => excludedNow.some((e) => e.name === n));
  const leftByGrid = leftOut.filter((n) => !leftByExclude.includes(n));
  const kept = (n: number) => `${n === 1 ? 'its run folder is' : 'their run folders are'} kept, and \`nasgrow sweep status\` and \`nasgrow table\` of the sweep folder still show ${n === 1 ? 'it' : 'them'} (move ${n === 1 ? 'it' : 'them'} out of the folder to drop ${n === 1 ? 'it' : 'them'})`;
  if (leftByGrid.length > 0) log(`  ${plural(leftByGrid.length, 'point')} of the sweep folder ${leftByGrid.length === 1 ? 'is' : 'are'} not in the sweep file's grid any more: ${leftByGrid.join(', ')}; ${kept(leftByGrid.length)}`);
  if (leftByExclude.length > 0) log(`  ${plural(leftByExclude.length, 'point')} of the sweep folder ${leftByExclude.length === 1 ? 'is' : 'are'} now left out by exclude: ${leftByExclude.join(', ')}; ${kept(leftByExclude.length)}`);
  if (args.dryRun) {
    for (const p of points) log(`  ${done.has(p.name) ? 'done   ' : 'to run '} ${p.name}: ${Object.entries(p.values).map(([k, v]) => `${k}=${inlineYaml(v)}`).join(' ')}`);
    for (const e of excludedNow) log(`  left out ${e.name} (exclude[${e.entry}]${e.line ? `, line ${e.line}` : ''})`);
    log('dry run: nothing written');
    return null;
  }

  fs.mkdirSync(dir, { recursive: true });
  const lock = RunLock.acquire(dir, log, SWEEP_LOCK);
  // a base config that now differs only in where and how fast the points run replaces the old one:
  // the points still to run and those resumed read it (a resume allows these keys to change)
  // (a new folder's base.yaml is written whole: one left by a start stopped before sweep.json may be stale)
  if (fresh || !fs.existsSync(f.base) || placeChanged.length > 0) writeFileAtomic(f.base, baseText);
  if (placeChanged.length > 0) log(`  the base config's ${placeChanged.join(', ')} changed (where and how fast the points run, not what they compute): ${f.base} rewritten`);
  writeFileAtomic(f.sweepFile, fs.readFileSync(sweep.source, 'utf8'));
  writeSweepManifest(dir, all);
  return { sweep, dir, points, indices, done, lock };
}

/**
 * A sweep folder made before may go on only with the same base config, up to where and how fast its
 * points run (PLACE_KEYS: runtime, data.cache_dir), and the same values for the points it has (points
 * may be added).
 * @returns the PLACE_KEYS that differ (the caller rewrites the folder's base.yaml with them).
 * @throws UsageError listing what differs.
 */
function checkSameSweep(dir: string, manifest: SweepManifest, sweep: SweepFile, points: SweepPoint[], baseText: string): string[] {
  const f = sweepFolder(dir);
  const what = `the sweep folder ${dir} was made by another sweep`;
  const fix = `start the sweep in a new folder (out in ${sweep.source}), or put the sweep file back as it was`;
  if (manifest.command !== sweep.command) throw new UsageError(`${what}: its points are runs of \`nasgrow ${manifest.command}\`, and ${sweep.source} says command: ${sweep.command}; ${fix}`);
  let place: string[] = [];
  if (fs.existsSync(f.base) && fs.readFileSync(f.base, 'utf8') !== baseText) {
    const before = loadConfig(f.base, { checkPaths: false });
    const after = loadConfig(sweep.config, { checkPaths: false });
    const diff = diffConfigs(before, after);
    const keys = diff.filter((d) => !PLACE_KEYS.includes(d.key));
    if (keys.length > 0) {
      throw new UsageError([`${what}: its base config (${f.base}) differs from ${sweep.config}`, ...keys.map((d) => `  ${d.key}: ${inlineYaml(d.before)} in the sweep, ${inlineYaml(d.after)} now`), `only ${PLACE_KEYS.join(', ')} may differ; ${fix}`].join('\n'));
    }
    place = diff.map((d) => d.key).filter((k) => k !== 'output.dir');
  }
  for (const p of points) {
    const old = manifest.points.find((q) => q.name === p.name);
    if (!old) continue;
    const keys = new Set([...Object.keys(old.values), ...Object.keys(p.values)]);
    const diff = [...keys].filter((k) => JSON.stringify(old.values[k]) !== JSON.stringify(p.values[k]));
    if (diff.length > 0) {
      throw new UsageError([`${what}: its point ${p.name} sets other values than ${sweep.source} now does`, ...diff.map((k) => `  ${k}: ${inlineYaml(old.values[k] ?? null)} in the sweep, ${inlineYaml(p.values[k] ?? null)} now`), fix].join('\n'));
    }
  }
  return place;
}
