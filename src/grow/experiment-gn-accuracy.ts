// `nasgrow experiment gn-accuracy CONFIG` (the paper's Appendix B): how well do the Gauss-Newton
// estimates predict each morphism's true change in loss?
//
//   1. train the seed for grow.phase_epochs epochs, then a growing phase of grow.phase_epochs epochs
//      (θ by Adam; the moving average of every estimate = the 'ema' estimate);
//   2. a final pass over `finalBatches` training batches with the learned θ fixed = the 'final' estimate;
//   3. the true ΔL of every split (with its learned θ) and every prune, each applied alone, on two
//      disjoint sets of test batches A and B (batch-statistics BN, src/grow/true-delta.ts);
//   4. per layer and pooled: Spearman and Pearson of each estimate against ΔL on A, beside the noise
//      ceiling Spearman(ΔL on A, ΔL on B); and how far θ travelled, |θ|/|w_in| per layer.
// Writes gn-accuracy.csv (one row per morphism) and gn-accuracy.json (the summary).
import * as fs from 'fs';
import * as path from 'path';
import { resolveArch, TrainConfig } from '../config';
import type { ProgressReporter } from '../report';
import { BatchLoader } from '../data';
import { applyMorphisms, Morphism } from '../morphisms';
import { setupData } from '../train/data-setup';
import { Engine } from '../train/engine';
import { trainEpoch } from '../train/loop';
import { freshModelState } from '../train/model-state';
import { lrAt } from '../train/schedule';
import { scheduleOf, sgdOf } from '../train/train-command';
import { Granularity } from './graph';
import { GrowEngine } from './grow-engine';
import { finalPass, growPhase } from './phases';
import { initTheta } from './theta';
import { EvalBatch, lossProbe } from './true-delta';

export interface GnAccuracyOptions {
  granularity: Granularity;
  /** test batches in each of the two evaluation sets */
  evalBatches: number;
  /** training batches of the final pass */
  finalBatches: number;
  log: (line: string) => void;
  progress: ProgressReporter | null;
}

interface Row {
  layer: string;
  channel: number;
  kind: 'split' | 'prune';
  ema: number;
  final: number;
  trueA: number;
  trueB: number;
}

export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const rank = (x: ArrayLike<number>) => {
    const idx = Array.from({ length: x.length }, (_, i) => i).sort((i, j) => x[i]! - x[j]!);
    const r = new Float64Array(x.length);
    idx.forEach((k, pos) => (r[k] = pos));
    return r;
  };
  return pearson(rank(a), rank(b));
}

export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0, mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]! / n;
    mb += b[i]! / n;
  }
  let num = 0, da = 0, db = 0;
  for (let i = 0; i < n; i++) {
    num += (a[i]! - ma) * (b[i]! - mb);
    da += (a[i]! - ma) ** 2;
    db += (b[i]! - mb) ** 2;
  }
  return da > 0 && db > 0 ? num / Math.sqrt(da * db) : NaN;
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

