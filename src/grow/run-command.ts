// `nasgrow run CONFIG`: the paper's method end to end.
//
//   for each cycle: a training phase (SGD, `phase_epochs` epochs, the lr schedule counting training
//   epochs across phases), then a growing phase (θ by Adam on the Gauss-Newton objective, estimates
//   averaged over mini-batches), then selection and the rewrite of architecture + weights + momentum;
//   finally the found architecture is re-initialised and retrained from scratch.
//
// Run folder:
//   phases/phase-XX/  arch.json, graphs (train, grow, eval, infer .onnx), estimates.csv (one row per
//                     channel: estimates, resource change, decision), state.safetensors (the model
//                     after this phase's morphisms were applied)
//   metrics.jsonl/.csv  one record per epoch (phase, kind train|grow|retrain)
//   progress.json     the last completed phase; --resume restarts after it
//   retrain/          the from-scratch training of the final architecture (with its own checkpoints)
//   uniform-baseline/ with grow.uniform_baseline: the same for a uniform-width seed of ≥ the parameters
//   report.json, arch.json  the final result
import * as fs from 'fs';
import * as path from 'path';
import { resolveArch, TrainConfig } from '../config';
import type { TrainOptions, TrainSummary } from '../cli/contracts';
import { ArchState, seedArch } from '../models/arch';
import { macCount, paramCount } from '../models/params';
import { MetricsWriter, runFolder, writeJsonFile } from '../report';
import { DataSetup, setupData, writeNormalization } from '../train/data-setup';
import type { RuntimeOptions } from '../runtime/session';
import { Engine } from '../train/engine';
import { evaluate, trainEpoch } from '../train/loop';
import { freshModelState, loadCheckpoint, ModelState, saveCheckpoint } from '../train/model-state';
import { lrAt } from '../train/schedule';
import { writeArchGraphs } from '../train/write-graphs';
import { latestCheckpoint, scheduleOf, sgdOf } from '../train/train-command';
import { GrowEngine } from './grow-engine';
import { growData } from './grow-data';
import { growPhase } from './phases';
import { initTheta } from './theta';
import { applyMorphisms, Morphism, selectMorphisms, Decision } from '../morphisms';
import { Estimates } from './estimates';

interface Progress {
  /** phases whose morphisms have been applied and whose state is saved */
  completedPhases: number;
  retrainDone: boolean;
  seconds: number;
}

const phaseDir = (dir: string, k: number) => path.join(dir, 'phases', `phase-${String(k).padStart(2, '0')}`);

function readProgress(file: string): Progress {
  if (!fs.existsSync(file)) return { completedPhases: 0, retrainDone: false, seconds: 0 };
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Progress;
}

function estimatesCsv(arch: ArchState, estimates: Estimates, decisions: Decision[]): string {
  const rows = ['layer,channel,split_dl,prune_dl,chosen,delta_params,margin,applied,reason'];
  const byKey = new Map(decisions.map((d) => [`${d.layer}/${d.channel}`, d]));
  for (const layer of arch.layers) {
    const e = estimates.get(layer.name)!;
    for (let c = 0; c < layer.width; c++) {
      const d = byKey.get(`${layer.name}/${c}`);
      rows.push([layer.name, c, e.split[c], e.prune[c], d?.kind ?? '', d?.deltaParams ?? '', d?.margin ?? '', d?.applied ? 1 : 0, d?.reason ?? ''].join(','));
    }
  }
  return rows.join('\n') + '\n';
}

