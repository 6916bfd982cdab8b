// The one epoch loop: `nasgrow train`, the training phases and the retraining of `nasgrow run`, the
// uniform baseline and the experiments all train through trainEpochs(). What differs between them —
// which epochs, the learning rate of each, the random stream of the batches, when to evaluate, what
// to record after an epoch — is passed in; the loop itself only steps, checks the loss and evaluates.
import { normalizationTable, type BatchLoader, type Normalization } from '../data';
import type { ModelState } from '../models/state';
import type { MetricRecord, ProgressReporter } from '../report';
import { STREAMS } from '../util/streams';
import { faultPoint } from '../util/fault-injection';
import { Engine, NonFiniteLossError } from './engine';
import type { SgdHyper } from './optimizer';

export interface EpochResult {
  /** mean loss per example */
  loss: number;
  /** fraction of examples classified right */
  accuracy: number;
  /** examples classified right, and seen */
  correct: number;
  images: number;
  /** wall time, seconds */
  seconds: number;
}

/** What the loop hands to `afterEpoch`. */
export interface EpochDone {
  /** 0-based epoch on the schedule; `epoch + 1` epochs are done */
  epoch: number;
  lr: number;
  train: EpochResult;
  /** the test-set evaluation after this epoch, or null when none was asked for */
  test: EpochResult | null;
}

export interface EpochLoopOptions {
  /** run epochs first, first + 1, ..., end − 1 (0-based, counted on the schedule) */
  first: number;
  end: number;
  /** learning rate of an epoch */
  lr: (epoch: number) => number;
  /** the random stream of the batches (src/util/streams.ts): epoch e's batches are its pass e */
  stream: string;
  /** how progress lines and errors name an epoch, e.g. "epoch 3/10" */
  label: (epoch: number) => string;
  /** evaluate on `test` after this epoch? (default: never) */
  evaluateAfter?: (epoch: number) => boolean;
  test?: BatchLoader;
  progress: ProgressReporter | null;
  /** after every epoch (after its evaluation): record metrics, write a checkpoint, log */
  afterEpoch?: (done: EpochDone) => void;
}

/**
 * Train `state` in place with `engine` on `loader`'s batches for epochs [first, end).
 * @returns the last epoch's results, or null when no epoch ran (first ≥ end).
 * @throws NonFiniteLossError when a batch's loss is NaN or infinite (the weights diverged).
 */
export async function trainEpochs(engine: Engine, state: ModelState, loader: BatchLoader, opts: EpochLoopOptions): Promise<EpochDone | null> {
  let last: EpochDone | null = null;
  for (let epoch = opts.first; epoch < opts.end; epoch++) {
    const lr = opts.lr(epoch);
    const train = await trainEpoch(engine, state, loader, opts.stream, epoch, lr, opts.progress, opts.label(epoch));
    let test: EpochResult | null = null;
    if (opts.evaluateAfter?.(epoch)) {
      if (!opts.test) throw new Error('trainEpochs: evaluateAfter without a test loader');
      test = await evaluate(engine, state, opts.test);
    }
    last = { epoch, lr, train, test };
    opts.afterEpoch?.(last);
    faultPoint('epoch');
  }
  return last;
}

/** One pass over `loader`'s epoch `epoch` of `stream`, an SGD step per batch at learning rate `lr`. */
async function trainEpoch(engine: Engine, state: ModelState, loader: BatchLoader, stream: string, epoch: number, lr: number, progress: ProgressReporter | null, label: string): Promise<EpochResult> {
  const t0 = performance.now();
  let lossSum = 0;
  let correct = 0;
  let images = 0;
  progress?.start(label, loader.batchesPerEpoch);
  for await (const batch of loader.epoch(stream, epoch)) {
    const r = await engine.trainStep(state, batch.images, batch.labels, lr);
    faultPoint('train-step');
    if (!Number.isFinite(r.loss)) {
      progress?.end('stopped');
      throw new NonFiniteLossError(`${label}: the training loss became ${r.loss} at batch ${batch.index + 1} (lr ${lr}). ${divergenceAdvice(engine.hyper, lr, loader.options.normalization)}`);
    }
    lossSum += r.loss * batch.size;
    correct += r.correct;
    images += batch.size;
    progress?.update({ size: batch.size, loss: r.loss, correct: r.correct });
  }
  progress?.end();
  return { loss: lossSum / images, accuracy: correct / images, correct, images, seconds: (performance.now() - t0) / 1000 };
}

/**
 * The metrics record of one epoch, the same columns for every command: phase (a growing run's phase
 * number, else null), kind (train, grow, retrain, baseline), epoch (1-based, on the schedule), lr,
 * train_loss and train_acc (running over the epoch), seconds and img_per_s (wall time), params, and
 * test_loss and test_acc (null where the test set was not evaluated). A growing phase's record has no
 * epoch; its lr is θ's and its train_loss the mean loss seen while learning θ.
 */
export function epochRecord(phase: number | null, kind: string, done: EpochDone | null, params: number, grow?: { lr: number; loss: number; seconds: number; images: number }): MetricRecord {
  const r = done?.train;
  const seconds = r?.seconds ?? grow?.seconds ?? null;
  const images = r?.images ?? grow?.images ?? null;
  return {
    phase,
    kind,
    epoch: done ? done.epoch + 1 : null,
    lr: done?.lr ?? grow?.lr ?? null,
    train_loss: r?.loss ?? grow?.loss ?? null,
    train_acc: r?.accuracy ?? null,
    seconds,
    img_per_s: seconds && images ? images / seconds : null,
    params,
    test_loss: done?.test?.loss ?? null,
    test_acc: done?.test?.accuracy ?? null,
  };
}

