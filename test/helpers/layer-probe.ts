// A probe graph outside the grow graph: the batch-statistics forward, the mean loss, and for every dense
// layer l its output z_l (after the channel-wise tail, models/forward.ts) and g_l = ∂L/∂z_l. The
// estimate tests compute s and ΔL_GN from these in JS; bench/split-dz.ts measures Δz with it.
import { ArchState } from '../../src/models/arch';
import { paramSpecs, TensorMap } from '../../src/models/params';
import { emitForward } from '../../src/models/forward';
import { DType, GraphBuilder } from '../../src/onnx/graph';
import { backward } from '../../src/autodiff/backward';
import { createSession, f32Tensor, i64Tensor, ort } from '../../src/runtime/session';

/** Outputs: `loss` (batch mean), `per_sample` [N], `z.<layer>` and `g.<layer>` for every dense layer. */
export async function layerProbe(arch: ArchState, batch: number, threads = 1) {
  const b = new GraphBuilder('probe');
  const [C, H, W] = arch.inputShape;
  b.input('images', DType.FLOAT, [batch, C, H, W]);
  b.input('labels', DType.INT64, [batch]);
  for (const s of paramSpecs(arch)) b.input(s.name, DType.FLOAT, s.shape);
  const f = emitForward(b, arch, 'images', (n) => n, 'train');
  const [loss] = b.op('SoftmaxCrossEntropyLoss', [f.logits, 'labels'], { reduction: 'none' }, { outputs: 2 });
  const mean = b.op1('ReduceMean', [loss!], { axes: [0], keepdims: 0 }, { names: ['loss'] });
  b.output(mean);
  b.output(b.op1('Identity', [loss!], {}, { names: ['per_sample'] }));
  const g = backward(b, mean, f.layers.map((l) => l.z)).grads;
  f.layers.forEach((l) => {
    b.output(b.op1('Identity', [l.z], {}, { names: [`z.${l.name}`] }));
    b.output(b.op1('Identity', [g.get(l.z)!], {}, { names: [`g.${l.name}`] }));
  });
  const session = await createSession(b.graph, { device: 'cpu', threads });
  const run = (params: TensorMap, images: Float32Array, labels: BigInt64Array) => {
    const feeds: Record<string, ort.Tensor> = { images: f32Tensor(images, [batch, C, H, W]), labels: i64Tensor(labels, [batch]) };
    for (const s of paramSpecs(arch)) feeds[s.name] = f32Tensor(params.get(s.name)!, s.shape);
    return session.run(feeds);
  };
  return { run, release: () => session.release() };
}
