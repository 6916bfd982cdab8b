// What a resume does with epoch counts that differ from the run's (train.epochs, grow.retrain_epochs,
// grow.uniform_baseline), decided before anything is written, so that config.yaml never claims a value
// that did not take effect:
//
//   - a count below the epochs already trained cannot take effect. A finished run has nothing to do:
//     its config.yaml keeps the run's value and the summary reports the epochs actually trained. A run
//     that stopped partway is refused (exit 1), naming the epochs done and the counts it can resume with.
//   - grow.uniform_baseline turned off on a finished run whose report holds the baseline: nothing to
//     do, config.yaml keeps true.
//   - a `nasgrow run` folder whose progress.json is lost but that holds work after phase 1 is refused
//     (checkProgressFile): without it the resume would redo the phases and lose records.
//   - any other change takes effect. The cosine schedule depends on the total number of epochs, so when
//     epochs already trained ran at other rates than the new total gives them (typically: a finished
//     run extended after its lr reached the end of its schedule), the result differs from an
//     uninterrupted run of the new length, and a warning says so, naming the key. (The step and
//     constant schedules do not depend on the total: extending them gives the uninterrupted result.)
//   - every checkpoint the resume will load is read and its checksum verified first (verifyCheckpoints):
//     a damaged one is refused while the folder still holds what it held, the earlier result of a
//     finished run included (extending one removes its report and infer.onnx before training on).
import * as fs from 'fs';
import * as path from 'path';
import { ConfigError, inlineYaml, loadConfig, retrainEpochs, TrainConfig } from '../../config';
import { latestCheckpoint, loadCheckpoint } from '../../models/checkpoint';
import { phaseDir, readRunProgress, RunFolderError, runFolder } from '../../report';
import { lrAt, scheduleOf } from '../../train/schedule';
import { UsageError } from '../errors';

/** The config a resume runs with and config.yaml records, and lines for the log about what changed. */
export interface ResumePlan {
  cfg: TrainConfig;
  notes: string[];
}

/** The config run folder `runDir` holds, or null when it has none (prepareRunFolder explains). */
function savedConfig(runDir: string): TrainConfig | null {
  try {
    return loadConfig(runFolder(runDir).config, { checkPaths: false, cwd: runDir });
  } catch (err) {
    if (err instanceof ConfigError && err.problems.every((p) => p.problem.startsWith('config file not found'))) return null;
    throw err;
  }
}

const fmt = (lr: number) => Number(lr.toPrecision(3)).toString();

/**
 * A warning when the `done` epochs already trained on the run's schedule over `had` epochs ran at
 * other rates than a schedule over `want` epochs gives them (cosine), so that the result differs from
 * an uninterrupted run of `want` epochs; null when they are the same. Both schedules are the saved
 * config's, so that a train.lr lowered on this resume (noted on its own) does not count.
 */
function scheduleWarning(key: string, saved: TrainConfig, cfg: TrainConfig, had: number, want: number, done: number): string | null {
  const before = scheduleOf(saved, had);
  const after = scheduleOf(saved, want);
  const differs = Array.from({ length: done }, (_, e) => e).some((e) => lrAt(before, e) !== lrAt(after, e));
  if (!differs) return null;
  const ended = done >= before.epochs ? `, which they had completed (the last at lr ${fmt(lrAt(before, done - 1))})` : '';
  return (
    `warning: ${key} changed from ${before.epochs} to ${after.epochs} after ${done} epochs: those ran on the ${before.epochs}-epoch ${before.kind} schedule${ended}, ` +
    `not the ${after.epochs}-epoch one, and the next runs at lr ${fmt(lrAt(scheduleOf(cfg, want), done))}; so the result differs from an uninterrupted ${after.epochs}-epoch run ` +
    `(the cosine rate of each epoch depends on the total): for that, start a new run with --out`
  );
}

/**
 * The resume rules of the file comment for run folder `runDir` of `nasgrow train` (kind 'train') or
 * `nasgrow run` ('grow'), with `cfg` the config as the command line gives it (already checked by
 * checkResumable) and `epochsFrom` where train.epochs came from ('--epochs' or the config file).
 * @throws UsageError when a count is below the epochs a stopped run has trained.
 */
