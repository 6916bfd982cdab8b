// Epoch loops shared by `nasgrow train` and the training phases of `nasgrow run`.
import type { BatchLoader } from '../data';
import type { ProgressReporter } from '../report';
import { Engine, NonFiniteLossError } from './engine';
import { ModelState } from './model-state';

export interface EpochResult {
  loss: number;
  accuracy: number;
  images: number;
  seconds: number;
}

export async function trainEpoch(engine: Engine, state: ModelState, loader: BatchLoader, epoch: number, lr: number, progress: ProgressReporter | null, label: string): Promise<EpochResult> {
  const t0 = performance.now();
  let lossSum = 0;
  let correct = 0;
  let images = 0;
  progress?.start(label, loader.batchesPerEpoch);
  for await (const batch of loader.epoch(epoch)) {
    const r = await engine.trainStep(state, batch.images, batch.labels, lr);
    if (!Number.isFinite(r.loss)) {
      progress?.end('stopped');
      throw new NonFiniteLossError(
        `${label}: the training loss became ${r.loss} at batch ${batch.index + 1} (lr ${lr}). ` +
          'The weights diverged: lower train.lr (or raise train.batch_size) and start again, or resume from the last checkpoint with a lower lr.',
      );
    }
    lossSum += r.loss * batch.size;
    correct += r.correct;
    images += batch.size;
    progress?.update({ size: batch.size, loss: r.loss, correct: r.correct });
  }
  progress?.end();
  return { loss: lossSum / images, accuracy: correct / images, images, seconds: (performance.now() - t0) / 1000 };
}

export async function evaluate(engine: Engine, state: ModelState, loader: BatchLoader): Promise<EpochResult> {
  const t0 = performance.now();
  let lossSum = 0;
  let correct = 0;
  let images = 0;
  for await (const batch of loader.epoch(0)) {
    const r = await engine.evalBatch(state, batch.images, batch.labels, batch.size);
    lossSum += r.loss;
    correct += r.correct;
    images += batch.size;
  }
  return { loss: lossSum / images, accuracy: correct / images, images, seconds: (performance.now() - t0) / 1000 };
}
