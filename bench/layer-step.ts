// Microbenchmark: forward + dX + dW of one 3x3 conv layer, formulations compared in one run, interleaved.
import { DType, GraphBuilder } from '../src/onnx/graph';
import { createSession, f32Tensor } from '../src/runtime/session';
import { convGrad } from '../src/autodiff/rules/conv';

async function main() {
  const [N, C, H] = [Number(process.argv[2] ?? 64), Number(process.argv[3] ?? 16), Number(process.argv[4] ?? 32)];
  const O = C;
  const made = new Map<GraphBuilder, string>();
  const onehot = (b: GraphBuilder) => {
    if (made.has(b)) return made.get(b)!;
    const e = new Float32Array(C * 9 * 9);
    for (let c = 0; c < C; c++) for (let t = 0; t < 9; t++) e[(c * 9 + t) * 9 + t] = 1;
    made.set(b, b.initializer('onehot', { dtype: DType.FLOAT, shape: [C * 9, 1, 3, 3], data: e }));
    return made.get(b)!;
  };
  const mk = (method: string) => {
    const b = new GraphBuilder(method);
    const x = b.input('x', DType.FLOAT, [N, C, H, H]);
    const w = b.input('w', DType.FLOAT, [O, C, 3, 3]);
    const dy = b.input('dy', DType.FLOAT, [N, O, H, H]);
    let y: string, dX: string, dW: string;
    if (method === 'A-current' || method === 'B-onehot-dW') {
      y = b.op1('Conv', [x, w], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
      if (method === 'A-current') {
        const g = convGrad(b, b.graph.producerOf(y)!, [dy], [true, true]);
        dX = g[0]!;
        dW = g[1]!;
      } else {
        const big = 2 ** 62;
        const k = b.op1('Slice', [b.op1('Transpose', [w], { perm: [1, 0, 2, 3] }), b.ints([-1, -1]), b.ints([-big, -big]), b.ints([2, 3]), b.ints([-1, -1])]);
        dX = b.op1('Conv', [dy, k], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
        const cols = b.op1('Reshape', [b.op1('Conv', [x, onehot(b)], { group: C, kernel_shape: [3, 3], pads: [1, 1, 1, 1] }), b.ints([N, C * 9, H * H])]);
        const dyT = b.op1('Transpose', [b.op1('Reshape', [dy, b.ints([N, O, H * H])])], { perm: [0, 2, 1] });
        const sum = b.op1('ReduceSum', [b.op1('MatMul', [cols, dyT]), b.ints([0])], { keepdims: 0 });
        dW = b.op1('Reshape', [b.op1('Transpose', [sum], { perm: [1, 0] }), b.ints([O, C, 3, 3])]);
      }
    } else {
      const cols = b.op1('Reshape', [b.op1('Conv', [x, onehot(b)], { group: C, kernel_shape: [3, 3], pads: [1, 1, 1, 1] }), b.ints([N, C * 9, H * H])]);
      const w2 = b.op1('Reshape', [w, b.ints([O, C * 9])]);
      y = b.op1('Reshape', [b.op1('MatMul', [w2, cols]), b.ints([N, O, H, H])]);
      const dyR = b.op1('Reshape', [dy, b.ints([N, O, H * H])]);
      const dyT = b.op1('Transpose', [dyR], { perm: [0, 2, 1] });
      const sum = b.op1('ReduceSum', [b.op1('MatMul', [cols, dyT]), b.ints([0])], { keepdims: 0 });
      dW = b.op1('Reshape', [b.op1('Transpose', [sum], { perm: [1, 0] }), b.ints([O, C, 3, 3])]);
      if (method === 'C-cols-fwd') {
        const big = 2 ** 62;
        const k = b.op1('Slice', [b.op1('Transpose', [w], { perm: [1, 0, 2, 3] }), b.ints([-1, -1]), b.ints([-big, -big]), b.ints([2, 3]), b.ints([-1, -1])]);
        dX = b.op1('Conv', [dy, k], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
      } else {
        const wT = b.op1('Transpose', [w2], { perm: [1, 0] });
        const dcols = b.op1('Reshape', [b.op1('MatMul', [wT, dyR]), b.ints([N, C * 9, H, H])]);
        dX = b.op1('ConvTranspose', [dcols, onehot(b)], { group: C, kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
      }
    }
    b.output(b.op1('Identity', [y], {}, { names: ['Y'] }));
    b.output(b.op1('Identity', [dX], {}, { names: ['dX'] }));
    b.output(b.op1('Identity', [dW], {}, { names: ['dW'] }));
    return createSession(b.graph, { device: 'cpu', threads: 2 });
  };
  const methods = ['A-current', 'B-onehot-dW', 'C-cols-fwd', 'D-cols-col2im'];
  const sessions = await Promise.all(methods.map(mk));
  const feeds = {
    x: f32Tensor(Float32Array.from({ length: N * C * H * H }, (_, i) => Math.sin(i)), [N, C, H, H]),
    w: f32Tensor(Float32Array.from({ length: O * C * 9 }, (_, i) => Math.cos(i)), [O, C, 3, 3]),
    dy: f32Tensor(Float32Array.from({ length: N * O * H * H }, (_, i) => Math.sin(i * 0.37)), [N, O, H, H]),
  };
  const times = methods.map(() => [] as number[]);
  const results: Record<string, Float32Array>[] = [];
  for (let r = 0; r < 10; r++) {
    for (let m = 0; m < methods.length; m++) {
      const t = process.hrtime.bigint();
      const out = await sessions[m]!.run(feeds);
      times[m]!.push(Number(process.hrtime.bigint() - t) / 1e6);
      results[m] = { Y: out.Y!.data as Float32Array, dX: out.dX!.data as Float32Array, dW: out.dW!.data as Float32Array };
    }
  }
  const rel = (a: Float32Array, b: Float32Array) => {
    let num = 0, den = 0;
    for (let i = 0; i < a.length; i++) { num += (a[i]! - b[i]!) ** 2; den += b[i]! ** 2; }
    return Math.sqrt(num / den);
  };
  methods.forEach((m, i) => {
    const t = times[i]!.slice(2).sort((a, b) => a - b);
    const r = results[i]!, r0 = results[0]!;
    console.log(`N=${N} C=${C} H=${H} ${m.padEnd(14)} median ${t[Math.floor(t.length / 2)]!.toFixed(2)} ms  rel err Y ${rel(r.Y!, r0.Y!).toExponential(1)} dX ${rel(r.dX!, r0.dX!).toExponential(1)} dW ${rel(r.dW!, r0.dW!).toExponential(1)}`);
  });
}
main();
