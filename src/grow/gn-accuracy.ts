// `nasgrow experiment gn-accuracy CONFIG` (the paper's Appendix B): how well do the Gauss-Newton
// estimates predict each morphism's true change in loss?
//
//   1. train the seed for grow.phase_epochs epochs;
//   2. per θ variant (Gauss-Newton granularity batch|sample, optional norm cap), a growing phase
//      (grow.phase_epochs epochs or grow.theta_steps steps) on the training set minus the held-out
//      batches; θ is snapshotted after the requested numbers of Adam steps (0: its random start) and
//      at the end, with the moving average so far (the 'ema' estimate);
//   3. per snapshot, a final pass over the held-out batches with θ fixed (the 'final' estimate);
//   4. the true ΔL of every split (per snapshot) and every prune, each applied alone, on two disjoint
//      sets of test batches A and B (batch-statistics BN, src/grow/true-delta.ts);
//   5. per snapshot, per layer and pooled: Spearman and Pearson of each estimate against ΔL on A,
//      beside the noise ceiling Spearman(ΔL on A, ΔL on B); and how far θ travelled, ‖θ_c‖/‖w_in[c]‖.
// Writes gn-accuracy.csv (one row per morphism and snapshot), gn-accuracy.json (the summary),
// gn-accuracy.md (the table) and scatter-<variant>-step<k>.png (estimate vs truth, a panel per layer).
import * as path from 'path';
import type { TrainConfig } from '../config';
import type { ArchState } from '../models/arch';
import { BatchLoader } from '../data';
import { Estimates } from './estimates';
import { Granularity } from './graph';
import { GrowEngine } from './grow-engine';
import { emaWeightOf, growData, heldOutBatchCount } from './grow-data';
import { finalPass, growPhase } from './phases';
import { initTheta, rowSumSquares } from './theta';
import { EvalBatch, lossProbe } from './true-delta';
import { param } from '../models/names';
import type { TensorMap } from '../models/params';
import { freshModelState, ModelState } from '../models/state';
import { applyMorphisms } from '../morphisms';
import { csvRows, ProgressReporter, writeScatterGridPng } from '../report';
import type { DataSetup } from '../train/data-setup';
import { Engine } from '../train/engine';
import { trainEpochs } from '../train/loop';
import { sgdOf } from '../train/optimizer';
import { lrAt, scheduleOf } from '../train/schedule';
import { writeFileAtomic, writeJsonFile } from '../util/atomic-write';
import { UserError } from '../util/errors';
import { makeFolder } from '../util/folders';
import { median, pearson, spearman } from '../util/stats';
import { STREAMS } from '../util/streams';

/** One way of learning θ: the Gauss-Newton granularity of objective and estimates, and the norm cap. */
export interface ThetaVariant {
  granularity: Granularity;
  thetaMaxNorm: number | null;
}

/** A variant's name in files and tables: `batch`, `sample`, `batch-cap0.5` (parseVariant reads it back). */
export const variantName = (v: ThetaVariant) => `${v.granularity}${v.thetaMaxNorm === null ? '' : `-cap${v.thetaMaxNorm}`}`;

/** `batch`, `sample`, `batch-cap0.5`, … (what variantName writes). */
export function parseVariant(text: string): ThetaVariant {
  const m = /^(batch|sample)(?:-cap([0-9.eE+-]+))?$/.exec(text.trim());
  const cap = m?.[2] === undefined ? null : Number(m[2]);
  if (!m || (cap !== null && !(cap > 0))) throw new UserError(`--variants: '${text}' is not a variant: write batch or sample, optionally with -cap<κ> (κ > 0), e.g. batch-cap0.5`);
  return { granularity: m[1] as Granularity, thetaMaxNorm: cap };
}

export interface GnAccuracyOptions {
  variants: ThetaVariant[];
  /** Adam steps after which θ is evaluated (0: its random start); the end of the phase is always one */
  snapshots: number[];
  /** test batches in each of the two evaluation sets */
  evalBatches: number;
  /** held-out training batches of the final pass */
  finalBatches: number;
  log: (line: string) => void;
  progress: ProgressReporter | null;
}

interface Row {
  variant: string;
  step: number;
  layer: string;
  channel: number;
  kind: 'split' | 'prune';
  ema: number;
  final: number;
  trueA: number;
  trueB: number;
  /** split: ‖θ_c‖/‖w_in[c]‖ */
  thetaOverW: number;
}

