// `nasgrow run CONFIG`: the paper's method end to end.
//
//   for each cycle: a training phase (SGD, `phase_epochs` epochs, the lr schedule counting training
//   epochs across phases), then a growing phase (θ by Adam on the Gauss-Newton objective, estimates
//   averaged over mini-batches or from a final pass), then selection and the rewrite of architecture +
//   weights + momentum; finally the found architecture is re-initialised and retrained from scratch
//   (and, with grow.uniform_baseline, the narrowest uniform network of at least its parameters).
//
// Run folder:
//   phases/phase-NN/  (phase NN = 01, 02, ...: as the log counts) arch.json, graphs (train, grow, eval, infer .onnx), estimates.csv (one row per
//                     channel: estimates, resource change, decision), state.safetensors (the model
//                     after this phase's morphisms were applied); grow.method steepest: steepest.csv
//                     (λ_min of every channel's splitting matrix, and whether it was split) and
//                     splitting.onnx (the graph of the splitting matrix products) in place of grow.onnx
//   metrics.jsonl/.csv  one record per epoch (phase 1, 2, ... or empty for the retraining; kind
//                     train|grow|retrain|baseline)
//   progress.json     the last completed phase; --resume restarts after it
//   retrain/          the from-scratch training of the final architecture (with its own checkpoints)
//   uniform-baseline/ with grow.uniform_baseline: the same for a uniform-width seed of ≥ the parameters
//   report.json, arch.json  the final result
//
// grow.method picks what happens after each training phase (README "Baselines"): gauss-newton (above),
// or random — no growing phase, the reference run's number of splits and prunes per layer on random
// channels — or steepest — in place of the growing phase a pass of the splitting matrices (splitting
// steepest descent, src/grow/steepest.ts) over the final pass's held-out batches, then the reference's
// counts with the splits on the channels of most negative λ_min and θ along v_min — or slimming — the training phases train a wider uniform network with an L1 penalty on its
// BN scales (no growing phases), and after the last one the channels of smallest |γ| are pruned globally
// down to the parameter target. The training phases, retraining and baseline are the same code with the same random
// streams, so runs of different methods with one seed pair up: same initial weights, same data order.
import * as fs from 'fs';
import * as path from 'path';
import { assertTrainable, ConfigError, retrainEpochs as retrainEpochsOf, type TrainConfig } from '../../config';
import { GrowEngine } from '../../grow/grow-engine';
import { emaWeightOf, growData } from '../../grow/grow-data';
import { writeGrowGraph } from '../../grow/graph';
import { writeSplittingGraph } from '../../grow/splitting';
import { growPhase } from '../../grow/phases';
import { initTheta } from '../../grow/theta';
import { appliedMorphisms, estimatesCsv } from '../../grow/decisions';
import { Estimates } from '../../grow/estimates';
import { checkReferenceFor, readReference, ReferenceRun } from '../../grow/reference';
import { splittingDirections, DOMINANT_ITERATIONS, SHIFTED_ITERATIONS } from '../../grow/steepest';
import type { EvalBatch } from '../../grow/true-delta';
import { ArchState } from '../../models/arch';
import { epochCheckpointPath, latestCheckpoint, loadCheckpoint, saveCheckpoint } from '../../models/checkpoint';
import { macCount, paramCount, uniformMatch } from '../../models/params';
import { freshModelState, ModelState } from '../../models/state';
import { applyMorphisms, Decision, randomDecisions, selectMorphisms, slimmingPrunes, steepestDecisions, steepestTheta } from '../../morphisms';
import { cloneArch } from '../../models/arch';
import { param } from '../../models/names';
import { csvRows } from '../../report';
import { TensorMap } from '../../models/params';
import { Rng } from '../../util/rng';
import { MetricsWriter, phaseDir, ProgressReporter, readRunProgress, readRunReport, RunReport } from '../../report';
import type { RuntimeOptions } from '../../runtime/session';
import { DataSetup, writeClassNames, writeNormalization } from '../../train/data-setup';
import { Engine } from '../../train/engine';
import { epochRecord, evaluate, EpochResult, trainEpochs, trainResultMetadata, trainResultOf } from '../../train/loop';
import { SgdHyper, sgdOf } from '../../train/optimizer';
import { lrAt, scheduleOf } from '../../train/schedule';
import { writeArchGraphs, writeInferenceGraph } from '../../train/write-graphs';
import { writeFileAtomic, writeJsonFile } from '../../util/atomic-write';
import { faultPoint } from '../../util/fault-injection';
import { STREAMS } from '../../util/streams';
import { onDivergenceNote, removeEarlierResult } from '../shared/earlier-result';
import { phaseStateRemedy } from '../shared/resume-plan';
import { inSession, RunSession, startRun, summaryLines, TrainArgs, TrainSummary, writeReportPage } from '../shared/run-setup';

