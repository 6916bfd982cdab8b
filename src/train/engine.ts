// Runs the training and evaluation graphs of one architecture state on ONNX Runtime.
import { ArchState } from '../models/arch';
import { paramSpecs, ParamSpec } from '../models/params';
import { createSession, f32Tensor, i64Tensor, ort, RuntimeOptions } from '../runtime/session';
import { IO, momentumName, nextName } from '../models/names';
import type { ModelState } from '../models/state';
import { UserError } from '../util/errors';
import { buildEvalGraph, buildTrainGraph } from './graphs';
import type { SgdHyper } from './optimizer';

export interface StepResult {
  /** trainStep: the batch's mean cross-entropy; evalBatch: its summed cross-entropy */
  loss: number;
  /** examples whose arg-max logit is the label */
  correct: number;
}

/** The loss became NaN or infinite: the weights diverged (the user lowers the learning rate). */
export class NonFiniteLossError extends UserError {}

/**
 * Runs the training and evaluation graphs (src/train/graphs.ts) of one architecture state on ONNX
 * Runtime. The graphs take every weight as an input and return the updated ones, so one Engine serves
 * any number of ModelStates of that architecture; create a new Engine when the architecture changes.
 */
export class Engine {
  private constructor(
    readonly arch: ArchState,
    readonly batchSize: number,
    readonly hyper: SgdHyper,
    private readonly train: ort.InferenceSession,
    private readonly evaluation: ort.InferenceSession,
    private readonly specs: ParamSpec[],
  ) {}

  /**
   * Build and load the training graph (fixed batch `batchSize`, SGD `hyper`) and the evaluation graph
   * (any batch) of `arch`. @throws Error when ORT cannot load them, or runtime.device is 'cuda' without
   * its provider (src/runtime/session.ts).
   */
  static async create(arch: ArchState, batchSize: number, hyper: SgdHyper, runtime: RuntimeOptions): Promise<Engine> {
    const train = await createSession(buildTrainGraph(arch, batchSize, hyper), runtime);
    const evaluation = await createSession(buildEvalGraph(arch), runtime);
    return new Engine(arch, batchSize, hyper, train, evaluation, paramSpecs(arch));
  }

  /**
   * One SGD step on a batch: forward, backward, SGD with momentum and the BatchNorm running statistics
   * (formulas in src/train/graphs.ts).
   * @param images  normalised pixels, [batchSize, C, H, W] row-major
   * @param labels  class indices, [batchSize]
   * @param lr      the learning rate of this step
   * @returns the batch's mean loss and correct count; `state` is updated in place (its maps then hold
   *          the arrays ORT returned). A non-finite loss is returned, not thrown: the epoch loop
   *          (src/train/loop.ts) decides what to tell the user.
   * @throws Error from ONNX Runtime when the step cannot run (e.g. memory); a `state` without a tensor
   *         of this architecture, or arrays of other sizes, is a caller's bug and fails there too.
   */
  async trainStep(state: ModelState, images: Float32Array, labels: BigInt64Array, lr: number): Promise<StepResult> {
    const [C, H, W] = this.arch.inputShape;
    const B = this.batchSize;
    const feeds: Record<string, ort.Tensor> = {
      [IO.images]: f32Tensor(images, [B, C, H, W]),
      [IO.labels]: i64Tensor(labels, [B]),
      [IO.lr]: f32Tensor(Float32Array.of(lr), []),
    };
    for (const s of this.specs) {
      feeds[s.name] = f32Tensor(state.params.get(s.name)!, s.shape);
      if (s.trainable) feeds[momentumName(s.name)] = f32Tensor(state.momentum.get(s.name)!, s.shape);
    }
    const out = await this.train.run(feeds);
    for (const s of this.specs) {
      state.params.set(s.name, out[nextName(s.name)]!.data as Float32Array);
      if (s.trainable) state.momentum.set(s.name, out[nextName(momentumName(s.name))]!.data as Float32Array);
    }
    return { loss: (out[IO.loss]!.data as Float32Array)[0]!, correct: (out[IO.correct]!.data as Float32Array)[0]! };
  }

  /**
   * Summed loss and correct count of one evaluation batch (BatchNorm with running statistics); the
   * first `size` examples of `images` [≥ size, C, H, W] and `labels` are used.
   */
  async evalBatch(state: ModelState, images: Float32Array, labels: BigInt64Array, size: number): Promise<StepResult> {
    const [C, H, W] = this.arch.inputShape;
    const feeds: Record<string, ort.Tensor> = {
      [IO.images]: f32Tensor(images.subarray(0, size * C * H * W), [size, C, H, W]),
      [IO.labels]: i64Tensor(labels.subarray(0, size), [size]),
    };
    for (const s of this.specs) feeds[s.name] = f32Tensor(state.params.get(s.name)!, s.shape);
    const out = await this.evaluation.run(feeds, [IO.lossSum, IO.correct]);
    return { loss: (out[IO.lossSum]!.data as Float32Array)[0]!, correct: (out[IO.correct]!.data as Float32Array)[0]! };
  }

  /** Free both ORT sessions. */
  async release(): Promise<void> {
    await this.train.release();
    await this.evaluation.release();
  }
}