function summarize(rows: Row[]) {
  const col = (k: keyof Row) => rows.map((r) => r[k] as number);
  return {
    morphisms: rows.length,
    spearman_ema: spearman(col('ema'), col('trueA')),
    spearman_final: spearman(col('final'), col('trueA')),
    pearson_ema: pearson(col('ema'), col('trueA')),
    pearson_final: pearson(col('final'), col('trueA')),
    noise_ceiling_spearman: spearman(col('trueA'), col('trueB')),
  };
}

const cloneEstimates = (e: Estimates): Estimates => new Map([...e].map(([k, v]) => [k, { split: Float64Array.from(v.split), prune: Float64Array.from(v.prune) }]));

interface Snapshot {
  variant: ThetaVariant;
  step: number;
  theta: TensorMap;
  ema: Estimates | null;
  final: Estimates;
}

/**
 * The Adam steps on θ of the experiment's growing phase (what a snapshot can name at most): every
 * batch of grow.phase_epochs epochs over the training images minus the `finalBatches` held out (as
 * growData holds them out), capped at grow.theta_steps.
 */
export function thetaStepsOf(cfg: Pick<TrainConfig, 'train' | 'grow'>, trainImages: number, finalBatches: number): number {
  const batch = cfg.train.batch_size;
  const perEpoch = Math.floor((trainImages - heldOutBatchCount(trainImages, batch, finalBatches) * batch) / batch);
  return Math.min(cfg.grow.phase_epochs * perEpoch, cfg.grow.theta_steps ?? Infinity);
}

/** Test batches the two evaluation sets need: 2 × evalBatches full batches of train.batch_size. */
export function evalSetsFit(testImages: number, batch: number, evalBatches: number): boolean {
  return Math.floor(testImages / batch) >= 2 * evalBatches;
}

/**
 * The experiments' trained network: `arch` with fresh weights from cfg.seed, trained for
 * grow.phase_epochs epochs (the config's schedule over those epochs, the 'train' stream).
 */
export async function trainSeed(cfg: TrainConfig, data: DataSetup, arch: ArchState, progress: ProgressReporter | null): Promise<ModelState> {
  const runtime = { device: cfg.runtime.device, threads: cfg.runtime.threads };
  const state = freshModelState(arch, cfg.seed);
  const epochs = cfg.grow.phase_epochs;
  const engine = await Engine.create(arch, cfg.train.batch_size, sgdOf(cfg), runtime);
  const schedule = scheduleOf(cfg, epochs);
  try {
    await trainEpochs(engine, state, data.trainLoader, {
      first: 0,
      end: epochs,
      lr: (epoch) => lrAt(schedule, epoch),
      stream: STREAMS.train,
      label: (epoch) => `train ${epoch + 1}/${epochs}`,
      progress,
    });
  } finally {
    await engine.release();
  }
  return state;
}

/**
 * `sets` disjoint sets of `perSet` test batches of train.batch_size (the 'eval-sets' stream; copied:
 * the loader reuses its buffers).
 * @throws UserError when the test split has fewer than sets × perSet batches (check evalSetsFit first).
 */
export function evalBatchSets(cfg: TrainConfig, data: DataSetup, sets: number, perSet: number): EvalBatch[][] {
  const batch = cfg.train.batch_size;
  const evalLoader = new BatchLoader(data.test, { batchSize: batch, shuffle: true, dropLast: true, normalization: data.normalization, seed: cfg.seed });
  const out: EvalBatch[][] = Array.from({ length: sets }, () => []);
  let k = 0;
  for (const b of evalLoader.batches(STREAMS.evalSets, 0)) {
    if (out[k]!.length >= perSet) k++;
    if (k >= sets) break;
    out[k]!.push({ images: Float32Array.from(b.images), labels: BigInt64Array.from(b.labels) });
  }
  if (out[sets - 1]!.length < perSet) throw new UserError(`the test split has fewer than ${sets * perSet} batches of ${batch}: lower --eval-batches`);
  return out;
}

/**
 * The Appendix B measurement (steps in the file comment) on `arch` (the config's seed network, fresh
 * weights from cfg.seed) with `data`, written into `outDir`: gn-accuracy.csv, .json, .md and the
 * scatter PNGs. Returns the summary written to gn-accuracy.json.
 * @throws UserError when the test split has fewer than 2 × evalBatches batches (check evalSetsFit first).
 */
