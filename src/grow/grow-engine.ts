// Runs the grow graph of one architecture state on ONNX Runtime (src/grow/graph.ts).
import { ArchState } from '../models/arch';
import { convSpec, paramSpecs } from '../models/params';
import { adamMName, adamVName, estimateName, IO, nextName, thetaName } from '../models/names';
import { createSession, f32Tensor, i64Tensor, ort, RuntimeOptions } from '../runtime/session';
import type { ModelState } from '../models/state';
import { buildGrowGraph, Granularity } from './graph';
import { Estimates } from './estimates';
import { ThetaState } from './theta';

/**
 * Runs the growing-step graph (src/grow/graph.ts) of one architecture state on ONNX Runtime; create a
 * new one when the architecture changes.
 */
export class GrowEngine {
  private constructor(
    readonly arch: ArchState,
    readonly batchSize: number,
    private readonly session: ort.InferenceSession,
  ) {}

  /** Build and load the growing step of `arch` (batch `batchSize`, Gauss-Newton `granularity`). */
  static async create(arch: ArchState, batchSize: number, granularity: Granularity, runtime: RuntimeOptions): Promise<GrowEngine> {
    return new GrowEngine(arch, batchSize, await createSession(buildGrowGraph(arch, batchSize, { granularity }), runtime));
  }

  /**
   * One growing step on a batch: returns the batch's estimates and loss; with lr > 0 Adam updates θ
   * in `theta` (lr = 0 evaluates the morphisms with θ fixed).
   */
  async step(model: ModelState, theta: ThetaState, images: Float32Array, labels: BigInt64Array, lr: number): Promise<{ loss: number; estimates: Estimates }> {
    const [C, H, W] = this.arch.inputShape;
    const B = this.batchSize;
    const feeds: Record<string, ort.Tensor> = {
      [IO.images]: f32Tensor(images, [B, C, H, W]),
      [IO.labels]: i64Tensor(labels, [B]),
      [IO.adamStep]: f32Tensor(Float32Array.of(theta.step + 1), []),
      [IO.thetaLr]: f32Tensor(Float32Array.of(lr), []),
    };
    const specs = paramSpecs(this.arch);
    for (const s of specs) feeds[s.name] = f32Tensor(model.params.get(s.name)!, s.shape);
    for (const layer of this.arch.layers) {
      const shape = convSpec(this.arch, layer.name).shape;
      feeds[thetaName(layer.name)] = f32Tensor(theta.theta.get(layer.name)!, shape);
      feeds[adamMName(layer.name)] = f32Tensor(theta.adamM.get(layer.name)!, shape);
      feeds[adamVName(layer.name)] = f32Tensor(theta.adamV.get(layer.name)!, shape);
    }
    const out = await this.session.run(feeds);
    const estimates: Estimates = new Map();
    for (const layer of this.arch.layers) {
      estimates.set(layer.name, {
        split: Float64Array.from(out[estimateName(layer.name, 'split_gn')]!.data as Float32Array),
        prune: Float64Array.from(out[estimateName(layer.name, 'prune_gn')]!.data as Float32Array),
      });
      if (lr > 0) {
        theta.theta.set(layer.name, out[nextName(thetaName(layer.name))]!.data as Float32Array);
        theta.adamM.set(layer.name, out[nextName(adamMName(layer.name))]!.data as Float32Array);
        theta.adamV.set(layer.name, out[nextName(adamVName(layer.name))]!.data as Float32Array);
      }
    }
    if (lr > 0) theta.step++;
    return { loss: (out[IO.loss]!.data as Float32Array)[0]!, estimates };
  }

  /** Free the ORT session. */
  async release(): Promise<void> {
    await this.session.release();
  }
}
