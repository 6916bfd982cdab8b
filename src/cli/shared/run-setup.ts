// What `nasgrow train` and `nasgrow run` share before and after their work (`nasgrow validate` runs the
// same checks: checkStart, checkStartData). Everything the user can
// get wrong is checked before the run folder is touched — the config with its command-line overrides,
// the device, the output folder, the resume rules, the data (both splits, their shapes, labels and
// normalisation) and whether the network fits at this batch size — so a failed start leaves nothing
// behind that would block the same command. Then the folder is locked and prepared, and the log goes to
// the terminal and to train.log; an error after that point is written into train.log too.
import * as fs from 'fs';
import * as path from 'path';
import { ArchMatch, ConfigError, Override, TrainConfig, assertTrainable, configName, diffConfigs, inlineYaml, loadConfig, renderConfigYaml, resolveArchMatched } from '../../config';
import { macCount, paramCount } from '../../models/params';
import type { ArchState } from '../../models/arch';
import { fingerprint } from '../../data';
import { checkRunFolder, MatchedArch, PreparedRunFolder, ProgressReporter, RunFolderError, RunLock, RunLog, prepareRunFolder, readManifest, runFolder } from '../../report';
import { checkDevice, nchwcBlockSize } from '../../runtime/session';
import { DataSetup, setupData } from '../../train/data-setup';
import { checkFolder } from '../../util/folders';
import { hardwareInfo } from '../../util/hardware';
import { UsageError } from '../errors';
import { nasgrowVersion } from '../version';
import { planResume } from './resume-plan';
import { plural } from '../../util/plural';

/** The command line of `nasgrow train` and `nasgrow run` (src/cli/train/command-object.ts, src/cli/run/command-object.ts). */
export interface TrainArgs {
  config: string;
  out?: string;
  resume?: string;
  epochs?: number;
  threads?: number;
  device?: 'cpu' | 'cuda';
  verbose?: boolean;
  /** config values set by the caller, not the command line: a sweep point's (src/cli/sweep/point.ts) */
  overrides?: Override[];
  /** what continues this run once stopped, a phrase for train.log (default: the command with --resume);
   *  a sweep point's names the sweep (src/cli/sweep/point.ts) */
  resumeHow?: string;
}

/**
 * Keys that may change when a run is resumed. Where and how fast it runs: runtime.*, data.cache_dir,
 * output.dir (a moved folder). Paths to the same inputs: data.path and model.arch (the data's
 * fingerprint and the architecture are checked instead, src/report/run-folder.ts RunManifest). How long
 * it goes on: train.epochs, grow.retrain_epochs, grow.uniform_baseline — a longer schedule also
 * stretches the learning rate of the epochs still to come (cosine), and a count below the epochs done
 * does not take effect (planResume, src/cli/shared/resume-plan.ts). And train.lr may be lowered
 * (checkResumable).
 */
const RESUMABLE_CHANGES = [
  'train.epochs',
  'train.eval_every',
  'train.checkpoint_every',
  'grow.retrain_epochs',
  'grow.uniform_baseline',
  'runtime.device',
  'runtime.threads',
  'data.cache_dir',
  'data.path',
  'model.arch',
  'output.dir',
];

/**
 * Keys that say where and how fast a run goes, not what it computes: a sweep folder may go on with a
 * base config that differs from its first one only in these (src/cli/sweep/sweep.ts). data.path and
 * model.arch are not among them: a new point would read other inputs than the points already done.
 */
export const PLACE_KEYS: readonly string[] = ['runtime.device', 'runtime.threads', 'data.cache_dir', 'output.dir'];

/** A run about to start or resume: its config, folder, data, seed architecture, log and progress display. */
export interface RunSession {
  /** the command whose run this is */
  command: 'train' | 'run';
  /** what continues this run once stopped (a phrase: a command in backquotes) */
  resumeHow: string;
  cfg: TrainConfig;
  run: PreparedRunFolder;
  /** continue the run in `run.dir` (it already holds that run) */
  resume: boolean;
  /** the loaded and checked data, with its loaders */
  data: DataSetup;
  /** the architecture the config describes for this data (the seed of a growing run) */
  arch: ArchState;
  /** the config file as the user named it (what errors about its keys name) */
  source: string;
  /** one line for the user and for <run>/train.log */
  log: (line: string) => void;
  /** per-epoch progress on stderr */
  progress: ProgressReporter;
}

