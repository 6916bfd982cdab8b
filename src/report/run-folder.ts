// The layout of a run folder, and creating it:
//
//   <run>/config.yaml     the resolved config (paths relative to the run folder)
//   <run>/arch.json       the current architecture state
//   <run>/metrics.jsonl   one record per epoch          (MetricsWriter)
//   <run>/metrics.csv     the same, as a table
//   <run>/train.log       the log lines, time-stamped   (RunLog)
//   <run>/checkpoints/
//   <run>/graphs/
//   <run>/run.json        which command made the folder, with which nasgrow, on which data (RunManifest)
//   <run>/.lock           PID of the process writing the folder (RunLock), removed when it ends
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { processAlive } from '../util/process-alive';
import { UserError } from '../util/errors';
import { appendFileWhole, writeFileAtomic, writeJsonFile } from '../util/atomic-write';
import { makeFolder, userFsError } from '../util/folders';
import type { HardwareInfo } from '../util/hardware';
import { plural } from '../util/plural';

export interface RunFolder {
  dir: string;
  config: string;
  manifest: string;
  arch: string;
  metricsJsonl: string;
  metricsCsv: string;
  log: string;
  checkpoints: string;
  graphs: string;
}

/** An error in what the user asked for (exit code 1 in the CLI), not a bug. */
export class RunFolderError extends UserError {}

/** What a uniform control was matched to (model.uniform_match): `of`, an ArchState, by `by`. */
export interface MatchedArch {
  by: 'params' | 'macs';
  of: unknown;
}

/**
 * What a run folder is: the command that made it (a `train` folder cannot be resumed by `run`), the
 * nasgrow version, and the fingerprints of its training and test data (src/data/dataset.ts
 * fingerprint), so that a resume may read the data from another path — a moved folder, a copied
 * dataset — but not other data.
 */
export interface RunManifest {
  command: 'train' | 'run';
  nasgrow: string;
  data: { train: string; test: string };
  /** the architecture the run started from (an ArchState, src/models/arch.ts) */
  arch: unknown;
  /** with model.uniform_match: the architecture `arch` is the uniform control of, and on what it was
   *  matched; absent without it (and in folders of earlier versions) */
  matched?: MatchedArch;
  /**
   * the machine that started the run (src/util/hardware.ts), for reading its wall time; absent in
   * folders of earlier versions. A resumed run keeps the manifest, so this names the first machine.
   */
  hardware?: HardwareInfo;
}

/**
 * The manifest of run folder `dir`, or for a folder from before manifests, what its files say (a
 * progress.json or phases/ means `run`), with no data fingerprints.
 * @throws RunFolderError naming run.json when it is not a manifest.
 */
export function readManifest(dir: string): RunManifest | { command: 'train' | 'run'; nasgrow: null; data: null } {
  const run = runFolder(dir);
  if (!fs.existsSync(run.manifest)) {
    const grown = fs.existsSync(path.join(run.dir, 'progress.json')) || fs.existsSync(path.join(run.dir, 'phases'));
    return { command: grown ? 'run' : 'train', nasgrow: null, data: null };
  }
  let m: Partial<RunManifest>;
  try {
    m = JSON.parse(fs.readFileSync(run.manifest, 'utf8')) as Partial<RunManifest>;
  } catch (e) {
    throw new RunFolderError(`${run.manifest} is damaged (${(e as Error).message}): it says which command made the run; restore it or start a new run`);
  }
  const ok = (m.command === 'train' || m.command === 'run') && typeof m.nasgrow === 'string' && typeof m.data?.train === 'string' && typeof m.data?.test === 'string';
  if (!ok) throw new RunFolderError(`${run.manifest} is damaged (not a run manifest): restore it or start a new run`);
  // what a resume compares model.arch with: one not of its shape cannot be dropped like the hardware
  const matched = m.matched as Partial<MatchedArch> | undefined;
  if (matched !== undefined && !((matched.by === 'params' || matched.by === 'macs') && typeof matched.of === 'object' && matched.of !== null)) {
    throw new RunFolderError(`${run.manifest} is damaged ("matched" is not what the run's uniform control was matched to): restore it or start a new run`);
  }
  // The hardware is a note for the reader, not something a resume checks: one that is not of its shape
  // is dropped rather than blocking the run.
  if (m.hardware !== undefined && !isHardwareInfo(m.hardware)) delete m.hardware;
  return m as RunManifest;
}