/** `nasgrow run`: check everything, then grow and retrain; the summary goes to the terminal and train.log. */
export async function runRun(args: TrainArgs): Promise<void> {
  const session = await startRun(args, 'grow', { check: runCheck(args.config) });
  await inSession(session, async () => {
    const summary = await growFromConfig(session);
    for (const line of summaryLines(summary)) session.log(line);
    await writeReportPage(session);
  });
}

/**
 * `nasgrow run`'s own check of a config against its seed architecture (a baseline's reference run,
 * slimming's target), for checkStartData; `source` is the config file messages name.
 * @throws ConfigError (from methodPlan) naming the key.
 */
export function runCheck(source: string): (cfg: TrainConfig, arch: ArchState) => void {
  return (cfg, arch) => void methodPlan(cfg, arch, source);
}

/** What a baseline needs beyond the config: the reference run, and slimming's wide network and target. */
interface MethodPlan {
  reference: ReferenceRun | null;
  /** slimming: the wide uniform network the training phases train */
  wide: ArchState | null;
  /** slimming: prune down to at most this many parameters */
  targetParams: number | null;
}

/**
 * What grow.method needs, checked against the seed `arch`: for random and steepest, the reference run's phases (as
 * many as grow.cycles, from the same seed network); for slimming, the wide network (trainable at the
 * batch size) and the parameter target (grow.target_params, else the reference's found architecture's).
 * @throws ConfigError naming `source`, the key and its value when the reference does not fit or the
 *   wide network cannot train here.
 */
function methodPlan(cfg: TrainConfig, arch: ArchState, source: string): MethodPlan {
  const g = cfg.grow;
  if (g.method === 'gauss-newton') return { reference: null, wide: null, targetParams: null };
  if (g.method === 'random' || g.method === 'steepest') {
    const ref = readReference(g.reference!, source); // non-null: checkConsistency requires it
    checkReferenceFor(ref, arch, g.cycles, source);
    return { reference: ref, wide: null, targetParams: null };
  }
  // slimming (checkConsistency: target_params or reference is set)
  const reference = g.reference === null ? null : readReference(g.reference, source);
  const targetParams = g.target_params ?? reference!.finalParams;
  if (targetParams === null) {
    throw new ConfigError([{ source, key: 'grow.reference', problem: `is ${g.reference}, a run that has not finished growing (no arch.json): slimming's parameter target is its found architecture's; set grow.target_params or name a finished run` }]);
  }
  const wide = cloneArch(arch);
  const width = g.slimming_width ?? 2 * Math.max(...arch.layers.map((l) => l.width));
  for (const l of wide.layers) l.width = width;
  assertTrainable(wide, cfg.train.batch_size, 'train', source);
  return { reference, wide, targetParams };
}

/** The folder of phase `n` (1-based, as the log counts phases): phases/phase-01, phase-02, ... */