export async function gnAccuracy(cfg: TrainConfig, outDir: string, opts: GnAccuracyOptions): Promise<Record<string, unknown>> {
  fs.mkdirSync(outDir, { recursive: true });
  const runtime = { device: cfg.runtime.device, threads: cfg.runtime.threads };
  const batch = cfg.train.batch_size;
  const data = await setupData(cfg, opts.log);
  const arch = resolveArch(cfg, { inputShape: data.train.shape, classes: data.train.classes });
  const state = freshModelState(arch, cfg.seed);
  const g = cfg.grow;

  const engine = await Engine.create(arch, batch, sgdOf(cfg), runtime);
  const schedule = { ...scheduleOf(cfg), epochs: g.phase_epochs };
  for (let e = 0; e < g.phase_epochs; e++) await trainEpoch(engine, state, data.trainLoader, e, lrAt(schedule, e), opts.progress, `train ${e + 1}/${g.phase_epochs}`);
  await engine.release();

  const grow = await GrowEngine.create(arch, batch, opts.granularity, runtime);
  const theta = initTheta(arch, state.params, g.theta_init_scale, cfg.seed, 0);
  const emaWeight = g.ema_weight === 'auto' ? batch / (2 * data.trainLoader.size) : g.ema_weight;
  const grown = await growPhase(grow, state, theta, data.trainLoader, { epochs: g.phase_epochs, epochOffset: 1000, thetaLr: g.theta_lr, emaWeight, estimate: 'ema', finalBatches: 0 }, opts.progress, 'grow');
  const finalEstimates = await finalPass(grow, state, theta, data.trainLoader, 2000, opts.finalBatches);
  await grow.release();

  // Two disjoint evaluation sets of test batches (copied: the loader reuses its buffers).
  const evalLoader = new BatchLoader(data.test, { batchSize: batch, shuffle: true, dropLast: true, normalization: data.normalization, seed: cfg.seed });
  const sets: EvalBatch[][] = [[], []];
  for (const b of evalLoader.batches(0)) {
    const k = sets[0]!.length < opts.evalBatches ? 0 : 1;
    if (sets[1]!.length >= opts.evalBatches) break;
    sets[k]!.push({ images: Float32Array.from(b.images), labels: BigInt64Array.from(b.labels) });
  }
  if (sets[1]!.length < opts.evalBatches) throw new Error(`the test split has fewer than ${2 * opts.evalBatches} batches of ${batch}: lower --eval-batches`);
  const [A, B] = sets as [EvalBatch[], EvalBatch[]];
  const baseProbe = await lossProbe(arch, batch, runtime);
  const baseA = await baseProbe.loss(state, A);
  const baseB = await baseProbe.loss(state, B);
  await baseProbe.release();

  const rows: Row[] = [];
  const thetaTravel: Record<string, number> = {};
  for (const layer of arch.layers) {
    const w = state.params.get(`${layer.name}.conv.weight`)!;
    const th = theta.theta.get(layer.name)!;
    const rowLen = th.length / layer.width;
    thetaTravel[layer.name] = Math.sqrt(th.reduce((a, v) => a + v * v, 0) / w.reduce((a, v) => a + v * v, 0));
    const kinds: ('split' | 'prune')[] = layer.width > 1 ? ['split', 'prune'] : ['split'];
    for (const kind of kinds) {
      const probeArch = applyMorphisms(state, [kind === 'split' ? { kind, layer: layer.name, channel: 0, theta: new Float32Array(rowLen) } : { kind, layer: layer.name, channel: 0 }]).arch;
      const probe = await lossProbe(probeArch, batch, runtime);
      for (let c = 0; c < layer.width; c++) {
        const m: Morphism = kind === 'split' ? { kind, layer: layer.name, channel: c, theta: th.slice(c * rowLen, (c + 1) * rowLen) } : { kind, layer: layer.name, channel: c };
        const applied = applyMorphisms(state, [m]);
        rows.push({
          layer: layer.name,
          channel: c,
          kind,
          ema: grown.estimates.get(layer.name)![kind][c]!,
          final: finalEstimates.get(layer.name)![kind][c]!,
          trueA: (await probe.loss(applied, A)) - baseA,
          trueB: (await probe.loss(applied, B)) - baseB,
        });
      }
      await probe.release();
    }
    opts.log(`${layer.name}: ${JSON.stringify(summarize(rows.filter((r) => r.layer === layer.name)), (_, v) => (typeof v === 'number' ? Number(v.toFixed(3)) : v))}`);
  }
  fs.writeFileSync(
    path.join(outDir, 'gn-accuracy.csv'),
    ['layer,channel,kind,estimate_ema,estimate_final,true_dl_a,true_dl_b', ...rows.map((r) => [r.layer, r.channel, r.kind, r.ema, r.final, r.trueA, r.trueB].join(','))].join('\n') + '\n',
  );
  const summary = {
    granularity: opts.granularity,
    arch: arch.layers.map((l) => l.width),
    eval_batches_per_set: opts.evalBatches,
    final_batches: opts.finalBatches,
    base_loss_a: baseA,
    pooled: summarize(rows),
    pooled_split: summarize(rows.filter((r) => r.kind === 'split')),
    pooled_prune: summarize(rows.filter((r) => r.kind === 'prune')),
    per_layer: Object.fromEntries(arch.layers.map((l) => [l.name, summarize(rows.filter((r) => r.layer === l.name))])),
    theta_over_w: thetaTravel,
  };
  fs.writeFileSync(path.join(outDir, 'gn-accuracy.json'), JSON.stringify(summary, null, 2) + '\n');
  await data.trainLoader.close();
  return summary;
}