export async function runFromConfig(cfg: TrainConfig, runDir: string, opts: TrainOptions): Promise<TrainSummary> {
  const started = performance.now();
  const run = runFolder(runDir);
  const progressFile = path.join(run.dir, 'progress.json');
  const progressState = opts.resume ? readProgress(progressFile) : { completedPhases: 0, retrainDone: false, seconds: 0 };
  const secondsBefore = progressState.seconds; // wall time of earlier invocations of this run
  const data = await setupData(cfg, opts.log);
  writeNormalization(run.dir, data.normalization);
  const grownData = growData(data, cfg.train.batch_size, cfg.grow.estimate === 'final' ? cfg.grow.final_batches : 0, cfg.seed);
  if (cfg.grow.estimate === 'final') {
    opts.log(grownData.heldOutLoader ? `final pass on ${grownData.heldOut} training images held out from θ learning` : 'final pass on training batches (the training set is too small to hold any out)');
  }
  const runtime = { device: cfg.runtime.device, threads: cfg.runtime.threads };
  const hyper = sgdOf(cfg);
  const g = cfg.grow;
  const totalTrainEpochs = g.cycles * g.phase_epochs;
  const schedule = { ...scheduleOf(cfg), epochs: totalTrainEpochs };
  const emaWeight = g.ema_weight === 'auto' ? cfg.train.batch_size / (2 * data.trainLoader.size) : g.ema_weight;
  const metrics = new MetricsWriter(run.dir);
  metrics.retain((r) => typeof r.phase === 'number' && r.phase < progressState.completedPhases);

  let state: ModelState;
  if (progressState.completedPhases > 0) {
    state = loadCheckpoint(path.join(phaseDir(run.dir, progressState.completedPhases - 1), 'state.safetensors')).state;
    opts.log(`resuming after phase ${progressState.completedPhases} of ${g.cycles}`);
  } else {
    state = freshModelState(resolveArch(cfg, { inputShape: data.train.shape, classes: data.train.classes }), cfg.seed);
  }

  for (let k = progressState.completedPhases; k < g.cycles; k++) {
    const dir = phaseDir(run.dir, k);
    const arch = state.arch;
    writeArchGraphs(dir, state, cfg.train.batch_size, hyper, data.normalization, { granularity: g.granularity });
    opts.log(`phase ${k + 1}/${g.cycles}: ${arch.layers.map((l) => l.width).join(',')} — ${paramCount(arch).toLocaleString('en-US')} parameters`);

    const engine = await Engine.create(arch, cfg.train.batch_size, hyper, runtime);
    try {
      for (let e = 0; e < g.phase_epochs; e++) {
        const epoch = k * g.phase_epochs + e;
        const lr = lrAt(schedule, epoch);
        const r = await trainEpoch(engine, state, data.trainLoader, epoch, lr, opts.progress, `phase ${k + 1} train ${e + 1}/${g.phase_epochs}`);
        const record: Record<string, number | string | null> = { phase: k, kind: 'train', epoch: epoch + 1, lr, loss: r.loss, acc: r.accuracy, seconds: r.seconds, params: paramCount(arch), test_loss: null, test_acc: null };
        if (e === g.phase_epochs - 1) {
          const t = await evaluate(engine, state, data.testLoader);
          record.test_loss = t.loss;
          record.test_acc = t.accuracy;
          opts.log(`phase ${k + 1}: train loss ${r.loss.toFixed(4)}, test accuracy ${(100 * t.accuracy).toFixed(2)}%`);
        }
        metrics.write(record);
      }
    } finally {
      await engine.release();
    }

    const growEngine = await GrowEngine.create(arch, cfg.train.batch_size, g.granularity, runtime);
    const theta = initTheta(arch, state.params, g.theta_init_scale, cfg.seed, k);
    let grown;
    try {
      grown = await growPhase(
        growEngine,
        state,
        theta,
        grownData.growLoader,
        {
          epochs: g.phase_epochs,
          // growing epochs get their own shuffles: offset past every training epoch
          epochOffset: totalTrainEpochs + k * (g.phase_epochs + 1),
          thetaLr: g.theta_lr,
          emaWeight,
          estimate: g.estimate,
          maxSteps: g.theta_steps,
          thetaMaxNorm: g.theta_max_norm,
          finalLoader: grownData.finalLoader,
          finalBatches: grownData.finalBatches,
        },
        opts.progress,
        `phase ${k + 1} grow`,
      );
    } finally {
      await growEngine.release();
    }
    metrics.write({ phase: k, kind: 'grow', epoch: null, lr: g.theta_lr, loss: grown.loss, acc: null, seconds: grown.seconds, params: paramCount(arch), test_loss: null, test_acc: null });

    const decisions = selectMorphisms(arch, grown.estimates, { lambdaP: g.lambda_p, lambdaF: g.lambda_f, topFraction: g.top_fraction, minWidth: g.min_width });
    fs.writeFileSync(path.join(dir, 'estimates.csv'), estimatesCsv(arch, grown.estimates, decisions));
    const morphisms: Morphism[] = decisions
      .filter((d) => d.applied)
      .map((d) => {
        if (d.kind === 'prune') return { kind: 'prune', layer: d.layer, channel: d.channel };
        const th = theta.theta.get(d.layer)!;
        const row = th.length / arch.layers.find((l) => l.name === d.layer)!.width;
        return { kind: 'split', layer: d.layer, channel: d.channel, theta: th.slice(d.channel * row, (d.channel + 1) * row) };
      });
    state = applyMorphisms(state, morphisms, { minWidth: g.min_width });
    const splits = morphisms.filter((m) => m.kind === 'split').length;
    opts.log(`phase ${k + 1}: ${splits} splits, ${morphisms.length - splits} prunes → ${state.arch.layers.map((l) => l.width).join(',')}`);
    saveCheckpoint(path.join(dir, 'state.safetensors'), state, { phase: `${k}` });
    progressState.completedPhases = k + 1;
    progressState.seconds = secondsBefore + (performance.now() - started) / 1000;
    writeJsonFile(progressFile, progressState);
  }

  // Retrain the found architecture from scratch.
  const finalArch = state.arch;
  writeJsonFile(run.arch, finalArch);
  const retrainEpochs = g.retrain_epochs ?? totalTrainEpochs;
  const fromScratch = (arch: ArchState, folder: string, label: string, kind: string) =>
    trainFromScratch(arch, path.join(run.dir, folder), label, { cfg, data, hyper, runtime, epochs: retrainEpochs, metrics, kind, phase: g.cycles, progress: opts.progress });
  let retrained: Awaited<ReturnType<typeof fromScratch>>;
  let baseline: (Awaited<ReturnType<typeof fromScratch>> & { arch: ArchState }) | null = null;
  try {
    retrained = await fromScratch(finalArch, 'retrain', 'retrain', 'retrain');
    if (g.uniform_baseline) {
      // The comparison the method has to win: a uniform-width seed with at least as many parameters,
      // trained from the same initial seed, data order and schedule as the retraining.
      const arch = uniformMatch(finalArch);
      opts.log(`uniform baseline: width ${arch.layers[0]!.width} — ${paramCount(arch).toLocaleString('en-US')} parameters (grown: ${paramCount(finalArch).toLocaleString('en-US')})`);
      baseline = { ...(await fromScratch(arch, 'uniform-baseline', 'uniform baseline', 'baseline')), arch };
    }
  } finally {
    await data.trainLoader.close();
    await grownData.close();
    await data.testLoader.close();
  }
  const { train, test, checkpoint } = retrained;
  const seconds = secondsBefore + (performance.now() - started) / 1000;
  progressState.seconds = seconds;
  const report = {
    test_error: 1 - test.accuracy,
    test_loss: test.loss,
    params: paramCount(finalArch),
    mmac_per_image: macCount(finalArch) / 1e6,
    flops_per_image: 2 * macCount(finalArch),
    widths: finalArch.layers.map((l) => l.width),
    seed_params: paramCount(resolveArch(cfg, { inputShape: data.train.shape, classes: data.train.classes })),
    wall_seconds: seconds,
    uniform_baseline: baseline && {
      width: baseline.arch.layers[0]!.width,
      params: paramCount(baseline.arch),
      mmac_per_image: macCount(baseline.arch) / 1e6,
      test_error: 1 - baseline.test.accuracy,
      test_loss: baseline.test.loss,
    },
  };
  writeJsonFile(path.join(run.dir, 'report.json'), report);
  opts.log(`final: ${report.widths.join(',')} — ${report.params.toLocaleString('en-US')} parameters, test error ${(100 * report.test_error).toFixed(2)}%`);
  if (report.uniform_baseline) opts.log(`uniform baseline: width ${report.uniform_baseline.width} — ${report.uniform_baseline.params.toLocaleString('en-US')} parameters, test error ${(100 * report.uniform_baseline.test_error).toFixed(2)}%`);
  progressState.retrainDone = true;
  writeJsonFile(progressFile, progressState);
  return {
    epochs: retrainEpochs,
    train,
    test,
    params: report.params,
    seconds: (performance.now() - started) / 1000,
    checkpoint,
  };
}