/** What a training command reports at the end (`nasgrow run`: its retraining). */
export interface TrainSummary {
  /** `nasgrow run`: its growing cycles (the epochs are then its retraining's) */
  phases?: number;
  /** epochs completed in the run folder, counting those before a resume */
  epochs: number;
  /** the last epoch's running training loss and accuracy (fraction), or null if no epoch ran */
  train: { loss: number; accuracy: number } | null;
  /** the last evaluation on the test set, or null if none ran */
  test: { loss: number; accuracy: number } | null;
  /** trainable parameters of the architecture */
  params: number;
  /** wall time of this invocation, seconds */
  seconds: number;
  /** the last checkpoint written, or null */
  checkpoint: string | null;
}

/** What checkStart found: the config with the command line applied, and the run folder's state. */
export interface StartPlan {
  cfg: TrainConfig;
  /** continue the run in `runDir` */
  resume: boolean;
  runDir: string;
  /** the command whose run folder this is */
  command: 'train' | 'run';
  /** a resumed folder's run.json (or what its files say, for a folder from before manifests) */
  manifest: ReturnType<typeof readManifest> | null;
  /** lines for the log: what changes on resume */
  notes: string[];
}

/** What checkStartData found: the loaded data (close it) and the architecture the config describes for it. */
export interface StartData {
  data: DataSetup;
  arch: ArchState;
  /** with model.uniform_match: what `arch` was matched to (run.json's `matched`); null without */
  matched: MatchedArch | null;
  /** the fingerprints of the training and test data, for run.json */
  prints: { train: string; test: string };
}

/**
 * The checks of a start that need no data, writing nothing: the config with --epochs/--threads/
 * --device/--out/--resume applied, the device, the output folder (a file in its path, /proc, a new
 * run's folder not empty, a resumed one not a run folder of this command), and the resume rules.
 * `nasgrow validate` runs them as `train` and `run` do; `opts.data` false (its --no-data) leaves
 * data.path unchecked.
 * @throws ConfigError, UsageError, FolderError, RunFolderError (all exit 1).
 */
export function checkStart(args: TrainArgs, kind: 'train' | 'grow', opts: { data?: boolean } = {}): StartPlan {
  // '' would resolve to the working directory, which output.dir '' may not be either
  if (args.out === '') throw new UsageError('--out is empty: name the run folder, or leave --out out for output.dir of the config');
  if (args.resume === '') throw new UsageError('--resume is empty: name the run folder to continue');
  if (args.out !== undefined && args.resume !== undefined && path.resolve(args.out) !== path.resolve(args.resume)) {
    throw new UsageError(`--out ${args.out} and --resume ${args.resume} name different folders: --resume alone names the run folder`);
  }
  const cfg = loadConfig(args.config, { overrides: cliOverrides(args), checkDataPath: opts.data !== false });
  const resume = args.resume !== undefined;
  const runDir = cfg.output.dir;
  const command = kind === 'grow' ? 'run' : 'train';
  checkRunLayout(cfg, args.config, args.resume !== undefined ? '--resume' : args.out !== undefined ? '--out' : null);
  checkDevice(cfg.runtime.device);
  checkFolder(runDir, 'output.dir');
  checkRunFolder(runDir, resume);
  let manifest: ReturnType<typeof readManifest> | null = null;
  if (resume && fs.existsSync(runFolder(runDir).config)) {
    manifest = readManifest(runDir);
    if (manifest.command !== command) {
      throw new RunFolderError(`${runDir} is a run of \`nasgrow ${manifest.command}\`: resume it with \`nasgrow ${manifest.command} ${args.config} --resume ${args.resume}\``);
    }
  }
  const notes = resume ? checkResumable(cfg, runDir) : [];
  // epoch counts below what the run has done do not reach config.yaml (src/cli/shared/resume-plan.ts)
  const planned = resume ? planResume(kind, cfg, runDir, args.epochs !== undefined ? '--epochs' : args.config) : { cfg, notes: [] };
  return { cfg: planned.cfg, resume, runDir, command, manifest, notes: [...notes, ...planned.notes] };
}

