// One growing phase: learn θ with Adam on the Gauss-Newton objective over `epochs` epochs of the
// training set, averaging every morphism's estimate across mini-batches; optionally a final pass with
// θ fixed (ALGORITHM.md: the EMA averages estimates made with earlier θ; the final pass estimates the
// morphism that will actually be applied).
import type { BatchLoader } from '../data';
import type { ProgressReporter } from '../report';
import type { ModelState } from '../train/model-state';
import { NonFiniteLossError } from '../train/engine';
import { GrowEngine } from './grow-engine';
import { EstimateAverage, EstimateMean, Estimates } from './estimates';
import { ThetaState } from './theta';

export interface GrowPhaseOptions {
  epochs: number;
  /** first global epoch index of this phase (shuffling and augmentation derive from it) */
  epochOffset: number;
  thetaLr: number;
  emaWeight: number;
  estimate: 'ema' | 'final';
  /** batches of the final pass (estimate 'final') */
  finalBatches: number;
}

export interface GrowPhaseResult {
  estimates: Estimates;
  /** mean training loss seen during the phase */
  loss: number;
  seconds: number;
  images: number;
}

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
  for (let e = 0; e < opts.epochs; e++) {
    progress?.start(`${label} epoch ${e + 1}/${opts.epochs}`, loader.batchesPerEpoch);
    for await (const batch of loader.epoch(opts.epochOffset + e)) {
      const r = await engine.step(model, theta, batch.images, batch.labels, opts.thetaLr);
      if (!Number.isFinite(r.loss)) throw new NonFiniteLossError(`${label}: the loss is ${r.loss} at batch ${batch.index + 1}: the model diverged in the training phase before`);
      ema.add(r.estimates);
      lossSum += r.loss * batch.size;
      images += batch.size;
      progress?.update({ size: batch.size, loss: r.loss, correct: 0 });
    }
    progress?.end();
  }
  const estimates = opts.estimate === 'final' ? await finalPass(engine, model, theta, loader, opts.epochOffset + opts.epochs, opts.finalBatches) : ema.value;
  return { estimates, loss: lossSum / Math.max(1, images), seconds: (performance.now() - t0) / 1000, images };
}

/** The estimates of the morphisms θ now describes: their mean over `batches` batches of epoch `epoch`, θ fixed. */
export async function finalPass(engine: GrowEngine, model: ModelState, theta: ThetaState, loader: BatchLoader, epoch: number, batches: number): Promise<Estimates> {
  const mean = new EstimateMean(model.arch);
  let n = 0;
  for await (const batch of loader.epoch(epoch)) {
    if (n++ >= batches) break;
    mean.add((await engine.step(model, theta, batch.images, batch.labels, 0)).estimates);
  }
  return mean.value;
}