function isHardwareInfo(h: unknown): h is HardwareInfo {
  if (typeof h !== 'object' || h === null) return false;
  const x = h as Record<string, unknown>;
  return (
    typeof x.cpu === 'string' &&
    typeof x.cpus === 'number' &&
    typeof x.memoryGiB === 'number' &&
    typeof x.os === 'string' &&
    (x.device === 'cpu' || x.device === 'cuda') &&
    typeof x.threads === 'number' &&
    (x.gpu === null || typeof x.gpu === 'string') &&
    (x.nchwcBlock === undefined || typeof x.nchwcBlock === 'number')
  );
}

/** The paths of a run folder's parts (nothing is created). */
export function runFolder(dir: string): RunFolder {
  const abs = path.resolve(dir);
  return {
    dir: abs,
    config: path.join(abs, 'config.yaml'),
    manifest: path.join(abs, 'run.json'),
    arch: path.join(abs, 'arch.json'),
    metricsJsonl: path.join(abs, 'metrics.jsonl'),
    metricsCsv: path.join(abs, 'metrics.csv'),
    log: path.join(abs, 'train.log'),
    checkpoints: path.join(abs, 'checkpoints'),
    graphs: path.join(abs, 'graphs'),
  };
}

/**
 * The folder of growing phase `n` (1-based) of `nasgrow run`'s folder `dir`: `<dir>/phases/phase-NN`
 * (two digits at least, so that the phases sort in order).
 */
export function phaseDir(dir: string, n: number): string {
  return path.join(dir, 'phases', `phase-${String(n).padStart(2, '0')}`);
}

/**
 * Whether `dir` is a run folder of `nasgrow train` or `nasgrow run`: it has the config.yaml every run
 * writes first, and run.json or what an earlier version's run left (metrics.jsonl, progress.json).
 */
export function isRunFolder(dir: string): boolean {
  const run = runFolder(dir);
  return fs.existsSync(run.config) && [run.manifest, run.metricsJsonl, path.join(run.dir, 'progress.json')].some((f) => fs.existsSync(f));
}

/**
 * The run folders at and under `dir`, sorted: `dir` itself when it is one, else every run folder
 * found by walking its subfolders (a sweep's folder holds many). A run folder's own subfolders are not
 * searched, nor hidden folders, and symbolic links are not followed (a link loop cannot hang the walk).
 */
export function findRunFolders(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    if (isRunFolder(d)) {
      found.push(path.resolve(d));
      return;
    }
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch (e) {
      throw userFsError(e, 'list the folder', d);
    }
    for (const e of entries) if (e.isDirectory() && !e.name.startsWith('.')) walk(path.join(d, e.name));
  };
  walk(dir);
  return found.sort();
}

export interface PrepareOptions {
  /** continue the run in `dir` (which must be a run folder) instead of starting a new one */
  resume: boolean;
  /** the resolved config, written to config.yaml */
  configYaml: string;
  /** a new run's manifest, written to run.json (a resumed run keeps its own) */
  manifest?: RunManifest;
}

/** A run folder prepared by prepareRunFolder: its paths, its lock, and how to undo a start that fails. */
export type PreparedRunFolder = RunFolder & {
  lock: RunLock;
  /**
   * Undo this start when it fails before its work begins (train.log cannot be written): a new run's
   * config.yaml, run.json and train.log are deleted, and the folders prepareRunFolder made if they are
   * then empty, so the same command runs again once the problem is fixed; a resumed run keeps its
   * files. The lock is released either way.
   */
  undoStart(): void;
};