/**
 * The checks of a start that need the data: both splits read and alike (setupData), the network the
 * config describes for them and whether it trains at the batch size; on resume, that the data and the
 * architecture are the run's; `check`, the command's own checks of the config against the seed
 * architecture (a baseline's reference run, ...). Lines about the data go to `log`. Writes nothing but
 * the data's own cache (data.cache_dir).
 * @throws ConfigError, DataError, RunFolderError (all exit 1), with the data closed.
 */
export async function checkStartData(
  plan: StartPlan,
  configFile: string,
  kind: 'train' | 'grow',
  log: (line: string) => void,
  check?: (cfg: TrainConfig, arch: ArchState) => void,
): Promise<StartData> {
  const { cfg, runDir, manifest } = plan;
  const data = await setupData(cfg, log);
  let arch: ArchState;
  let matched: ArchMatch | null;
  const prints = { train: fingerprint(data.train), test: fingerprint(data.test) };
  try {
    // with model.uniform_match, what the network was matched to is recorded and, on resume, compared
    ({ arch, matched } = resolveArchMatched(cfg, { inputShape: data.train.shape, classes: data.train.classes }));
    if (matched) log(matchLine(matched, arch, cfg.model.arch!));
    assertTrainable(arch, cfg.train.batch_size, kind, configFile);
    check?.(cfg, arch);
    if (manifest?.data) {
      for (const split of ['train', 'test'] as const) {
        if (prints[split] !== manifest.data[split]) {
          throw new RunFolderError(
            `cannot resume ${runDir}: the ${split} data now read from ${cfg.data.path} is not the data the run started with (fingerprint ${prints[split]}, the run's ${manifest.data[split]}): point data.path at the run's data, or start a new run`,
          );
        }
      }
      if ('arch' in manifest && JSON.stringify(manifest.arch) !== JSON.stringify(arch)) {
        throw new RunFolderError(`cannot resume ${runDir}: the architecture the config now describes is not the one the run started with (run.json): point model.arch at the run's, or start a new run`);
      }
      // two architectures can have the same uniform control: the one it was matched to says whose control
      // the run is (`nasgrow table` pairs it with that run), so a model.arch that moved must still be it
      if ('matched' in manifest && manifest.matched && JSON.stringify(manifest.matched.of) !== JSON.stringify(matched?.of ?? null)) {
        throw new RunFolderError(
          `cannot resume ${runDir}: its network is the uniform control of another architecture than ${cfg.model.arch ?? 'model.arch (not set now)'} (run.json's "matched"): point model.arch at the arch.json it was matched to, or start a new run`,
        );
      }
    }
  } catch (e) {
    await data.close();
    throw e;
  }
  return { data, arch, matched, prints };
}

/**
 * The log line that says what a uniform control was matched to: "model.uniform_match macs: width 27,
 * the narrowest uniform mobilenetv1 with at least the 2.43 MMAC per image of FILE (widths ...)".
 */
function matchLine(m: ArchMatch, arch: ArchState, file: string): string {
  const source = m.of;
  const [sourceMacs, sourceParams, archMacs, archParams] = [macCount(source), paramCount(source), macCount(arch), paramCount(arch)];
  const what = m.by === 'macs' ? `${(sourceMacs / 1e6).toFixed(2)} MMAC per image` : `${sourceParams.toLocaleString('en-US')} parameters`;
  // what the control has of each, against the architecture: a control matched by one is not by the other
  const macs = archMacs / sourceMacs;
  const params = archParams / sourceParams;
  const has = `${(archMacs / 1e6).toFixed(2)} MMAC (${macs.toFixed(2)}x) and ${archParams.toLocaleString('en-US')} parameters (${params.toFixed(2)}x)`;
  // one width step is a large step for a narrow network: the match can be far above its target
  const over = m.by === 'macs' ? macs : params;
  const coarse = over > MATCH_OVERSHOOT ? `; note: ${over.toFixed(2)}x the ${m.by === 'macs' ? 'MACs' : 'parameters'} it is matched to, as one step of uniform width is a large step at this size` : '';
  return `model.uniform_match ${m.by}: width ${arch.layers[0]!.width}, the narrowest uniform ${arch.family} with at least the ${what} of ${file} (widths ${source.layers.map((l) => l.width).join(',')}); it has ${has}${coarse}`;
}