/**
 * The training numbers of an epoch as checkpoint metadata (safetensors metadata are strings), so that
 * a run resumed after its last epoch still reports them.
 */
export function trainResultMetadata(r: EpochResult, test?: EpochResult | null): Record<string, string> {
  // (not the wall time: a checkpoint holds only what the same run reproduces bit for bit)
  const m: Record<string, string> = { train_loss: String(r.loss), train_acc: String(r.accuracy), train_images: String(r.images) };
  if (test) Object.assign(m, { test_loss: String(test.loss), test_correct: String(test.correct), test_images: String(test.images) });
  return m;
}

/** The test evaluation trainResultMetadata stored, or null. */
export function testResultOf(metadata: Record<string, string>): EpochResult | null {
  const loss = Number(metadata.test_loss);
  const correct = Number(metadata.test_correct);
  const images = Number(metadata.test_images);
  if (metadata.test_loss === undefined || !Number.isFinite(loss) || !(images > 0)) return null;
  return { loss, accuracy: correct / images, correct, images, seconds: 0 };
}

/** The training numbers trainResultMetadata stored, or null (a checkpoint written without them). */
export function trainResultOf(metadata: Record<string, string>): EpochResult | null {
  const loss = Number(metadata.train_loss);
  const accuracy = Number(metadata.train_acc);
  if (metadata.train_loss === undefined || !Number.isFinite(loss) || !Number.isFinite(accuracy)) return null;
  const images = Number(metadata.train_images) || 0;
  return { loss, accuracy, correct: Math.round(accuracy * images), images, seconds: 0 };
}

/**
 * Normalised inputs beyond this size are blamed on the normalisation. It is what data.normalize's
 * smallest std (1e-6, src/config/schema.ts) allows: only `auto` on a nearly constant channel, or a
 * normalisation from before that check, goes past it.
 */
const LARGE_INPUT = 1e6;

/**
 * The channel whose normalised inputs (pixel/255 − mean) / std, as the batches hold them in float32,
 * get furthest from 0, and how far (Infinity when float32 overflows, NaN when the table holds NaN).
 */
function largestInput(norm: Normalization): { channel: number; value: number } {
  const lut = normalizationTable(norm, norm.mean.length);
  let worst = { channel: 0, value: 0 };
  for (let i = 0; i < lut.length; i++) {
    const v = Math.abs(lut[i]);
    if (!(v <= worst.value)) worst = { channel: Math.floor(i / 256), value: v };
    if (Number.isNaN(v)) break;
  }
  return worst;
}

/**
 * What most likely made the weights diverge, and what to do. Inputs normalised to infinity or to
 * beyond LARGE_INPUT (a std near 0, a mean far outside [0, 1]) make the loss NaN whatever the
 * learning rate, so the normalisation is checked first. SGD's weight decay multiplies every weight
 * by (1 − lr·wd) per step on top of the gradient step; at lr·wd ≥ 1 that alone flips and grows the
 * weights, whatever the data. Otherwise the learning rate is the usual suspect. The ways out are
 * named: a new run, or --resume from the last checkpoint with a lower train.lr (resume allows lowering it).
 * `normalization`: what the batches were normalised with (omitted: not considered).
 */
export function divergenceAdvice(hyper: SgdHyper, lr: number, normalization?: Normalization): string {
  if (normalization) {
    const { channel, value } = largestInput(normalization);
    if (!(value <= LARGE_INPUT)) {
      const size = Number.isFinite(value) ? `as large as ${value.toPrecision(3)}` : `${value} in float32`;
      return (
        `Likely cause: data.normalize: channel ${channel}'s mean ${normalization.mean[channel]} and std ${normalization.std[channel]} make the normalised inputs (pixel/255 − mean) / std ${size}, so the loss is NaN whatever train.lr. ` +
        'data.normalize is in units of pixel values scaled to [0, 1]: give each channel a mean in [0, 1] and a std in [1e-6, 1] (or auto, unless a channel is nearly constant) and start a new run with --out.'
      );
    }
  }
  const product = lr * hyper.weightDecay;
  // (an lr above 1 is the cause whatever the weight decay: that product is then large anyway)
  if (product >= 1 && lr <= 1) {
    return (
      `Likely cause: train.weight_decay ${hyper.weightDecay} × lr ${lr} = ${product} ≥ 1, so weight decay alone makes every weight overshoot zero and grow. ` +
      'Lower train.weight_decay (1e-4 is usual) and start a new run with --out (a resumed run keeps its weight decay).'
    );
  }
  return (
    `The weights diverged; likely cause: train.lr ${lr} is too large for this network and train.batch_size. Lower train.lr: ` +
    'start a new run with --out, or --resume this run from its last checkpoint with a lower train.lr (resume allows lowering it).'
  );
}

/** Mean loss and accuracy of `state` over every example of `loader` (BatchNorm running statistics). */
export async function evaluate(engine: Engine, state: ModelState, loader: BatchLoader): Promise<EpochResult> {
  const t0 = performance.now();
  let lossSum = 0;
  let correct = 0;
  let images = 0;
  for await (const batch of loader.epoch(STREAMS.test, 0)) {
    const r = await engine.evalBatch(state, batch.images, batch.labels, batch.size);
    lossSum += r.loss;
    correct += r.correct;
    images += batch.size;
  }
  return { loss: lossSum / images, accuracy: correct / images, correct, images, seconds: (performance.now() - t0) / 1000 };
}