/**
 * Create the run folder (or check the one being resumed), take its lock (RunLock), and write
 * config.yaml (and a new run's run.json); the commands make the subfolders they fill. A new run refuses
 * a folder that already has files in it, except those of a start that never finished (run.json without
 * config.yaml: a start killed in between), which it replaces; a resumed run loses the temporary files a
 * killed process left behind. A new run that fails here leaves nothing: what it wrote is deleted, and
 * the folders it made.
 * @throws RunFolderError (exit 1) naming the folder: not a folder, not a run folder, not empty, in use
 *   by another process; FolderError when it cannot be created; UserError naming the file that cannot
 *   be written (a full disk).
 */
export function prepareRunFolder(dir: string, options: PrepareOptions & { log?: (line: string) => void }): PreparedRunFolder {
  const run = runFolder(dir);
  checkRunFolder(dir, options.resume);
  const made = missingFolders(run.dir);
  makeFolder(run.dir, 'the run folder');
  let lock: RunLock;
  try {
    lock = RunLock.acquire(run.dir, options.log);
  } catch (e) {
    removeIfEmpty(made);
    throw e;
  }
  const undoStart = () => {
    try {
      if (!options.resume) for (const f of [run.config, run.manifest, run.log]) fs.rmSync(f, { force: true });
    } finally {
      lock.release();
    }
    if (!options.resume) removeIfEmpty(made);
  };
  try {
    // a new run in the folder of an unfinished start: that start's files are replaced (so removed
    // first, with the temporary files of its writes); a resumed run removes a killed writer's
    const removed = removeLeftovers(run.dir);
    if (options.resume && removed.length > 0) options.log?.(`removed ${plural(removed.length, 'temporary file')} a killed process left behind (${removed.map((f) => path.relative(run.dir, f)).join(', ')})`);
    if (!options.resume && options.manifest) writeJsonFile(run.manifest, options.manifest);
    if (!options.resume && !options.manifest) fs.rmSync(run.manifest, { force: true });
    writeFileAtomic(run.config, options.configYaml);
  } catch (e) {
    try {
      undoStart();
    } catch {
      /* the error that stopped the start is the one to report */
    }
    throw e;
  }
  return { ...run, lock, undoStart };
}

/**
 * Whether folder `dir` holds only what a start that never finished leaves: no config.yaml, and
 * nothing but run.json, a lock file and temporary files of writing those two (src/util/atomic-write.ts).
 * An empty folder is not one (it is simply empty).
 */
function unfinishedStart(dir: string): boolean {
  const names = fs.readdirSync(dir);
  return names.length > 0 && names.every((n) => n === 'run.json' || n === '.lock' || /^(run\.json|config\.yaml)\.\d+$/.test(n));
}

/** The folders that making `dir` will create, the innermost first. */
function missingFolders(dir: string): string[] {
  const missing: string[] = [];
  for (let p = path.resolve(dir); !statOrNull(p) && path.dirname(p) !== p; p = path.dirname(p)) missing.push(p);
  return missing;
}

/** Remove the folders `dirs` (innermost first) while they are empty; a folder that is not stays. */
function removeIfEmpty(dirs: string[]): void {
  for (const d of dirs) {
    try {
      fs.rmdirSync(d);
    } catch {
      return; // not empty (or already gone): neither it nor any folder above it is ours to remove
    }
  }
}

/**
 * The run folder that `dir` is or lies inside, for commands that write elsewhere (export) and must not
 * mix their files into a run's: `dir` itself when it holds config.yaml, run.json or .lock; a folder
 * above it whose run.json is a run manifest (src/report/run-folder.ts RunManifest). Returns that
 * folder and the file that marks it, or null (also when `dir` does not exist yet).
 */