/** Above this ratio of the matched quantity, a uniform control's log line says the match is coarse. */
const MATCH_OVERSHOOT = 1.1;

/**
 * Check everything (checkStart, then checkStartData), then lock and prepare the run folder and write
 * config.yaml. `kind`: the step graph whose memory need is checked ('grow' for `nasgrow run`);
 * `opts.quiet`: nothing on the terminal (train.log still gets every line); `opts.check`: the command's
 * own checks of the config against the seed architecture (throwing a ConfigError), run with the others
 * before the folder is touched.
 * @throws ConfigError, UsageError, DataError, FolderError, RunFolderError (all exit 1), before anything
 *   is written when the problem is in the input; UserError naming the file that cannot be written (a
 *   full disk), after deleting what this start wrote into a new run folder (PreparedRunFolder.undoStart).
 */
export async function startRun(args: TrainArgs, kind: 'train' | 'grow', opts: { quiet?: boolean; check?: (cfg: TrainConfig, arch: ArchState) => void } = {}): Promise<RunSession> {
  const plan = checkStart(args, kind);
  const { cfg, resume, runDir, command, notes } = plan;
  // a second writer is refused before it prints "resuming" and reads the data (the lock decides
  // later); not in checkStart, whose other callers (validate, a sweep's check of its points) write nothing
  if (resume) RunLock.assertFree(runDir);

  // Lines logged before the run folder exists reach train.log once it does.
  const early: string[] = [];
  let runLog: RunLog | null = null;
  const toRunLog = (line: string) => {
    if (runLog) runLog.write(line);
    else early.push(line);
  };
  // train.log gets everything printed: the log lines and every epoch's summary line
  const progress = new ProgressReporter({ onSummary: toRunLog, silent: opts.quiet });
  const log = (line: string) => {
    toRunLog(line);
    progress.log(line);
  };
  log(`nasgrow ${nasgrowVersion()}: ${resume ? 'resuming' : 'starting'} ${args.config} in ${runDir}`);
  for (const n of notes) log(n);
  const { data, arch, matched, prints } = await checkStartData(plan, args.config, kind, log, opts.check);

  const configYaml = renderConfigYaml(cfg, {
    relativeTo: runDir,
    header: [`resolved from ${args.config} by nasgrow ${nasgrowVersion()}; paths are relative to this folder`],
  });
  let run: RunSession['run'];
  try {
    // the NCHWc block decides the blocked kernels' summation order, so the numbers depend on it
    const hardware = hardwareInfo(cfg.runtime.device, cfg.runtime.threads, cfg.runtime.device === 'cpu' ? await nchwcBlockSize() : undefined);
    const before = plan.manifest && 'hardware' in plan.manifest ? plan.manifest.hardware?.nchwcBlock : undefined;
    if (before !== undefined && hardware.nchwcBlock !== undefined && before !== hardware.nchwcBlock) {
      log(`warning: ${runDir} started on a CPU whose NCHWc block is ${before} (run.json), this one's is ${hardware.nchwcBlock}: its kernels sum in another order here, so the rest of the run will not match an uninterrupted run on either CPU`);
    }
    run = prepareRunFolder(runDir, { resume, configYaml, log, manifest: { command, nasgrow: nasgrowVersion(), data: prints, arch, ...(matched && { matched }), hardware } });
  } catch (e) {
    await data.close();
    throw e;
  }
  try {
    runLog = new RunLog(run.log);
    for (const line of early) runLog.write(line);
  } catch (e) {
    // still a failed start (a full disk): a new run leaves no folder that would block the same command
    runLog = null;
    run.undoStart();
    await data.close();
    throw e;
  }
  const resumeHow = args.resumeHow ?? `\`nasgrow ${command} ${path.join(runDir, 'config.yaml')} --resume ${runDir}\``;
  return { command, resumeHow, cfg, run, resume, data, arch, source: args.config, log, progress };
}

