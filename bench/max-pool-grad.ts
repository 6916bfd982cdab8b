// MaxPool forward (with Indices) and backward on VGG-19's 2x2 pool shapes: the scatter-add form
// (ConstantOfShape + ScatterElements) against MaxUnpool (src/autodiff/rules/max-pool.ts), interleaved.
//   node dist/bench/max-pool-grad.js        (batch 64, 2 threads, median of 15 runs)
import { DType, GraphBuilder } from '../src/onnx/graph';
import { createSession, f32Tensor } from '../src/runtime/session';
import { maxPoolGrad } from '../src/autodiff/rules/max-pool';
import { interleavedMedians } from './interleave';

const N = 64;

async function one(C: number, H: number): Promise<string> {
  const make = async (form: 'scatter' | 'unpool') => {
    process.env.NASGROW_MAXPOOL_GRAD = form;
    const b = new GraphBuilder(`pool_${form}`);
    const x = b.input('x', DType.FLOAT, [N, C, H, H]);
    const dy = b.input('dy', DType.FLOAT, [N, C, H / 2, H / 2]);
    const [y] = b.op('MaxPool', [x], { kernel_shape: [2, 2], strides: [2, 2] }, { outputs: 2 });
    const dx = maxPoolGrad(b, b.graph.producerOf(y!)!, [dy], [true])[0]!;
    b.output(b.op1('Identity', [dx], {}, { names: ['dx'] }));
    b.output(b.op1('Identity', [y!], {}, { names: ['y'] }));
    delete process.env.NASGROW_MAXPOOL_GRAD;
    return createSession(b.finish(), { device: 'cpu', threads: 2 });
  };
  const sessions = [await make('scatter'), await make('unpool')];
  const feeds = {
    x: f32Tensor(Float32Array.from({ length: N * C * H * H }, (_, k) => Math.round(4 * Math.sin(k * 1.37)) / 4), [N, C, H, H]), // many ties
    dy: f32Tensor(Float32Array.from({ length: (N * C * H * H) / 4 }, (_, k) => Math.cos(k)), [N, C, H / 2, H / 2]),
  };
  const outs: Float32Array[] = [];
  for (const s of sessions) outs.push((await s.run(feeds)).dx!.data as Float32Array);
  const same = outs[0]!.every((v, i) => Object.is(v, outs[1]![i]));
  const [a, c] = (await interleavedMedians(sessions.map((s) => () => s.run(feeds)), 15)) as [number, number];
  for (const s of sessions) await s.release();
  return `max-pool fwd+bwd ${C} ch ${H}x${H}: identical=${same} scatter_ms=${a.toFixed(2)} unpool_ms=${c.toFixed(2)} speedup=${(a / c).toFixed(2)}`;
}

async function main() {
  for (const [C, H] of [[16, 32], [16, 16], [16, 8], [16, 4], [64, 32], [64, 8]] as const) console.log(await one(C, H));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