export function planResume(kind: 'train' | 'grow', cfg: TrainConfig, runDir: string, epochsFrom: string): ResumePlan {
  const saved = savedConfig(runDir);
  if (!saved) return { cfg, notes: [] };
  const plan = kind === 'train' ? planTrain(cfg, saved, runDir, epochsFrom) : planGrow(cfg, saved, runDir);
  verifyCheckpoints(kind, plan.cfg, runDir);
  return plan;
}

/**
 * What the error of a damaged phase state `n` tells the user to do: redo that phase from the state
 * before it (`progressFile`: the run's progress.json).
 */
export function phaseStateRemedy(progressFile: string, n: number): string {
  return `to redo phase ${n} from the state before it, set "completedPhases" to ${n - 1} in ${progressFile} and resume, or start a new run`;
}

/**
 * Read every checkpoint the resume of `runDir` with `cfg` will load, verifying its checksum, before
 * anything is written: `nasgrow train`'s last checkpoint; for `nasgrow run`, the state after the last
 * completed phase and, once every phase is done, the last checkpoints of the retraining and of the
 * uniform baseline (when `cfg` trains one). Warnings (a file without checksum) are left to the load
 * that uses the file.
 * @throws CheckpointError (exit 1) naming the damaged file and what to do (the remedy the later load
 *   would give).
 */
function verifyCheckpoints(kind: 'train' | 'grow', cfg: TrainConfig, runDir: string): void {
  const quiet = { warn: () => {} };
  if (kind === 'train') {
    const ckpt = latestCheckpoint(runFolder(runDir).checkpoints);
    if (ckpt) loadCheckpoint(ckpt.file, quiet);
    return;
  }
  const progressFile = path.join(runDir, 'progress.json');
  if (!fs.existsSync(progressFile)) return;
  const n = readRunProgress(progressFile).completedPhases;
  if (n > 0) {
    const state = path.join(phaseDir(runDir, n), 'state.safetensors');
    loadCheckpoint(state, { ...quiet, remedy: phaseStateRemedy(progressFile, n) });
  }
  if (n < cfg.grow.cycles) return;
  for (const folder of ['retrain', ...(cfg.grow.uniform_baseline ? ['uniform-baseline'] : [])]) {
    const ckpt = latestCheckpoint(path.join(runDir, folder, 'checkpoints'));
    if (ckpt) loadCheckpoint(ckpt.file, quiet);
  }
}

function planTrain(cfg: TrainConfig, saved: TrainConfig, runDir: string, epochsFrom: string): ResumePlan {
  const want = cfg.train.epochs;
  const had = saved.train.epochs;
  if (want === had) return { cfg, notes: [] };
  const ckpt = latestCheckpoint(runFolder(runDir).checkpoints);
  const done = ckpt?.epoch ?? 0;
  if (want < done) {
    if (done >= had) {
      return {
        cfg: { ...cfg, train: { ...cfg.train, epochs: done } },
        notes: [`train.epochs ${want} (from ${epochsFrom}) is fewer than the ${done} epochs this finished run has trained: nothing to train; config.yaml keeps train.epochs ${done}`],
      };
    }
    throw new UsageError(
      `cannot resume ${runDir} with train.epochs ${want} (from ${epochsFrom}): the run has trained ${done} epochs already (${path.relative(runDir, ckpt!.file)}), and a run cannot be shortened below them: ` +
        `resume with --epochs ${had} (the run's train.epochs) or any number from ${done} up, or start a new run with --out`,
    );
  }
  const notes = [`train.epochs changed from ${had} to ${want} on resume`];
  const warning = scheduleWarning('train.epochs', saved, cfg, had, want, done);
  if (warning) notes.push(warning);
  return { cfg, notes };
}

/**
 * progress.json is written after phase 1; a run folder without it holds at most phase 1's work (a run
 * killed in its first phase), which a resume redoes. Anything later means the file was lost: resuming
 * would redo every phase, drop the records of the retraining and baseline, and then take their
 * checkpoints as trained.
 * @throws RunFolderError naming progress.json and what to write into it.
 */