/**
 * Check where a run writes, beyond what the config schema checks (validate, train and run): that the
 * run folder is not the default of a config file whose name gives no folder name (`.yaml` would put
 * its run in runs/ itself, among the other runs), and that data.cache_dir is not the run folder or
 * inside it. `outFlag`: the flag that set output.dir (--out, --resume), or null when the config did.
 * @throws ConfigError naming the config file and output.dir (and data.cache_dir).
 */
export function checkRunLayout(cfg: TrainConfig, configFile: string, outFlag: string | null): void {
  const name = configName(configFile);
  const nameless = name === '' || name === '.' || name === '..';
  // output.dir equal to runs/<config name> of a nameless file is its default (a config that sets it
  // to exactly that folder is refused too, with the same advice)
  if (outFlag === null && nameless && path.resolve(cfg.output.dir) === path.resolve(process.cwd(), 'runs', name)) {
    throw new ConfigError([
      {
        source: configFile,
        key: 'output.dir',
        problem: `is not set, and the file name ${JSON.stringify(path.basename(configFile))} gives no run folder name (its default, runs/<config name>, would be ${cfg.output.dir} itself): set output.dir, give --out DIR, or rename the file`,
      },
    ]);
  }
  // The decode cache serves every run of the same data, and is written before the run folder is
  // made (validate writes it too): inside a run folder it made the folder "not empty" for the run's
  // own start, and it would go wherever that one run goes (deleted, moved, archived) with the
  // cache of every other run.
  const cache = cfg.data.cache_dir;
  if (cache !== null && isInside(cache, cfg.output.dir)) {
    const out = path.resolve(cfg.output.dir);
    throw new ConfigError([
      {
        source: configFile,
        key: 'data.cache_dir',
        problem: `${cache} is ${path.resolve(cache) === out ? '' : 'inside '}output.dir ${out}${outFlag ? ` (from ${outFlag})` : ''}, the run folder, which holds one run's files; the cache serves every run of the data: put it beside the run folders (e.g. ${path.join(path.dirname(out), '.cache')}), or set data.cache_dir to null`,
      },
    ]);
  }
}

/** Whether `p` is the folder `dir` or lies inside it (by their absolute paths). */
function isInside(p: string, dir: string): boolean {
  const rel = path.relative(path.resolve(dir), path.resolve(p));
  return rel === '' || (rel !== '..' && !rel.startsWith('..' + path.sep) && !path.isAbsolute(rel));
}

/**
 * Run a command's work in its session: an error is written into train.log (the terminal gets it from
 * the CLI's error handler) before it goes on; the data loaders are closed and the run folder's lock
 * released either way. SIGINT (Ctrl-C) and SIGTERM (kill, SLURM's scancel and time limit) end the
 * process with 130 and 143 as they would, after a last train.log line saying so and how to resume,
 * and with the lock released: a killed run's train.log otherwise ends at its last epoch line, as if it
 * were still running. What the run saved before is kept (it resumes after its last completed phase
 * or epoch); nothing is half written, since every write is synchronous and whole (src/util/atomic-write.ts)
 * and the handler runs between them.
 */