export function enclosingRunFolder(dir: string): { runDir: string; mark: string } | null {
  const abs = path.resolve(dir);
  for (const name of ['config.yaml', 'run.json', '.lock']) {
    if (fs.existsSync(path.join(abs, name))) return { runDir: abs, mark: name };
  }
  for (let p = path.dirname(abs); p !== path.dirname(p); p = path.dirname(p)) {
    if (!fs.existsSync(path.join(p, 'run.json'))) continue;
    try {
      readManifest(p);
      return { runDir: p, mark: 'run.json' };
    } catch {
      /* another program's run.json */
    }
  }
  return null;
}

/**
 * What prepareRunFolder checks of `dir` before it writes, without writing (what `nasgrow validate`
 * checks too): a new run needs an empty or missing folder, a resumed one an existing run folder.
 * @throws RunFolderError naming the folder: not a folder; a new run's folder not empty; a resumed
 *   run's folder missing or without config.yaml.
 */
export function checkRunFolder(dir: string, resume: boolean): void {
  const run = runFolder(dir);
  const stat = statOrNull(run.dir);
  if (stat && !stat.isDirectory()) throw new RunFolderError(`${run.dir} exists and is not a folder: choose another --out`);
  if (resume) {
    if (!stat) throw new RunFolderError(`cannot resume ${run.dir}: the folder does not exist`);
    if (!fs.existsSync(run.config)) {
      if (unfinishedStart(run.dir)) throw new RunFolderError(`cannot resume ${run.dir}: its start did not finish (it has no config.yaml), so there is nothing to resume: start the run again with --out ${dir} instead of --resume`);
      throw new RunFolderError(`cannot resume ${run.dir}: it is not a nasgrow run folder (it has no config.yaml)`);
    }
  } else if (stat && fs.readdirSync(run.dir).length > 0 && !unfinishedStart(run.dir)) {
    throw new RunFolderError(
      `the run folder ${run.dir} already exists and is not empty: use --resume ${dir} to continue that run, or choose a new --out`,
    );
  }
}

function statOrNull(p: string): fs.Stats | null {
  try {
    return fs.statSync(p);
  } catch {
    return null;
  }
}

/**
 * A temporary file of an atomic write (src/util/atomic-write.ts names it `<file>.<number>`, as
 * write-file-atomic did) or of an earlier nasgrow version (`<file>.tmp-<pid>`, `.<file>.<pid>.tmp`).
 */
const LEFTOVER = /(\.(json|jsonl|csv|yaml|onnx|safetensors|png|md|txt)\.\d+|\.tmp-\d+|\.\d+\.tmp)$/;

/** Delete the temporary files a killed writer left anywhere under `dir`; returns their paths. */
export function removeLeftovers(dir: string): string[] {
  const removed: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && LEFTOVER.test(e.name)) {
        fs.rmSync(p, { force: true });
        removed.push(p);
      }
    }
  };
  walk(dir);
  return removed.sort();
}

/** What a lock guards: its file in the folder, the folder's name in messages, and what to do once it is free. */
export interface LockSubject {
  file: string;
  what: string;
  then: string;
}

/** A run folder's lock: one process writes a run. */
export const RUN_LOCK: LockSubject = { file: '.lock', what: 'run folder', then: 'then --resume' };

/** A sweep folder's lock, held by `nasgrow sweep` while it writes sweep.json and runs its pool of
 *  points (not `.lock`: that file marks a run folder, src/report/run-folder.ts enclosingRunFolder). */
export const SWEEP_LOCK: LockSubject = { file: '.sweep.lock', what: 'sweep folder', then: 'then run the sweep again' };

/**
 * The lock of a run folder: `<run>/.lock` holds the PID, host and start time of the process writing
 * the folder, so that a second `train`, `run` or `--resume` on the same folder is refused instead of
 * interleaving its records with the first's. A lock left by a process that no longer runs on this host
 * (killed with SIGKILL, a power cut) is taken over, with a note. The same lock, with SWEEP_LOCK, keeps
 * a second `nasgrow sweep` out of a sweep folder whose pool is running.
 */
export class RunLock {
  private released = false;
  private readonly onExit = () => this.release();