export async function gnAccuracy(cfg: TrainConfig, data: DataSetup, arch: ArchState, outDir: string, opts: GnAccuracyOptions): Promise<Record<string, unknown>> {
  makeFolder(outDir, '--out');
  const runtime = { device: cfg.runtime.device, threads: cfg.runtime.threads };
  const batch = cfg.train.batch_size;
  const state = await trainSeed(cfg, data, arch, opts.progress);
  const g = cfg.grow;

  // θ learning sees the training set minus the held-out batches the final pass estimates on.
  const split = growData(data, batch, opts.finalBatches, cfg.seed);
  const { finalLoader, finalBatches } = split;
  const emaWeight = emaWeightOf(cfg, data.trainLoader.size);
  const snapshots: Snapshot[] = [];
  for (const variant of opts.variants) {
    const grow = await GrowEngine.create(arch, batch, variant.granularity, runtime);
    const theta = initTheta(arch, state.params, g.theta_init_scale, cfg.seed, 0);
    const wanted = new Set(opts.snapshots);
    const taken: { step: number; theta: TensorMap; ema: Estimates | null }[] = [];
    const copy = (t: TensorMap): TensorMap => new Map([...t].map(([k, v]) => [k, Float32Array.from(v)]));
    if (wanted.has(0)) taken.push({ step: 0, theta: copy(theta.theta), ema: null });
    const grown = await growPhase(
      grow,
      state,
      theta,
      split.growLoader,
      {
        epochs: g.phase_epochs,
        firstEpoch: 0,
        thetaLr: g.theta_lr,
        emaWeight,
        estimate: 'ema',
        maxSteps: g.theta_steps,
        thetaMaxNorm: variant.thetaMaxNorm,
        finalLoader,
        finalBatches,
        finalPassEpoch: 0,
        afterStep: (step, th, ema) => {
          if (wanted.has(step)) taken.push({ step, theta: copy(th.theta), ema: cloneEstimates(ema.value) });
        },
      },
      opts.progress,
      `grow (${variantName(variant)})`,
    );
    if (!taken.some((t) => t.step === grown.steps)) taken.push({ step: grown.steps, theta: copy(theta.theta), ema: cloneEstimates(grown.ema) });
    for (const t of taken) {
      const final = await finalPass(grow, state, { ...theta, theta: t.theta }, finalLoader, 0, finalBatches);
      snapshots.push({ variant, step: t.step, theta: t.theta, ema: t.ema, final });
    }
    await grow.release();
    opts.log(`${variantName(variant)}: ${grown.steps} Adam steps on θ in ${grown.seconds.toFixed(0)} s; snapshots after ${taken.map((t) => t.step).join(', ')} steps`);
  }

  const [A, B] = evalBatchSets(cfg, data, 2, opts.evalBatches) as [EvalBatch[], EvalBatch[]];
  const baseProbe = await lossProbe(arch, batch, runtime);
  const baseA = await baseProbe.loss(state, A);
  const baseB = await baseProbe.loss(state, B);
  await baseProbe.release();

  // The true ΔL of every morphism applied alone: prunes once (no θ), splits once per θ snapshot.
  const rows: Row[] = [];
  for (const layer of arch.layers) {
    const w = state.params.get(param.convWeight(layer.name))!;
    const rowLen = w.length / layer.width;
    const kinds: ('split' | 'prune')[] = layer.width > 1 ? ['split', 'prune'] : ['split'];
    for (const kind of kinds) {
      const probeArch = applyMorphisms(state, [kind === 'split' ? { kind, layer: layer.name, channel: 0, theta: new Float32Array(rowLen) } : { kind, layer: layer.name, channel: 0 }]).arch;
      const probe = await lossProbe(probeArch, batch, runtime);
      const pruneTruth = new Map<number, [number, number]>();
      const ww = rowSumSquares(w, layer.width);
      for (const snap of snapshots) {
        const th = snap.theta.get(layer.name)!;
        const tt = rowSumSquares(th, layer.width);
        for (let c = 0; c < layer.width; c++) {
          let truth: [number, number];
          let thetaOverW = NaN;
          if (kind === 'split') {
            const tc = th.slice(c * rowLen, (c + 1) * rowLen);
            const applied = applyMorphisms(state, [{ kind, layer: layer.name, channel: c, theta: tc }]);
            truth = [(await probe.loss(applied, A)) - baseA, (await probe.loss(applied, B)) - baseB];
            thetaOverW = Math.sqrt(tt[c]! / ww[c]!);
          } else {
            if (!pruneTruth.has(c)) {
              const applied = applyMorphisms(state, [{ kind, layer: layer.name, channel: c }]);
              pruneTruth.set(c, [(await probe.loss(applied, A)) - baseA, (await probe.loss(applied, B)) - baseB]);
            }
            truth = pruneTruth.get(c)!;
          }
          rows.push({
            variant: variantName(snap.variant),
            step: snap.step,
            layer: layer.name,
            channel: c,
            kind,
            ema: snap.ema ? snap.ema.get(layer.name)![kind][c]! : NaN,
            final: snap.final.get(layer.name)![kind][c]!,
            trueA: truth[0],
            trueB: truth[1],
            thetaOverW,
          });
        }
      }
      await probe.release();
    }
    opts.log(`${layer.name}: true ΔL of ${layer.width} splits × ${snapshots.length} θ snapshots and ${layer.width} prunes measured`);
  }

  writeFileAtomic(
    path.join(outDir, 'gn-accuracy.csv'),
    csvRows([
      ['variant', 'step', 'layer', 'channel', 'kind', 'estimate_ema', 'estimate_final', 'true_dl_a', 'true_dl_b', 'theta_over_w'],
      ...rows.map((r) => [r.variant, r.step, r.layer, r.channel, r.kind, r.ema, r.final, r.trueA, r.trueB, r.thetaOverW]),
    ]),
  );
  const results = snapshots.map((snap) => {
    const mine = rows.filter((r) => r.variant === variantName(snap.variant) && r.step === snap.step);
    return {
      variant: variantName(snap.variant),
      granularity: snap.variant.granularity,
      theta_max_norm: snap.variant.thetaMaxNorm,
      step: snap.step,
      pooled: summarize(mine),
      pooled_split: summarize(mine.filter((r) => r.kind === 'split')),
      pooled_prune: summarize(mine.filter((r) => r.kind === 'prune')),
      per_layer: Object.fromEntries(arch.layers.map((l) => [l.name, summarize(mine.filter((r) => r.layer === l.name))])),
      theta_over_w_median: Object.fromEntries(arch.layers.map((l) => [l.name, median(mine.filter((r) => r.layer === l.name && r.kind === 'split').map((r) => r.thetaOverW))])),
    };
  });
  const summary = {
    config: cfg.model,
    arch: arch.layers.map((l) => l.width),
    train_epochs: g.phase_epochs,
    eval_batches_per_set: opts.evalBatches,
    final_batches: finalBatches,
    final_pass_on: split.heldOutLoader ? `${split.heldOut} training images held out from θ learning` : 'training batches',
    base_loss_a: baseA,
    results,
  };
  writeJsonFile(path.join(outDir, 'gn-accuracy.json'), summary);
  writeFileAtomic(path.join(outDir, 'gn-accuracy.md'), markdownTable(results));
  for (const r of results) {
    const mine = rows.filter((x) => x.variant === r.variant && x.step === r.step);
    const panels = arch.layers.map((l) => ({
      title: `${l.name}  ρ ${fmt2(r.per_layer[l.name]!.spearman_final)} (ceil ${fmt2(r.per_layer[l.name]!.noise_ceiling_spearman)})`,
      series: (['split', 'prune'] as const).map((kind) => {
        const pts = mine.filter((x) => x.layer === l.name && x.kind === kind);
        return { label: kind, color: kind === 'split' ? '#1f77b4' : '#d62728', x: pts.map((p) => p.trueA), y: pts.map((p) => p.final) };
      }),
    }));
    await writeScatterGridPng(path.join(outDir, `scatter-${r.variant}-step${r.step}.png`), panels, {
      title: `final-pass estimate vs true ΔL per layer: ${r.variant}, θ after ${r.step} steps (pooled ρ ${fmt2(r.pooled.spearman_final)})`,
      xLabel: 'true ΔL (test batches A)',
      yLabel: 'estimated ΔL',
      diagonal: true,
    });
  }
  await split.close();
  return summary;
}

const fmt2 = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : '–');

function markdownTable(results: { variant: string; step: number; pooled: ReturnType<typeof summarize>; pooled_split: ReturnType<typeof summarize>; pooled_prune: ReturnType<typeof summarize>; theta_over_w_median: Record<string, number> }[]): string {
  const lines = [
    '| variant | θ steps | pooled ρ final | pooled ρ EMA | ceiling | splits ρ final | prunes ρ final | median ‖θ‖/‖w‖ (first / last layer) |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const r of results) {
    const tw = Object.values(r.theta_over_w_median);
    lines.push(
      `| ${r.variant} | ${r.step} | ${fmt2(r.pooled.spearman_final)} | ${fmt2(r.pooled.spearman_ema)} | ${fmt2(r.pooled.noise_ceiling_spearman)} | ${fmt2(r.pooled_split.spearman_final)} | ${fmt2(r.pooled_prune.spearman_final)} | ${tw.length ? `${fmt2(tw[0]!)} / ${fmt2(tw[tw.length - 1]!)}` : '–'} |`,
    );
  }
  return lines.join('\n') + '\n';
}
