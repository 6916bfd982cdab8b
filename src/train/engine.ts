// Runs the training and evaluation graphs of one architecture state on ONNX Runtime.
import { ArchState } from '../models/arch';
import { paramSpecs, ParamSpec } from '../models/params';
import { modelBytes } from '../onnx/writer';
import { createSession, f32Tensor, i64Tensor, ort, RuntimeOptions } from '../runtime/session';
import { buildEvalGraph, buildTrainGraph, momentumName, nextName, SgdHyper } from './graphs';
import { ModelState } from './model-state';
import { UserError } from '../util/errors';

export interface StepResult {
  loss: number;
  correct: number;
}

export class NonFiniteLossError extends UserError {}

export class Engine {
  private constructor(
    readonly arch: ArchState,
    readonly batchSize: number,
    private readonly train: ort.InferenceSession,
    private readonly evaluation: ort.InferenceSession,
    private readonly specs: ParamSpec[],
  ) {}

  static async create(arch: ArchState, batchSize: number, hyper: SgdHyper, runtime: RuntimeOptions): Promise<Engine> {
    const train = await createSession(modelBytes(buildTrainGraph(arch, batchSize, hyper)), runtime);
    const evaluation = await createSession(modelBytes(buildEvalGraph(arch)), runtime);
    return new Engine(arch, batchSize, train, evaluation, paramSpecs(arch));
  }

  /** One SGD step; updates `state` in place (its maps point at the new arrays). */
  async trainStep(state: ModelState, images: Float32Array, labels: BigInt64Array, lr: number): Promise<StepResult> {
    const [C, H, W] = this.arch.inputShape;
    const B = this.batchSize;
    const feeds: Record<string, ort.Tensor> = {
      images: f32Tensor(images, [B, C, H, W]),
      labels: i64Tensor(labels, [B]),
      lr: f32Tensor(Float32Array.of(lr), []),
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
    return { loss: (out.loss!.data as Float32Array)[0]!, correct: (out.correct!.data as Float32Array)[0]! };
  }

  /** Summed loss and correct count of one evaluation batch (BN running statistics). */
  async evalBatch(state: ModelState, images: Float32Array, labels: BigInt64Array, size: number): Promise<StepResult> {
    const [C, H, W] = this.arch.inputShape;
    const feeds: Record<string, ort.Tensor> = {
      images: f32Tensor(images.subarray(0, size * C * H * W), [size, C, H, W]),
      labels: i64Tensor(labels.subarray(0, size), [size]),
    };
    for (const s of this.specs) feeds[s.name] = f32Tensor(state.params.get(s.name)!, s.shape);
    const out = await this.evaluation.run(feeds, ['loss_sum', 'correct']);
    return { loss: (out.loss_sum!.data as Float32Array)[0]!, correct: (out.correct!.data as Float32Array)[0]! };
  }

  async release(): Promise<void> {
    await this.train.release();
    await this.evaluation.release();
  }
}