export async function inSession<T>(session: RunSession, work: () => Promise<T>): Promise<T> {
  const interrupted = (signal: NodeJS.Signals) => {
    try {
      session.log(`interrupted by ${signal}: ${session.resumeHow} continues from the last completed ${session.command === 'run' ? 'phase or epoch' : 'epoch'} (from the start if there is none)`);
    } catch {
      /* the log itself failed (a full disk): the exit status still says a signal ended the run */
    }
    session.run.lock.release();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.on('SIGINT', interrupted);
  process.on('SIGTERM', interrupted);
  try {
    return await work();
  } catch (e) {
    try {
      session.log(`stopped: ${(e as Error)?.message ?? String(e)}`);
    } catch {
      /* the log itself failed (a full disk): the error handler still reports the original error */
    }
    throw e;
  } finally {
    process.removeListener('SIGINT', interrupted);
    process.removeListener('SIGTERM', interrupted);
    await session.data.close();
    session.run.lock.release();
  }
}

function cliOverrides(args: TrainArgs): Override[] {
  const o: Override[] = [...(args.overrides ?? [])];
  if (args.epochs !== undefined) o.push({ key: 'train.epochs', value: args.epochs, origin: '--epochs' });
  if (args.threads !== undefined) o.push({ key: 'runtime.threads', value: args.threads, origin: '--threads' });
  if (args.device !== undefined) o.push({ key: 'runtime.device', value: args.device, origin: '--device' });
  // absolute, so that the folder is relative to the working directory, not to the config file
  if (args.resume !== undefined) o.push({ key: 'output.dir', value: path.resolve(args.resume), origin: '--resume' });
  else if (args.out !== undefined) o.push({ key: 'output.dir', value: path.resolve(args.out), origin: '--out' });
  return o;
}

/**
 * A run may be resumed only with the config it was started with, up to RESUMABLE_CHANGES and a lower
 * train.lr (the advice after a diverged run: resume from the last good checkpoint at a lower rate).
 * Returns notes for the log about what changed.
 * @throws UsageError listing every other key that differs, with both values.
 */
export function checkResumable(cfg: TrainConfig, runDir: string): string[] {
  const saved = runFolder(runDir).config;
  let before: TrainConfig;
  try {
    before = loadConfig(saved, { checkPaths: false, cwd: runDir });
  } catch (err) {
    if (err instanceof ConfigError && err.problems.every((p) => p.problem.startsWith('config file not found'))) return []; // prepareRunFolder explains
    throw err;
  }
  const notes: string[] = [];
  const changes = diffConfigs(before, cfg).filter((d) => {
    // changed epoch counts are noted by planResume, which knows whether they take effect
    if (RESUMABLE_CHANGES.includes(d.key)) return false;
    if (d.key === 'train.lr' && (d.after as number) < (d.before as number)) {
      notes.push(`train.lr lowered from ${inlineYaml(d.before)} to ${inlineYaml(d.after)} on resume: the epochs from here on run at the lower rate`);
      return false;
    }
    return true;
  });
  if (changes.length > 0) {
    const list = changes.map((d) => `  ${d.key}: ${inlineYaml(d.before)} in the run, ${inlineYaml(d.after)} now`);
    throw new UsageError(
      [
        `cannot resume ${runDir}: the config differs from the one the run started with`,
        ...list,
        `only ${RESUMABLE_CHANGES.join(', ')} may change on resume, and train.lr may be lowered; start a new run with --out DIR instead`,
      ].join('\n'),
    );
  }
  return notes;
}

/** The closing lines: epochs, parameters, time, last training and test numbers, last checkpoint. */
export function summaryLines(s: TrainSummary): string[] {
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  const epochs = plural(s.epochs, s.phases === undefined ? 'epoch' : 'retraining epoch');
  const work = s.phases === undefined ? `${epochs} in the run` : `${plural(s.phases, 'growing cycle')} and ${epochs}`;
  const lines = [`done: ${work}, ${s.params.toLocaleString('en-US')} parameters, ${s.seconds.toFixed(1)} s in this session`];
  if (s.train) lines.push(`  train: loss ${s.train.loss.toFixed(4)}, accuracy ${pct(s.train.accuracy)}`);
  if (s.test) lines.push(`  test:  loss ${s.test.loss.toFixed(4)}, accuracy ${pct(s.test.accuracy)} (error ${pct(1 - s.test.accuracy)})`);
  if (s.checkpoint) lines.push(`  checkpoint: ${s.checkpoint}`);
  return lines;
}

/**
 * Write the run folder's report.html (src/cli/report/report.ts) once the work is done. The result is
 * already on disk by then, so a page that cannot be written costs a warning in the log (with the
 * command that writes it later), not the run's exit status.
 */
export async function writeReportPage(session: RunSession): Promise<void> {
  try {
    const { writeRunReport } = await import('../report/report');
    const file = await writeRunReport(session.run.dir);
    session.log(`report: ${file}`);
  } catch (e) {
    session.log(`warning: report.html not written (${(e as Error)?.message ?? String(e)}); \`nasgrow report ${session.run.dir}\` writes it`);
  }
}
