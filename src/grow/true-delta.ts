// The true change in loss of one morphism: apply it alone, evaluate the loss on fixed batches with
// batch-statistics BatchNorm (the mode the estimates assume; docs/method.md#batchnorm-mode: eval-mode BN with
// copied running statistics gives a different, unstable truth), and subtract the unchanged network's loss.
// The loss is the mean cross-entropy computed in float64 from the float32 logits, so that small ΔL are
// not lost to float32 rounding of L ≈ 1.
import { ArchState } from '../models/arch';
import { IO } from '../models/names';
import { paramSpecs } from '../models/params';
import { emitForward } from '../models/forward';
import { backward } from '../autodiff/backward';
import { DType, GraphBuilder, type Graph } from '../onnx/graph';
import { createSession, f32Tensor, i64Tensor, ort, RuntimeOptions } from '../runtime/session';
import type { ModelState } from '../models/state';

export interface EvalBatch {
  images: Float32Array;
  labels: BigInt64Array;
}

/**
 * The graph lossProbe runs: images [batch, C, H, W] and every parameter as inputs, the logits
 * [batch, classes] of the forward pass with batch-statistics BatchNorm as output. Finished: the forward
 * values saved for a backward pass that this graph does not have (BN's inverse std) are not computed.
 */
export function lossProbeGraph(arch: ArchState, batch: number): Graph {
  const b = new GraphBuilder('loss_probe');
  const [C, H, W] = arch.inputShape;
  b.input(IO.images, DType.FLOAT, [batch, C, H, W]);
  for (const s of paramSpecs(arch)) b.input(s.name, DType.FLOAT, s.shape);
  b.output(b.op1('Identity', [emitForward(b, arch, IO.images, (n) => n, 'train').logits], {}, { names: [IO.logits] }));
  return b.finish();
}

/**
 * Mean cross-entropy over `batches` (each of `batch` examples) of a model with `arch`'s shape, in
 * float64 from the float32 logits of lossProbeGraph.
 */
export async function lossProbe(arch: ArchState, batch: number, runtime: RuntimeOptions) {
  const [C, H, W] = arch.inputShape;
  const session = await createSession(lossProbeGraph(arch, batch), runtime);
  const specs = paramSpecs(arch);
  const K = arch.classes;
  const loss = async (state: ModelState, batches: EvalBatch[]): Promise<number> => {
    let total = 0;
    for (const bt of batches) {
      const feeds: Record<string, ort.Tensor> = { [IO.images]: f32Tensor(bt.images, [batch, C, H, W]) };
      for (const s of specs) feeds[s.name] = f32Tensor(state.params.get(s.name)!, s.shape);
      const z = (await session.run(feeds))[IO.logits]!.data as Float32Array;
      for (let n = 0; n < batch; n++) {
        let m = -Infinity;
        for (let k = 0; k < K; k++) m = Math.max(m, z[n * K + k]!);
        let sum = 0;
        for (let k = 0; k < K; k++) sum += Math.exp(z[n * K + k]! - m);
        total += m + Math.log(sum) - z[n * K + Number(bt.labels[n])]!;
      }
    }
    return total / (batch * batches.length);
  };
  return { loss, release: () => session.release() };
}

/**
 * The gradient of the mean cross-entropy of one batch (batch-statistics BatchNorm, as lossProbe) with
 * respect to one tensor `wrt` of a model with `arch`'s shape, by nasgrow's autodiff over the forward
 * graph. The morphism-quality experiment learns a split's θ on the true loss of the expanded network
 * with it: with the copies' kernels w ± θ, ∂L/∂θ = ∂L/∂w[c] − ∂L/∂w[copy].
 */
export async function gradientProbe(arch: ArchState, batch: number, wrt: string, runtime: RuntimeOptions) {
  const [C, H, W] = arch.inputShape;
  const specs = paramSpecs(arch);
  const { graph, grad } = gradientProbeGraph(arch, batch, wrt);
  const session = await createSession(graph, runtime);
  const run = async (state: ModelState, images: Float32Array, labelData: BigInt64Array): Promise<{ loss: number; grad: Float32Array }> => {
    const feeds: Record<string, ort.Tensor> = { [IO.images]: f32Tensor(images, [batch, C, H, W]), [IO.labels]: i64Tensor(labelData, [batch]) };
    for (const s of specs) feeds[s.name] = f32Tensor(state.params.get(s.name)!, s.shape);
    const out = await session.run(feeds);
    return { loss: (out[IO.loss]!.data as Float32Array)[0]!, grad: out[grad]!.data as Float32Array };
  };
  return { run, release: () => session.release() };
}

/**
 * The graph gradientProbe runs: images [batch, C, H, W], labels [batch] and every parameter as inputs;
 * the mean cross-entropy (scalar) and its gradient with respect to `wrt` (the shape of `wrt`, named
 * `grad`) as outputs. Finished: only the backward nodes on the way to `wrt` are kept.
 * @throws Error when the loss does not depend on `wrt` (a caller's bug: `wrt` is not a parameter).
 */
export function gradientProbeGraph(arch: ArchState, batch: number, wrt: string): { graph: Graph; grad: string } {
  const b = new GraphBuilder('gradient_probe');
  const [C, H, W] = arch.inputShape;
  b.input(IO.images, DType.FLOAT, [batch, C, H, W]);
  const labels = b.input(IO.labels, DType.INT64, [batch]);
  for (const s of paramSpecs(arch)) b.input(s.name, DType.FLOAT, s.shape);
  const logits = emitForward(b, arch, IO.images, (n) => n, 'train').logits;
  const [loss] = b.op('SoftmaxCrossEntropyLoss', [logits, labels], { reduction: 'mean' }, { outputs: 2, names: [IO.loss, 'log_prob'] });
  b.output(loss!);
  const grad = backward(b, loss!, [wrt]).grads.get(wrt);
  if (!grad) throw new Error(`the loss does not depend on ${wrt}`);
  b.output(grad);
  return { graph: b.finish(), grad };
}