/** Grow from the config's seed in the session's run folder, resuming after its last completed phase. */
export async function growFromConfig({ cfg, run, resume, data, arch: seed, source, log, progress }: RunSession): Promise<TrainSummary> {
  const started = performance.now();
  const progressFile = path.join(run.dir, 'progress.json');
  const progressState = resume ? readRunProgress(progressFile) : { completedPhases: 0, retrainDone: false, seconds: 0 };
  const secondsBefore = progressState.seconds;
  writeNormalization(run.dir, data.normalization);
  writeClassNames(run.dir, data.train.classNames);
  const g = cfg.grow;
  const gaussNewton = g.method === 'gauss-newton';
  const plan = methodPlan(cfg, seed, source);
  const reference = plan.reference;
  if (g.method === 'random') log(`grow.method random: the splits and prunes per layer and phase of ${reference!.dir}, on random channels`);
  if (g.method === 'steepest') log(`grow.method steepest: the splits and prunes per layer and phase of ${reference!.dir}; splits on the channels of most negative λ_min of their splitting matrices, θ = ${g.steepest_scale} × ‖w_in‖ × v_min; prunes on random channels`);
  if (plan.wide) {
    log(`grow.method slimming: a uniform width-${plan.wide.layers[0]!.width} network (${paramCount(plan.wide).toLocaleString('en-US')} parameters) trained with L1 ${g.slimming_l1} on its BN scales, then pruned to at most ${plan.targetParams!.toLocaleString('en-US')} parameters`);
  }
  // only the Gauss-Newton growing phases learn θ on data (the held-out split is theirs); splitting
  // steepest descent averages its splitting matrices over the same final-pass batches
  const steepestData = g.method === 'steepest' ? growData(data, cfg.train.batch_size, g.final_batches, cfg.seed) : null;
  const grownData = gaussNewton ? growData(data, cfg.train.batch_size, cfg.grow.estimate === 'final' ? cfg.grow.final_batches : 0, cfg.seed) : null;
  if (grownData && cfg.grow.estimate === 'final') {
    log(grownData.heldOutLoader ? `final pass on ${grownData.heldOut} training images held out from θ learning` : 'final pass on training batches (the training set is too small to hold any out)');
  }
  const runtime = { device: cfg.runtime.device, threads: cfg.runtime.threads };
  const hyper = sgdOf(cfg);
  // slimming's training phases carry the L1 subgradient; the retraining and baseline never do
  const phaseHyper: SgdHyper = plan.wide && g.slimming_l1 > 0 ? { ...hyper, bnL1: g.slimming_l1 } : hyper;
  const totalTrainEpochs = g.cycles * g.phase_epochs;
  const schedule = scheduleOf(cfg, totalTrainEpochs);
  const emaWeight = emaWeightOf(cfg, data.trainLoader.size);
  const metrics = new MetricsWriter(run.dir);
  // On resume, keep the records of what is done: the completed phases, and the retraining and baseline
  // epochs up to their last checkpoints (those epochs are not run again).
  const doneEpochs = (folder: string) => latestCheckpoint(path.join(run.dir, folder, 'checkpoints'))?.epoch ?? 0;
  const allPhasesDone = progressState.completedPhases >= g.cycles;
  const kept = { retrain: allPhasesDone ? doneEpochs('retrain') : 0, baseline: allPhasesDone ? doneEpochs('uniform-baseline') : 0 };
  metrics.retain((r) => {
    if (r.kind === 'retrain' || r.kind === 'baseline') return typeof r.epoch === 'number' && r.epoch <= kept[r.kind];
    return typeof r.phase === 'number' && r.phase <= progressState.completedPhases;
  });

  const narrow = seed.layers.filter((l) => l.width <= g.min_width).map((l) => l.name);
  if (narrow.length > 0 && g.min_width > 1) {
    const which = narrow.length === seed.layers.length ? 'every seed layer is' : `${narrow.join(', ')} ${narrow.length === 1 ? 'is' : 'are'}`;
    log(`grow.min_width ${g.min_width}: ${which} at or below that width already, so not pruned until splits widen it`);
  }
  const retrainEpochs = retrainEpochsOf(g);
  if (resume && progressState.retrainDone && fs.existsSync(path.join(run.dir, 'report.json')) && kept.retrain >= retrainEpochs && (!g.uniform_baseline || retrainEpochs === 0 || kept.baseline >= retrainEpochs)) {
    log(`${run.dir} is finished (its report.json is up to date): nothing to do; start a new run with --out to grow again`);
    return finishedSummary(run.dir, g.cycles, retrainEpochs);
  }
  // A run that had ended goes on (a longer retraining, a baseline turned on or off): its report.json,
  // and the infer.onnx of a retraining or baseline that trains on or is dropped, describe the earlier
  // end; they go before anything else, so that nothing that stops this resume leaves them beside a
  // config.yaml that says otherwise.
  const stale = [
    'report.json',
    'report.html',
    ...(kept.retrain < retrainEpochs ? [path.join('retrain', 'graphs', 'infer.onnx')] : []),
    ...(!g.uniform_baseline || retrainEpochs === 0 || kept.baseline < retrainEpochs ? [path.join('uniform-baseline', 'graphs', 'infer.onnx')] : []),
  ];
  const trainsBaseline = g.uniform_baseline && retrainEpochs > 0 && kept.baseline < retrainEpochs;
  const why = [
    ...(kept.retrain < retrainEpochs ? [`the retraining goes on after epoch ${kept.retrain} to grow.retrain_epochs ${retrainEpochs}`] : []),
    ...(trainsBaseline ? [kept.baseline > 0 ? `the uniform baseline goes on after epoch ${kept.baseline}` : 'grow.uniform_baseline adds a uniform baseline'] : []),
    ...(!g.uniform_baseline && fs.existsSync(path.join(run.dir, 'uniform-baseline', 'graphs', 'infer.onnx')) ? ['grow.uniform_baseline false drops the baseline'] : []),
  ];
  const removed = resume && progressState.retrainDone ? removeEarlierResult(run.dir, stale, `this finished run goes on (${why.join('; ') || 'its report.json is written again'})`, log) : [];

  let state: ModelState;
  if (progressState.completedPhases > 0) {
    const n = progressState.completedPhases;
    // a damaged phase state is redone from the one before it (or from the seed, for phase 1)
    state = loadCheckpoint(path.join(phaseDir(run.dir, n), 'state.safetensors'), { warn: log, remedy: phaseStateRemedy(progressFile, n) }).state;
    log(`resuming after phase ${progressState.completedPhases} of ${g.cycles}`);
  } else {
    state = freshModelState(plan.wide ?? seed, cfg.seed);
    if (resume) log('no phase was completed: phase 1 starts again from the seed');
  }

  for (let k = progressState.completedPhases; k < g.cycles; k++) {
    const dir = phaseDir(run.dir, k + 1);
    const arch = state.arch;
    writeJsonFile(path.join(dir, 'arch.json'), arch);
    const place = { phase: k + 1, cycles: g.cycles };
    writeArchGraphs(dir, arch, cfg.train.batch_size, phaseHyper, place);
    writeInferenceGraph(dir, state, data.normalization, data.train.classNames, place);
    if (gaussNewton) writeGrowGraph(dir, arch, cfg.train.batch_size, g.granularity, place);
    if (g.method === 'steepest') writeSplittingGraph(dir, arch, cfg.train.batch_size, place);
    log(`phase ${k + 1}/${g.cycles}: ${arch.layers.map((l) => l.width).join(',')} — ${paramCount(arch).toLocaleString('en-US')} parameters`);

    // Training phase k: epochs k·P … (k+1)·P − 1 of the schedule, evaluated after its last epoch.
    const engine = await Engine.create(arch, cfg.train.batch_size, phaseHyper, runtime);
    try {
      const last = (k + 1) * g.phase_epochs - 1;
      await trainEpochs(engine, state, data.trainLoader, {
        first: k * g.phase_epochs,
        end: (k + 1) * g.phase_epochs,
        lr: (epoch) => lrAt(schedule, epoch),
        stream: STREAMS.train,
        label: (epoch) => `phase ${k + 1} train ${epoch - k * g.phase_epochs + 1}/${g.phase_epochs}`,
        evaluateAfter: (epoch) => epoch === last,
        test: data.testLoader,
        progress,
        afterEpoch: (done) => {
          const { train, test } = done;
          metrics.write(epochRecord(k + 1, 'train', done, paramCount(arch)));
          if (test) log(`phase ${k + 1}: train loss ${train.loss.toFixed(4)}, test accuracy ${(100 * test.accuracy).toFixed(2)}%`);
        },
      });
    } finally {
      await engine.release();
    }

    let estimates: Estimates | null = null;
    let decisions: Decision[];
    let theta: TensorMap;
    if (grownData) {
      // Growing phase k: θ learned on the training set minus the held-out batches, then the estimates.
      const growEngine = await GrowEngine.create(arch, cfg.train.batch_size, g.granularity, runtime);
      const thetaState = initTheta(arch, state.params, g.theta_init_scale, cfg.seed, k);
      let grown;
      try {
        grown = await growPhase(
          growEngine,
          state,
          thetaState,
          grownData.growLoader,
          {
            epochs: g.phase_epochs,
            firstEpoch: k * g.phase_epochs,
            thetaLr: g.theta_lr,
            emaWeight,
            estimate: g.estimate,
            maxSteps: g.theta_steps,
            thetaMaxNorm: g.theta_max_norm,
            finalLoader: grownData.finalLoader,
            finalBatches: grownData.finalBatches,
            finalPassEpoch: k,
          },
          progress,
          `phase ${k + 1} grow`,
        );
      } finally {
        await growEngine.release();
      }
      metrics.write(epochRecord(k + 1, 'grow', null, paramCount(arch), { lr: g.theta_lr, loss: grown.loss, seconds: grown.seconds, images: grown.images }));
      estimates = grown.estimates;
      decisions = selectMorphisms(arch, estimates, { lambdaP: g.lambda_p, lambdaF: g.lambda_f, topFraction: g.top_fraction, minWidth: g.min_width });
      theta = thetaState.theta;
    } else if (plan.wide) {
      // Slimming: after the last training phase, the smallest |γ| of the dense layers' BN go, globally,
      // down to the target; the phases before apply nothing. slimming.csv records every |γ|.
      decisions = [];
      theta = new Map();
      if (k === g.cycles - 1) {
        const gammas = new Map(arch.layers.map((l) => [l.name, state.params.get(param.bn(l.name, 'bn', 'weight'))!]));
        const slim = slimmingPrunes(arch, gammas, plan.targetParams!, g.min_width);
        decisions = slim.decisions;
        const pruned = new Set(decisions.filter((d) => d.applied).map((d) => `${d.layer}/${d.channel}`));
        const rows: (string | number)[][] = [['layer', 'channel', 'abs_gamma', 'pruned']];
        for (const [layer, gm] of gammas) gm.forEach((v, c) => rows.push([layer, c, Math.abs(v), pruned.has(`${layer}/${c}`) ? 1 : 0]));
        writeFileAtomic(path.join(dir, 'slimming.csv'), csvRows(rows));
        log(`slimming: pruned ${pruned.size} channels with |γ| ≤ ${slim.threshold.toPrecision(3)} → ${slim.params.toLocaleString('en-US')} parameters (target ${plan.targetParams!.toLocaleString('en-US')})`);
        if (slim.params > plan.targetParams!) log(`slimming: grow.min_width ${g.min_width} stopped the pruning above the target`);
      }
    } else if (steepestData) {
      // Splitting steepest descent: λ_min and v_min of every channel's splitting matrix, S averaged over
      // the first final-pass batches of pass k (the batches a Gauss-Newton growing phase's final pass
      // reads); the reference's counts of phase k, splits by λ_min, prunes drawn from
      // random-channels-k/<layer> (the random baseline's streams); θ = steepest_scale·‖w_in[c]‖·v_min[c].
      const ref = reference!;
      const widths = (a: ArchState) => a.layers.map((l) => l.width).join(',');
      if (widths(ref.archs[k]!) !== widths(arch)) throw new Error(`steepest descent: phase ${k + 1} starts at widths ${widths(arch)}, the reference's at ${widths(ref.archs[k]!)}`);
      const t0 = performance.now();
      const batches: EvalBatch[] = [];
      for await (const bt of steepestData.finalLoader.epoch(STREAMS.finalPass, k)) {
        if (batches.length >= steepestData.finalBatches) break;
        batches.push({ images: Float32Array.from(bt.images), labels: BigInt64Array.from(bt.labels) });
      }
      const eig = await splittingDirections(state, batches, cfg.train.batch_size, runtime, cfg.seed, k);
      const lambdaMin = new Map([...eig].map(([l, e]) => [l, e.lambdaMin]));
      decisions = steepestDecisions(arch, ref.counts[k]!, lambdaMin, (layer) => Rng.derive(cfg.seed, `${STREAMS.randomChannels}-${k}/${layer}`), g.min_width);
      theta = steepestTheta(arch, state.params, new Map([...eig].map(([l, e]) => [l, e.vMin])), g.steepest_scale);
      const split = new Set(decisions.filter((d) => d.applied && d.kind === 'split').map((d) => `${d.layer}/${d.channel}`));
      const rows: (string | number)[][] = [['layer', 'channel', 'lambda_min', 'split']];
      for (const [layer, e] of eig) e.lambdaMin.forEach((v, c) => rows.push([layer, c, v, split.has(`${layer}/${c}`) ? 1 : 0]));
      writeFileAtomic(path.join(dir, 'steepest.csv'), csvRows(rows));
      log(`phase ${k + 1}: splitting matrices on ${batches.length} held-out batches (${DOMINANT_ITERATIONS}+${SHIFTED_ITERATIONS} products) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    } else {
      // Random splitting: the reference's counts of phase k on channels drawn from the stream
      // random-channels-k/<layer>. θ is the Gauss-Newton method's starting θ (normal, std =
      // theta_init_scale × RMS(w_in[c]), stream theta-phase-k, 1e-2 by default): small enough that the
      // split changes the function only at second order (½w·[y(w+θ) + y(w−θ)] = w·y(w) + O(θ²)), large
      // enough that the two copies' gradients differ from the first SGD step (symmetry breaking, as
      // Net2Net's added noise). Same scale and draw as the paired Gauss-Newton run starts θ from.
      const ref = reference!;
      const widths = (a: ArchState) => a.layers.map((l) => l.width).join(',');
      if (widths(ref.archs[k]!) !== widths(arch)) throw new Error(`random splitting: phase ${k + 1} starts at widths ${widths(arch)}, the reference's at ${widths(ref.archs[k]!)}`);
      decisions = randomDecisions(arch, ref.counts[k]!, (layer) => Rng.derive(cfg.seed, `${STREAMS.randomChannels}-${k}/${layer}`), g.min_width);
      theta = initTheta(arch, state.params, g.theta_init_scale, cfg.seed, k).theta;
    }

    // Selection and the rewrite; the phase's state is saved before progress.json says it is done.
    writeFileAtomic(path.join(dir, 'estimates.csv'), estimatesCsv(arch, estimates, decisions));
    const morphisms = appliedMorphisms(arch, decisions, theta);
    state = applyMorphisms(state, morphisms, { minWidth: g.min_width });
    faultPoint('phase-rewrite');
    const splits = morphisms.filter((m) => m.kind === 'split').length;
    log(`phase ${k + 1}: ${splits} splits, ${morphisms.length - splits} prunes → ${state.arch.layers.map((l) => l.width).join(',')}`);
    saveCheckpoint(path.join(dir, 'state.safetensors'), state, { phase: `${k + 1}` });
    faultPoint('phase-saved');
    progressState.completedPhases = k + 1;
    progressState.seconds = secondsBefore + (performance.now() - started) / 1000;
    writeJsonFile(progressFile, progressState);
  }

  // Retrain the found architecture from scratch (grow.retrain_epochs 0: report the grown network as it
  // stands after the last phase, BN statistics and all, and train no baseline).
  const finalArch = state.arch;
  writeJsonFile(run.arch, finalArch);
  const context: FromScratchContext = { cfg, data, hyper, runtime, epochs: retrainEpochs, metrics, progress, log };
  let retrained: FromScratchResult;
  let baseline: (FromScratchResult & { arch: ArchState }) | null = null;
  try {
    if (retrainEpochs === 0) {
      const engine = await Engine.create(finalArch, cfg.train.batch_size, hyper, runtime);
      try {
        retrained = { train: null, test: await evaluate(engine, state, data.testLoader), checkpoint: null };
      } finally {
        await engine.release();
      }
      log('grow.retrain_epochs is 0: the grown network is evaluated as the phases left it, without retraining');
      if (g.uniform_baseline) log('grow.uniform_baseline: skipped, since nothing is retrained to compare it with');
    } else {
      retrained = await onDivergenceNote(removed, () => trainFromScratch(finalArch, path.join(run.dir, 'retrain'), 'retrain', 'retrain', context));
    }
    if (g.uniform_baseline && retrainEpochs > 0) {
      // The comparison the method has to win: a uniform-width seed with at least as many parameters,
      // trained from the same initial seed, data order and schedule as the retraining.
      const arch = uniformMatch(finalArch);
      log(`uniform baseline: width ${arch.layers[0]!.width} — ${paramCount(arch).toLocaleString('en-US')} parameters (grown: ${paramCount(finalArch).toLocaleString('en-US')})`);
      // its architecture beside its checkpoints: what a reader (or a `model.arch` config that retrains
      // the control on another budget) needs without recomputing the width match
      writeJsonFile(path.join(run.dir, 'uniform-baseline', 'arch.json'), arch);
      baseline = { ...(await onDivergenceNote(removed, () => trainFromScratch(arch, path.join(run.dir, 'uniform-baseline'), 'uniform baseline', 'baseline', context))), arch };
    }
  } finally {
    await grownData?.close();
    await steepestData?.close();
  }
  const { train, test, checkpoint } = retrained;
  const seconds = secondsBefore + (performance.now() - started) / 1000;
  progressState.seconds = seconds;
  const report: RunReport = {
    method: g.method,
    reference: reference?.dir ?? null,
    slimming: plan.wide && { width: plan.wide.layers[0]!.width, params_before: paramCount(plan.wide), l1: g.slimming_l1, target_params: plan.targetParams },
    test_error: errorRate(test),
    test_loss: test.loss,
    retrained: retrainEpochs > 0,
    params: paramCount(finalArch),
    mmac_per_image: macCount(finalArch) / 1e6,
    flops_per_image: 2 * macCount(finalArch),
    widths: finalArch.layers.map((l) => l.width),
    seed_params: paramCount(seed),
    wall_seconds: seconds,
    uniform_baseline: baseline && {
      width: baseline.arch.layers[0]!.width,
      params: paramCount(baseline.arch),
      mmac_per_image: macCount(baseline.arch) / 1e6,
      test_error: errorRate(baseline.test),
      test_loss: baseline.test.loss,
    },
  };
  writeJsonFile(path.join(run.dir, 'report.json'), report);
  log(`final: ${report.widths.join(',')} — ${report.params.toLocaleString('en-US')} parameters, test error ${(100 * report.test_error).toFixed(2)}%`);
  if (report.uniform_baseline) log(`uniform baseline: width ${report.uniform_baseline.width} — ${report.uniform_baseline.params.toLocaleString('en-US')} parameters, test error ${(100 * report.uniform_baseline.test_error).toFixed(2)}%`);
  progressState.retrainDone = true;
  writeJsonFile(progressFile, progressState);
  return { phases: g.cycles, epochs: retrainEpochs, train, test, params: report.params, seconds: (performance.now() - started) / 1000, checkpoint };
}

/** The fraction of test examples classified wrong, from the counts (1 − accuracy carries rounding noise). */
function errorRate(r: EpochResult): number {
  return (r.images - r.correct) / r.images;
}

/** The summary of a finished run, from its report.json and last retraining checkpoint. */
function finishedSummary(dir: string, cycles: number, retrainEpochs: number): TrainSummary {
  // the caller saw that report.json exists
  const report = readRunReport(path.join(dir, 'report.json'))!;
  const ckpt = latestCheckpoint(path.join(dir, 'retrain', 'checkpoints'));
  const train = ckpt ? trainResultOf(loadCheckpoint(ckpt.file).metadata) : null;
  return {
    phases: cycles,
    epochs: retrainEpochs,
    train: train && { loss: train.loss, accuracy: train.accuracy },
    test: { loss: report.test_loss, accuracy: 1 - report.test_error },
    params: report.params,
    seconds: 0,
    checkpoint: ckpt?.file ?? null,
  };
}

interface FromScratchContext {
  cfg: TrainConfig;
  data: DataSetup;
  hyper: SgdHyper;
  runtime: RuntimeOptions;
  epochs: number;
  metrics: MetricsWriter;
  progress: ProgressReporter;
  /** one line for the user and train.log (a checkpoint loaded unverified says so) */
  log: (line: string) => void;
}

interface FromScratchResult {
  /** the last retraining epoch's numbers (null: nothing was retrained) */
  train: { loss: number; accuracy: number } | null;
  test: EpochResult;
  checkpoint: string | null;
}

/**
 * Train `arch` from a fresh initialisation (the run's seed, stream 'init/retrain') for `epochs` epochs
 * on the run's schedule and the 'retrain' data stream, with checkpoints in `dir`/checkpoints (a resumed
 * run continues from the last one); then the test set. `kind` labels its metrics records (retrain,
 * baseline).
 */
async function trainFromScratch(arch: ArchState, dir: string, label: string, kind: string, c: FromScratchContext): Promise<FromScratchResult> {
  const ckptDir = path.join(dir, 'checkpoints');
  fs.mkdirSync(ckptDir, { recursive: true });
  const ckpt = latestCheckpoint(ckptDir);
  const loaded = ckpt ? loadCheckpoint(ckpt.file, { warn: c.log }) : null;
  if (ckpt) {
    const from = path.relative(process.cwd(), ckpt.file);
    c.log(ckpt.epoch >= c.epochs ? `${label}: all ${c.epochs} epochs done (${from}); evaluating it` : `${label}: resuming after epoch ${ckpt.epoch} of ${c.epochs} from ${from}`);
  }
  const model = loaded ? loaded.state : freshModelState(arch, c.cfg.seed, STREAMS.retrainInit);
  const schedule = scheduleOf(c.cfg, c.epochs);
  const engine = await Engine.create(arch, c.cfg.train.batch_size, c.hyper, c.runtime);
  // a run resumed after its last retraining epoch reports that epoch's numbers from its checkpoint
  const resumed = loaded ? trainResultOf(loaded.metadata) : null;
  let train = resumed ? { loss: resumed.loss, accuracy: resumed.accuracy } : { loss: NaN, accuracy: NaN };
  let test: EpochResult;
  try {
    await trainEpochs(engine, model, c.data.trainLoader, {
      first: ckpt?.epoch ?? 0,
      end: c.epochs,
      lr: (epoch) => lrAt(schedule, epoch),
      stream: STREAMS.retrain,
      label: (epoch) => `${label} ${epoch + 1}/${c.epochs}`,
      progress: c.progress,
      afterEpoch: (done) => {
        const { epoch, train: r } = done;
        train = { loss: r.loss, accuracy: r.accuracy };
        // the record before the checkpoint: a run killed between them repeats the epoch and its record
        c.metrics.write(epochRecord(null, kind, done, paramCount(arch)));
        saveCheckpoint(epochCheckpointPath(ckptDir, epoch + 1), model, { epoch: `${epoch + 1}`, ...trainResultMetadata(r) });
      },
    });
    // after the loop, not in it: a run resumed after its last retraining epoch still needs the test
    test = await evaluate(engine, model, c.data.testLoader);
  } finally {
    await engine.release();
  }
  const place = { stage: kind === 'retrain' ? 'retrain' : 'uniform-baseline' } as const;
  writeArchGraphs(path.join(dir, 'graphs'), arch, c.cfg.train.batch_size, c.hyper, place);
  writeInferenceGraph(path.join(dir, 'graphs'), model, c.data.normalization, c.data.train.classNames, place);
  return { train, test, checkpoint: latestCheckpoint(ckptDir)?.file ?? null };
}