  private constructor(readonly file: string) {
    process.once('exit', this.onExit);
  }

  /**
   * Take the lock of folder `dir` (which exists); `subject`: which lock (RUN_LOCK, SWEEP_LOCK).
   * @throws RunFolderError naming the holder's PID (and host) when another live process holds it.
   */
  static acquire(dir: string, log?: (line: string) => void, subject: LockSubject = RUN_LOCK): RunLock {
    const file = path.join(dir, subject.file);
    const me = JSON.stringify({ pid: process.pid, host: os.hostname(), started: new Date().toISOString() }) + '\n';
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        fs.writeFileSync(file, me, { flag: 'wx' });
        return new RunLock(file);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw userFsError(e, `lock the ${subject.what} by writing`, file);
      }
      const holder = lockHolder(file);
      const held = heldBy(dir, file, holder, subject);
      if (held) throw held;
      log?.(holder ? `took over the lock of process ${holder.pid} (since ${holder.started}), which no longer runs` : `replaced an unreadable lock file ${file}`);
      fs.rmSync(file, { force: true });
    }
    throw new RunFolderError(`could not lock the ${subject.what} ${dir}: another process keeps taking ${file}`);
  }

  /**
   * Refuse early, before a start logs or reads anything, when another live process holds the lock of
   * folder `dir`; takes nothing (acquire still decides, as two starts can race past this check).
   * @throws RunFolderError as acquire does.
   */
  static assertFree(dir: string, subject: LockSubject = RUN_LOCK): void {
    const file = path.join(dir, subject.file);
    if (!fs.existsSync(file)) return;
    const held = heldBy(dir, file, lockHolder(file), subject);
    if (held) throw held;
  }

  /** Give the lock up (also done when the process exits normally). */
  release(): void {
    if (this.released) return;
    this.released = true;
    process.removeListener('exit', this.onExit);
    try {
      const holder = lockHolder(this.file);
      if (holder?.pid === process.pid) fs.rmSync(this.file, { force: true });
    } catch {
      /* the folder went away: nothing to release */
    }
  }
}

/** The error for a lock held by a live process on this host, or by any process on another host; null when it can be taken over. */
function heldBy(dir: string, file: string, holder: { pid: number; host: string; started: string } | null, subject: LockSubject): RunFolderError | null {
  if (holder && holder.host === os.hostname() && processAlive(holder.pid)) {
    return new RunFolderError(`the ${subject.what} ${dir} is in use by process ${holder.pid} (since ${holder.started}): wait for it to finish or stop it, ${subject.then}`);
  }
  if (holder && holder.host !== os.hostname()) {
    return new RunFolderError(`the ${subject.what} ${dir} is locked by process ${holder.pid} on host ${holder.host} (since ${holder.started}); if that process is gone, delete ${file} and try again`);
  }
  return null;
}

/** The holder a lock file names (PID, host, start time), or null when the file is unreadable or names none. */
export function lockHolder(file: string): { pid: number; host: string; started: string } | null {
  try {
    const h = JSON.parse(fs.readFileSync(file, 'utf8')) as { pid?: unknown; host?: unknown; started?: unknown };
    return typeof h.pid === 'number' && typeof h.host === 'string' ? { pid: h.pid, host: h.host, started: String(h.started) } : null;
  } catch {
    return null;
  }
}


/** Appends time-stamped lines to a log file (train.log); each line is written before log() returns. */
export class RunLog {
  constructor(readonly file: string) {
    makeFolder(path.dirname(file));
  }

  /**
   * Append `line` (each of its lines stamped with the current time, ISO 8601).
   * @throws UserError naming the file when the disk is full or the file cannot be written.
   */
  write(line: string): void {
    const stamp = new Date().toISOString();
    const text = line
      .split('\n')
      .map((l) => `${stamp} ${l}`)
      .join('\n');
    // all of the lines or none: a full disk leaves no half line
    appendFileWhole(this.file, text + '\n');
  }
}
