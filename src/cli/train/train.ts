// `nasgrow train`: validate the config, prepare the run folder, hand over to the trainer.
import * as path from 'path';
import { ConfigError, Override, TrainConfig, diffConfigs, inlineYaml, loadConfig, renderConfigYaml } from '../../config';
import { ProgressReporter, RunLog, prepareRunFolder, runFolder } from '../../report';
import { RunCommandModule, TrainCommandModule, TrainSummary, loadImplementation } from '../contracts';
import { UsageError } from '../errors';
import { nasgrowVersion } from '../version';
import type { TrainArgs } from './command-object';

/** Keys that may change when a run is resumed (they do not change what is being trained). */
const RESUMABLE_CHANGES = ['train.epochs', 'train.eval_every', 'train.checkpoint_every', 'runtime.device', 'runtime.threads', 'data.cache_dir', 'output.dir'];

export async function runTrain(args: TrainArgs, command: 'train' | 'run' = 'train'): Promise<void> {
  if (args.out !== undefined && args.resume !== undefined && path.resolve(args.out) !== path.resolve(args.resume)) {
    throw new UsageError(`--out ${args.out} and --resume ${args.resume} name different folders: --resume alone names the run folder`);
  }
  const cfg = loadConfig(args.config, { overrides: cliOverrides(args) });
  const resume = args.resume !== undefined;
  const runDir = cfg.output.dir;

  // Load the trainer before touching the run folder: a missing build must not leave an empty run.
  const trainer: TrainCommandModule =
    command === 'train'
      ? loadImplementation<TrainCommandModule>(() => require('../../train/train-command'), 'src/train/train-command', 'trainFromConfig')
      : { trainFromConfig: loadImplementation<RunCommandModule>(() => require('../../grow/run-command'), 'src/grow/run-command', 'runFromConfig').runFromConfig };

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
  const summary = await trainer.trainFromConfig(cfg, run.dir, { resume, log, progress });
  for (const line of summaryLines(summary)) log(line);
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

/** A run may be resumed only with the config it was started with (up to RESUMABLE_CHANGES). */
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

export function summaryLines(s: TrainSummary): string[] {
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  const lines = [`done: ${s.epochs} epoch${s.epochs === 1 ? '' : 's'} in the run, ${s.params.toLocaleString('en-US')} parameters, ${s.seconds.toFixed(1)} s in this session`];
  if (s.train) lines.push(`  train: loss ${s.train.loss.toFixed(4)}, accuracy ${pct(s.train.accuracy)}`);
  if (s.test) lines.push(`  test:  loss ${s.test.loss.toFixed(4)}, accuracy ${pct(s.test.accuracy)} (error ${pct(1 - s.test.accuracy)})`);
  if (s.checkpoint) lines.push(`  checkpoint: ${s.checkpoint}`);
  return lines;
}