function checkProgressFile(runDir: string): void {
  if (fs.existsSync(path.join(runDir, 'progress.json'))) return;
  const phases = fs.existsSync(path.join(runDir, 'phases')) ? fs.readdirSync(path.join(runDir, 'phases')).filter((f) => /^phase-\d+$/.test(f) && f !== 'phase-01') : [];
  const later = [...phases.sort().map((f) => path.join('phases', f)), ...['retrain', 'uniform-baseline', 'report.json'].filter((f) => fs.existsSync(path.join(runDir, f)))];
  if (later.length === 0) return;
  let n = 0;
  while (fs.existsSync(path.join(phaseDir(runDir, n + 1), 'state.safetensors'))) n++;
  throw new RunFolderError(
    `cannot resume ${runDir}: its progress.json is missing, but the folder holds the work of later steps (${later.join(', ')}); resuming without it would redo the phases and lose the retraining's records. ` +
      `Restore progress.json, or write it as {"completedPhases": ${n}, "retrainDone": false, "seconds": 0} (${n}: the phases/phase-NN folders from phase-01 on that hold a state.safetensors) and resume, or start a new run`,
  );
}

function planGrow(cfg: TrainConfig, saved: TrainConfig, runDir: string): ResumePlan {
  checkProgressFile(runDir);
  const g = cfg.grow;
  const notes: string[] = [];
  if (cfg.train.epochs !== saved.train.epochs) notes.push(`train.epochs changed from ${saved.train.epochs} to ${cfg.train.epochs} on resume (nasgrow run does not use it)`);
  // (cycles and phase_epochs cannot change on resume: null means the same count in both)
  const want = retrainEpochs(g);
  const had = retrainEpochs(saved.grow);
  const progress = readRunProgress(path.join(runDir, 'progress.json'));
  const phasesDone = progress.completedPhases >= g.cycles;
  // as growFromConfig counts them: the retraining and baseline epochs up to their last checkpoints
  const doneIn = (folder: string) => (phasesDone ? (latestCheckpoint(path.join(runDir, folder, 'checkpoints'))?.epoch ?? 0) : 0);
  const done = Math.max(doneIn('retrain'), saved.grow.uniform_baseline || g.uniform_baseline ? doneIn('uniform-baseline') : 0);
  // as growFromConfig decides it: a resume that extended the run removed its report.json
  const finished = progress.retrainDone && phasesDone && fs.existsSync(path.join(runDir, 'report.json'));
  let effective = cfg;
  if (want !== had) {
    if (want < done) {
      if (!finished) {
        throw new UsageError(
          `cannot resume ${runDir} with grow.retrain_epochs ${want}: the run has retrained ${done} epochs already, and the retraining cannot be shortened below them: ` +
            `resume with grow.retrain_epochs ${inlineYaml(saved.grow.retrain_epochs)} (the run's) or any number from ${done} up, or start a new run with --out`,
        );
      }
      effective = { ...effective, grow: { ...effective.grow, retrain_epochs: saved.grow.retrain_epochs } };
      notes.push(`grow.retrain_epochs ${want} is fewer than the ${done} epochs this finished run has retrained: nothing to retrain; config.yaml keeps grow.retrain_epochs ${inlineYaml(saved.grow.retrain_epochs)}`);
    } else {
      notes.push(`grow.retrain_epochs changed from ${inlineYaml(saved.grow.retrain_epochs)} to ${inlineYaml(g.retrain_epochs)} on resume`);
      const warning = scheduleWarning('grow.retrain_epochs', saved, cfg, had, want, done);
      if (warning) notes.push(warning);
    }
  }
  if (g.uniform_baseline !== saved.grow.uniform_baseline) {
    const retrainsAgain = retrainEpochs(effective.grow) !== had;
    if (!g.uniform_baseline && finished && had > 0 && !retrainsAgain) {
      effective = { ...effective, grow: { ...effective.grow, uniform_baseline: true } };
      notes.push('grow.uniform_baseline false: this finished run has trained its uniform baseline, and its report.json holds it: nothing to undo; config.yaml keeps grow.uniform_baseline true');
    } else {
      notes.push(`grow.uniform_baseline changed from ${saved.grow.uniform_baseline} to ${g.uniform_baseline} on resume`);
    }
  }
  return { cfg: effective, notes };
}
