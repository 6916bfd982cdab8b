// Microbenchmark: weight gradient of a 3x3 conv, formulations compared in one run, interleaved.
import { DType, GraphBuilder } from '../src/onnx/graph';
import { createSession, f32Tensor } from '../src/runtime/session';
import { convGrad } from '../src/autodiff/rules/conv';
import { interleavedMedians } from './interleave';

async function main() {
  const [N, C, H] = [Number(process.argv[2] ?? 64), Number(process.argv[3] ?? 16), Number(process.argv[4] ?? 32)];
  const O = C;
  const mk = (method: string) => {
    const b = new GraphBuilder(method);
    const x = b.input('x', DType.FLOAT, [N, C, H, H]);
    const w = b.input('w', DType.FLOAT, [O, C, 3, 3]);
    const dy = b.input('dy', DType.FLOAT, [N, O, H, H]);
    let dW: string;
    if (method === 'im2col-nhwc') {
      const y = b.op1('Conv', [x, w], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
      const node = b.graph.producerOf(y)!;
      dW = convGrad(b, node, [dy], [true, true])[1]!;
    } else if (method === 'onehot-conv') {
      // cols[n, c*9+t, y, x] = Xpad[n, c, y+i_t, x+j_t] by a depthwise conv with one-hot kernels
      const e = new Float32Array(C * 9 * 9);
      for (let c = 0; c < C; c++) for (let t = 0; t < 9; t++) e[(c * 9 + t) * 9 + t] = 1;
      const E = b.initializer('onehot', { dtype: DType.FLOAT, shape: [C * 9, 1, 3, 3], data: e });
      const cols = b.op1('Conv', [x, E], { group: C, kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
      const colsR = b.op1('Reshape', [cols, b.ints([N, C * 9, H * H])]);
      const dyT = b.op1('Transpose', [b.op1('Reshape', [dy, b.ints([N, O, H * H])])], { perm: [0, 2, 1] });
      const per = b.op1('MatMul', [colsR, dyT]); // [N, 9C, O]
      const sum = b.op1('ReduceSum', [per, b.ints([0])], { keepdims: 0 });
      dW = b.op1('Transpose', [b.op1('Reshape', [sum, b.ints([C, 3, 3, O])])], { perm: [3, 0, 1, 2] });
    } else {
      // onehot conv, then fold N into K: cols [N,9C,HW] -> [9C, N*HW] needs a transpose; use Gemm on dY^T
      const e = new Float32Array(C * 9 * 9);
      for (let c = 0; c < C; c++) for (let t = 0; t < 9; t++) e[(c * 9 + t) * 9 + t] = 1;
      const E = b.initializer('onehot', { dtype: DType.FLOAT, shape: [C * 9, 1, 3, 3], data: e });
      const cols = b.op1('Conv', [x, E], { group: C, kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
      const colsT = b.op1('Reshape', [b.op1('Transpose', [cols], { perm: [1, 0, 2, 3] }), b.ints([C * 9, N * H * H])]);
      const dyT = b.op1('Reshape', [b.op1('Transpose', [dy], { perm: [1, 0, 2, 3] }), b.ints([O, N * H * H])]);
      const g = b.op1('Gemm', [dyT, colsT], { transB: 1 }); // [O, 9C]
      dW = b.op1('Reshape', [g, b.ints([O, C, 3, 3])]);
    }
    b.output(b.op1('Identity', [dW], {}, { names: ['dW'] }));
    return createSession(b.graph, { device: 'cpu', threads: 2 });
  };
  const methods = ['im2col-nhwc', 'onehot-conv', 'onehot-gemm'];
  const sessions = await Promise.all(methods.map(mk));
  const feeds = {
    x: f32Tensor(Float32Array.from({ length: N * C * H * H }, (_, i) => Math.sin(i)), [N, C, H, H]),
    w: f32Tensor(Float32Array.from({ length: O * C * 9 }, (_, i) => Math.cos(i)), [O, C, 3, 3]),
    dy: f32Tensor(Float32Array.from({ length: N * O * H * H }, (_, i) => Math.sin(i * 0.37)), [N, O, H, H]),
  };
  const results: Float32Array[] = [];
  for (const s of sessions) results.push((await s.run(feeds)).dW!.data as Float32Array);
  const ms = await interleavedMedians(sessions.map((s) => () => s.run(feeds)), 10, 2);
  const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
  methods.forEach((m, i) => {
    console.log(`${m.padEnd(14)} median ${ms[i]!.toFixed(2)} ms  maxdiff vs first ${maxDiff(results[i]!, results[0]!).toExponential(2)}`);
  });
}
main();
