// The true change in loss of one morphism: apply it alone, evaluate the loss on fixed batches with
// batch-statistics BatchNorm (the mode the estimates assume; docs/method.md#batchnorm-mode: eval-mode BN with
// copied running statistics gives a different, unstable truth), and subtract the unchanged network's loss.
// The loss is the mean cross-entropy computed in float64 from the float32 logits, so that small ΔL are
// not lost to float32 rounding of L ≈ 1.
import { ArchState } from '../models/arch';
import { IO } from '../models/names';
import { paramSpecs } from '../models/params';
import { emitForward } from '../models/forward';
import { DType, GraphBuilder } from '../onnx/graph';
import { createSession, f32Tensor, ort, RuntimeOptions } from '../runtime/session';
import type { ModelState } from '../models/state';

export interface EvalBatch {
  images: Float32Array;
  labels: BigInt64Array;
}

/** Mean cross-entropy over `batches` (each of `batch` examples) of a model with `arch`'s shape. */
export async function lossProbe(arch: ArchState, batch: number, runtime: RuntimeOptions) {
  const b = new GraphBuilder('loss_probe');
  const [C, H, W] = arch.inputShape;
  b.input(IO.images, DType.FLOAT, [batch, C, H, W]);
  for (const s of paramSpecs(arch)) b.input(s.name, DType.FLOAT, s.shape);
  b.output(b.op1('Identity', [emitForward(b, arch, IO.images, (n) => n, 'train').logits], {}, { names: [IO.logits] }));
  const session = await createSession(b.graph, runtime);
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