/** The uniform-width seed of `arch`'s family with the fewest parameters that is not smaller than `arch`. */
export function uniformMatch(arch: ArchState): ArchState {
  const target = paramCount(arch);
  for (let w = 1; ; w++) {
    const u = seedArch(arch.family, w, arch.inputShape, arch.classes);
    if (paramCount(u) >= target) return u;
  }
}

interface FromScratchContext {
  cfg: TrainConfig;
  data: DataSetup;
  hyper: ReturnType<typeof sgdOf>;
  runtime: RuntimeOptions;
  epochs: number;
  metrics: MetricsWriter;
  kind: string;
  phase: number;
  progress: TrainOptions['progress'];
}

/**
 * Train `arch` from a fresh initialisation (seed + 1) for `epochs` epochs on the run's schedule, with
 * checkpoints in `dir`/checkpoints (a resumed run continues from the last one); then the test set.
 */
async function trainFromScratch(arch: ArchState, dir: string, label: string, c: FromScratchContext) {
  const ckptDir = path.join(dir, 'checkpoints');
  fs.mkdirSync(ckptDir, { recursive: true });
  const ckpt = latestCheckpoint(ckptDir);
  const model = ckpt ? loadCheckpoint(ckpt.file).state : freshModelState(arch, c.cfg.seed + 1);
  const schedule = { ...scheduleOf(c.cfg), epochs: c.epochs };
  const engine = await Engine.create(arch, c.cfg.train.batch_size, c.hyper, c.runtime);
  let train = { loss: NaN, accuracy: NaN };
  let test = { loss: NaN, accuracy: NaN };
  try {
    for (let e = ckpt?.epoch ?? 0; e < c.epochs; e++) {
      const lr = lrAt(schedule, e);
      const r = await trainEpoch(engine, model, c.data.trainLoader, 10_000 + e, lr, c.progress, `${label} ${e + 1}/${c.epochs}`);
      train = { loss: r.loss, accuracy: r.accuracy };
      saveCheckpoint(path.join(ckptDir, `epoch-${String(e + 1).padStart(4, '0')}.safetensors`), model, { epoch: `${e + 1}` });
      c.metrics.write({ phase: c.phase, kind: c.kind, epoch: e + 1, lr, loss: r.loss, acc: r.accuracy, seconds: r.seconds, params: paramCount(arch), test_loss: null, test_acc: null });
    }
    const t = await evaluate(engine, model, c.data.testLoader);
    test = { loss: t.loss, accuracy: t.accuracy };
  } finally {
    await engine.release();
  }
  writeArchGraphs(path.join(dir, 'graphs'), model, c.cfg.train.batch_size, c.hyper, c.data.normalization);
  return { train, test, checkpoint: latestCheckpoint(ckptDir)?.file ?? null };
}
