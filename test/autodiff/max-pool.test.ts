// The max-pool gradient's two forms (src/autodiff/rules/max-pool.ts): MaxUnpool where the windows do
// not overlap, the scatter-add otherwise. On inputs full of ties both must route each gradient to the
// element MaxPool's Indices chose, bit for bit; an overlapping pool must keep the scatter-add (two
// windows can choose the same element, whose gradients add).
import test from 'ava';
import { DType, GraphBuilder } from '../../src/onnx/graph';
import { maxPoolGrad } from '../../src/autodiff/rules/max-pool';
import { createSession, f32Tensor } from '../../src/runtime/session';

async function grad(form: 'scatter' | 'unpool', kernel: number, stride: number, H: number) {
  process.env.NASGROW_MAXPOOL_GRAD = form;
  const b = new GraphBuilder('pool');
  const x = b.input('x', DType.FLOAT, [2, 3, H, H]);
  const [y] = b.op('MaxPool', [x], { kernel_shape: [kernel, kernel], strides: [stride, stride] }, { outputs: 2 });
  const ys = b.staticShape(y!);
  const dy = b.input('dy', DType.FLOAT, ys);
  const dx = maxPoolGrad(b, b.graph.producerOf(y!)!, [dy], [true])[0]!;
  delete process.env.NASGROW_MAXPOOL_GRAD;
  const ops = b.graph.nodes.map((n) => n.opType);
  b.output(b.op1('Identity', [dx], {}, { names: ['dx'] }));
  const s = await createSession(b.finish(), { device: 'cpu', threads: 1 });
  const n = ys.reduce((a, d) => a * d, 1);
  const out = await s.run({
    x: f32Tensor(Float32Array.from({ length: 2 * 3 * H * H }, (_, k) => Math.round(2 * Math.sin(k * 1.37)) / 2), [2, 3, H, H]),
    dy: f32Tensor(Float32Array.from({ length: n }, (_, k) => 1 + k), ys),
  });
  await s.release();
  return { ops, dx: out.dx!.data as Float32Array };
}

test('2x2 stride-2 pools (odd extent too): MaxUnpool, bit for bit the scatter-add, ties included', async (t) => {
  for (const H of [8, 7]) {
    const u = await grad('unpool', 2, 2, H);
    const s = await grad('scatter', 2, 2, H);
    t.true(u.ops.includes('MaxUnpool') && !s.ops.includes('MaxUnpool'));
    t.is(u.dx.length, 2 * 3 * H * H);
    t.true(u.dx.every((v, i) => Object.is(v, s.dx[i])), `H=${H}`);
  }
});

test('an overlapping pool (3x3 stride 1) keeps the scatter-add, which sums what two windows route to one element', async (t) => {
  const g = await grad('unpool', 3, 1, 6);
  t.false(g.ops.includes('MaxUnpool'));
  t.true(g.ops.includes('ScatterElements'));
  // dy is 1, 2, ..., 96 (2·3 channels of 4x4 outputs): a scatter that overwrote shared elements would
  // lose some of the sum 96·97/2; the scatter-add keeps all of it
  const total = g.dx.reduce((a, v) => a + v, 0);
  t.is(total, (96 * 97) / 2);
  t.true(g.dx.some((v) => v > 96), 'no element got two windows: the input does not test the sum');
});
