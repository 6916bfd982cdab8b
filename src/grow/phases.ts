// One growing phase: learn θ with Adam on the Gauss-Newton objective for `epochs` epochs (or
// `maxSteps` steps, whichever ends first), averaging every morphism's estimate across mini-batches;
// optionally a final pass with θ fixed over held-out batches (docs/method.md#moving-average-and-final-pass: the moving average mixes
// estimates made with earlier θ; the final pass estimates the morphism that will actually be applied).
import type { BatchLoader } from '../data';
import type { ProgressReporter } from '../report';
import type { ModelState } from '../models/state';
import { param } from '../models/names';
import { NonFiniteLossError } from '../train/engine';
import { GrowEngine } from './grow-engine';
import { EstimateAverage, EstimateMean, Estimates } from './estimates';
import { faultPoint } from '../util/fault-injection';
import { STREAMS } from '../util/streams';
import { rowSumSquares, ThetaState } from './theta';

export interface GrowPhaseOptions {
  epochs: number;
  /** the pass of the 'grow' random stream this phase's first epoch is (growing epochs counted across phases) */
  firstEpoch: number;
  thetaLr: number;
  emaWeight: number;
  estimate: 'ema' | 'final';
  /** end θ learning after this many Adam steps (null: every batch of `epochs`) */
  maxSteps: number | null;
  /** after every step, θ_c is scaled back to ‖θ_c‖ ≤ thetaMaxNorm·‖w_in[c]‖ (null: no cap) */
  thetaMaxNorm: number | null;
  /** the final pass's batches (estimate 'final'): held-out loader, its first `finalBatches` batches
   *  of pass `finalPassEpoch` of the 'final-pass' stream */
  finalLoader: BatchLoader;
  finalBatches: number;
  finalPassEpoch: number;
  /** called after every Adam step (the gn-accuracy experiment snapshots θ here) */
  afterStep?: (step: number, theta: ThetaState, ema: EstimateAverage) => void;
}

export interface GrowPhaseResult {
  estimates: Estimates;
  /** the moving average over the phase (what 'ema' ranks by; reported beside 'final') */
  ema: Estimates;
  /** mean training loss seen during the phase */
  loss: number;
  seconds: number;
  images: number;
  steps: number;
}

/**
 * Run one growing phase on `loader` (the 'grow' random stream): an Adam step on `theta` (updated in
 * place) per batch, `model` frozen, every morphism's estimate averaged; then, with estimate 'final',
 * the final pass. Progress goes to `progress` under `label`.
 * @returns the estimates selection ranks by ('final' or the moving average), the moving average, the
 *   mean loss seen, and counts.
 * @throws NonFiniteLossError when the loss is NaN or infinite (the training phase before diverged).
 */
export async function growPhase(
  engine: GrowEngine,
  model: ModelState,
  theta: ThetaState,
  loader: BatchLoader,
  opts: GrowPhaseOptions,
  progress: ProgressReporter | null,
  label: string,
): Promise<GrowPhaseResult> {
  const t0 = performance.now();
  const ema = new EstimateAverage(model.arch, opts.emaWeight);
  let lossSum = 0;
  let images = 0;
  const stepsTotal = Math.min(opts.epochs * loader.batchesPerEpoch, opts.maxSteps ?? Infinity);
  let steps = 0;
  for (let e = 0; steps < stepsTotal; e++) {
    const inEpoch = Math.min(loader.batchesPerEpoch, stepsTotal - steps);
    progress?.start(opts.epochs > 1 || inEpoch < loader.batchesPerEpoch ? `${label} ${e + 1}/${Math.ceil(stepsTotal / loader.batchesPerEpoch)}` : label, inEpoch);
    let n = 0;
    for await (const batch of loader.epoch(STREAMS.grow, opts.firstEpoch + e)) {
      if (n++ >= inEpoch) break;
      const r = await engine.step(model, theta, batch.images, batch.labels, opts.thetaLr);
      if (!Number.isFinite(r.loss)) throw new NonFiniteLossError(`${label}: the loss is ${r.loss} at batch ${batch.index + 1}: the model diverged in the training phase before`);
      faultPoint('grow-step');
      if (opts.thetaMaxNorm !== null) capTheta(theta, model, opts.thetaMaxNorm);
      ema.add(r.estimates);
      lossSum += r.loss * batch.size;
      images += batch.size;
      steps++;
      progress?.update({ size: batch.size, loss: r.loss });
      opts.afterStep?.(theta.step, theta, ema);
    }
    progress?.end();
  }
  const estimates = opts.estimate === 'final' ? await finalPass(engine, model, theta, opts.finalLoader, opts.finalPassEpoch, opts.finalBatches) : ema.value;
  return { estimates, ema: ema.value, loss: lossSum / Math.max(1, images), seconds: (performance.now() - t0) / 1000, images, steps };
}

/** Projects every θ_c onto the ball ‖θ_c‖ ≤ κ‖w_in[c]‖ (row c of each layer's θ; Adam's moments stay). */
export function capTheta(theta: ThetaState, model: ModelState, kappa: number): void {
  for (const layer of model.arch.layers) {
    const th = theta.theta.get(layer.name)!;
    const tt = rowSumSquares(th, layer.width);
    const ww = rowSumSquares(model.params.get(param.convWeight(layer.name))!, layer.width);
    const len = th.length / layer.width;
    for (let c = 0; c < layer.width; c++) {
      const limit = kappa * Math.sqrt(ww[c]!);
      if (tt[c]! > limit * limit) {
        const f = limit / Math.sqrt(tt[c]!);
        for (let k = c * len; k < (c + 1) * len; k++) th[k]! *= f;
      }
    }
  }
}

/** The estimates of the morphisms θ now describes: their mean over the first `batches` batches of `loader`'s pass `epoch` of the 'final-pass' stream, θ fixed. */
export async function finalPass(engine: GrowEngine, model: ModelState, theta: ThetaState, loader: BatchLoader, epoch: number, batches: number): Promise<Estimates> {
  const mean = new EstimateMean(model.arch);
  let n = 0;
  for await (const batch of loader.epoch(STREAMS.finalPass, epoch)) {
    if (n++ >= batches) break;
    mean.add((await engine.step(model, theta, batch.images, batch.labels, 0)).estimates);
  }
  return mean.value;
}
