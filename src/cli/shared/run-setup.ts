// What `nasgrow train` and `nasgrow run` share before and after their work: the config with the
// command-line overrides, the resume check, the run folder (config.yaml, train.log), the log and the
// progress display, and the closing summary.
import * as path from 'path';
import { ConfigError, Override, TrainConfig, diffConfigs, inlineYaml, loadConfig, renderConfigYaml } from '../../config';
import { ProgressReporter, RunFolder, RunLog, prepareRunFolder, runFolder } from '../../report';
import { UsageError } from '../errors';
import { nasgrowVersion } from '../version';

/** The command line of `nasgrow train` and `nasgrow run` (src/cli/train/command-object.ts, src/cli/run/command-object.ts). */
export interface TrainArgs {
  config: string;
  out?: string;
  resume?: string;
  epochs?: number;
  threads?: number;
  device?: 'cpu' | 'cuda';
  verbose?: boolean;
}

/** Keys that may change when a run is resumed (they do not change what is being trained). */
const RESUMABLE_CHANGES = ['train.epochs', 'train.eval_every', 'train.checkpoint_every', 'runtime.device', 'runtime.threads', 'data.cache_dir', 'output.dir'];

/** A run about to start or resume: its config, folder, log and progress display. */
export interface RunSession {
  cfg: TrainConfig;
  run: RunFolder;
  /** continue the run in `run.dir` (it already holds that run) */
  resume: boolean;
  /** one line for the user and for <run>/train.log */
  log: (line: string) => void;
  /** per-epoch progress on stderr */
  progress: ProgressReporter;
}

/** What a training command reports at the end (`nasgrow run`: its retraining). */
export interface TrainSummary {
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

/**
 * Load and check the config (with --epochs/--threads/--device/--out/--resume applied), check that a
 * resumed run keeps its config, create or check the run folder and write config.yaml.
 * @throws ConfigError, UsageError, RunFolderError (all exit 1) before anything is written.
 */
export function startRun(args: TrainArgs): RunSession {
  if (args.out !== undefined && args.resume !== undefined && path.resolve(args.out) !== path.resolve(args.resume)) {
    throw new UsageError(`--out ${args.out} and --resume ${args.resume} name different folders: --resume alone names the run folder`);
  }
  const cfg = loadConfig(args.config, { overrides: cliOverrides(args) });
  const resume = args.resume !== undefined;
  const runDir = cfg.output.dir;
  if (resume) checkResumable(cfg, runDir);
  const configYaml = renderConfigYaml(cfg, {
    relativeTo: runDir,
    header: [`resolved from ${args.config} by nasgrow ${nasgrowVersion()}; paths are relative to this folder`],
  });
  const run = prepareRunFolder(runDir, { resume, configYaml });
  const runLog = new RunLog(run.log);
  const progress = new ProgressReporter();
  const log = (line: string) => {
    runLog.write(line);
    progress.log(line);
  };
  log(`nasgrow ${nasgrowVersion()}: ${resume ? 'resuming' : 'starting'} ${args.config} in ${run.dir}`);
  return { cfg, run, resume, log, progress };
}

function cliOverrides(args: TrainArgs): Override[] {
  const o: Override[] = [];
  if (args.epochs !== undefined) o.push({ key: 'train.epochs', value: args.epochs, origin: '--epochs' });
  if (args.threads !== undefined) o.push({ key: 'runtime.threads', value: args.threads, origin: '--threads' });
  if (args.device !== undefined) o.push({ key: 'runtime.device', value: args.device, origin: '--device' });
  // absolute, so that the folder is relative to the working directory, not to the config file
  if (args.resume !== undefined) o.push({ key: 'output.dir', value: path.resolve(args.resume), origin: '--resume' });
  else if (args.out !== undefined) o.push({ key: 'output.dir', value: path.resolve(args.out), origin: '--out' });
  return o;
}

/**
 * A run may be resumed only with the config it was started with (up to RESUMABLE_CHANGES).
 * @throws UsageError listing every key that differs, with both values.
 */
export function checkResumable(cfg: TrainConfig, runDir: string): void {
  const saved = runFolder(runDir).config;
  let before: TrainConfig;
  try {
    before = loadConfig(saved, { checkPaths: false, cwd: runDir });
  } catch (err) {
    if (err instanceof ConfigError && err.problems.every((p) => p.problem.startsWith('config file not found'))) return; // prepareRunFolder explains
    throw err;
  }
  const changes = diffConfigs(before, cfg).filter((d) => !RESUMABLE_CHANGES.includes(d.key));
  if (changes.length > 0) {
    const list = changes.map((d) => `  ${d.key}: ${inlineYaml(d.before)} in the run, ${inlineYaml(d.after)} now`);
    throw new UsageError(
      [
        `cannot resume ${runDir}: the config differs from the one the run started with`,
        ...list,
        `only ${RESUMABLE_CHANGES.join(', ')} may change on resume; start a new run with --out DIR instead`,
      ].join('\n'),
    );
  }
}

/** The closing lines: epochs, parameters, time, last training and test numbers, last checkpoint. */
export function summaryLines(s: TrainSummary): string[] {
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  const lines = [`done: ${s.epochs} epoch${s.epochs === 1 ? '' : 's'} in the run, ${s.params.toLocaleString('en-US')} parameters, ${s.seconds.toFixed(1)} s in this session`];
  if (s.train) lines.push(`  train: loss ${s.train.loss.toFixed(4)}, accuracy ${pct(s.train.accuracy)}`);
  if (s.test) lines.push(`  test:  loss ${s.test.loss.toFixed(4)}, accuracy ${pct(s.test.accuracy)} (error ${pct(1 - s.test.accuracy)})`);
  if (s.checkpoint) lines.push(`  checkpoint: ${s.checkpoint}`);
  return lines;
}
