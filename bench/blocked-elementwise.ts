// Would BatchNorm and ReLU be cheaper run on the blocked (NCHWc) layout, so that a blocked conv's output
// need not go back to NCHW (ReorderOutput) and the next conv's input to NCHWc (ReorderInput)?
// (docs/performance.md, "What did not help".) Both forms of one "BN apply + ReLU" between two blocked
// convs, from a blocked activation [N, C/B, H, W, B] to a blocked activation:
//   plain:   ReorderOutput → Mul [1,C,1,1] → Add [1,C,1,1] → Relu → ReorderInput   (what runs today)
//   blocked: Mul [1,C/B,1,1,B] → Add [1,C/B,1,1,B] → Relu                           (no reorders)
// Each graph ends in a ReduceMax, so that the tensor handed back to JS is one float. Interleaved medians.
//   node dist/bench/blocked-elementwise.js        (batch 64, BENCH_THREADS threads (2), 15 runs)
import { DType, Graph, Node, ValueInfo } from '../src/onnx/ir';
import { createSession, f32Tensor } from '../src/runtime/session';
import { NCHWC_DOMAIN } from '../src/runtime/nchwc';
import { interleavedMedians } from './interleave';

const N = 64;
const B = 8;
const THREADS = Number(process.env.BENCH_THREADS ?? 2);

async function one(C: number, H: number): Promise<string> {
  const blockedShape = [N, C / B, H, H, B]; // the 5-D view of a blocked activation
  const make = async (form: 'plain' | 'blocked') => {
    // built as IR (the builder's shape inference does not know the com.microsoft.nchwc ops)
    const g = new Graph(`bn_relu_${form}`);
    const value = (name: string, shape: number[]): ValueInfo => {
      const v: ValueInfo = { name, dtype: DType.FLOAT, shape };
      g.values.set(name, v);
      return v;
    };
    const node = (opType: string, inputs: string[], output: string, shape: number[], attrs: Node['attrs'] = new Map(), domain?: string) => {
      g.nodes.push({ name: output, opType, inputs, outputs: [output], attrs, ...(domain ? { domain } : {}) });
      value(output, shape);
      return output;
    };
    const constShape = form === 'plain' ? [1, C, 1, 1] : [1, C / B, 1, 1, B];
    // ORT's blocked tensors are 4-D ([N, C, H, W], C a multiple of B) with the data in NCHWc order;
    // the per-channel constants broadcast against it only through a 5-D view
    g.inputs.push(value('x', [N, C, H, H]), value('scale', constShape), value('shift', constShape));
    const ints = (name: string, v: number[]) => {
      g.initializers.set(name, { dtype: DType.INT64, shape: [v.length], data: BigInt64Array.from(v.map(BigInt)) });
      g.values.set(name, { name, dtype: DType.INT64, shape: [v.length] });
      return name;
    };
    const shape = form === 'plain' ? [N, C, H, H] : blockedShape;
    let h = 'x';
    h = form === 'plain'
      ? node('ReorderOutput', [h], 'nchw', shape, new Map([['channels', { kind: 'int', value: C }]]), NCHWC_DOMAIN)
      : node('Reshape', [h, ints('view5', blockedShape)], 'view', shape);
    h = node('Relu', [node('Add', [node('Mul', [h, 'scale'], 'scaled', shape), 'shift'], 'shifted', shape)], 'relu', shape);
    h = form === 'plain'
      ? node('ReorderInput', [h], 'blocked', [N, C, H, H], new Map(), NCHWC_DOMAIN)
      : node('Reshape', [h, ints('view4', [N, C, H, H])], 'blocked', [N, C, H, H]);
    node('ReduceMax', [h], 'y', [], new Map([['keepdims', { kind: 'int', value: 0 }]]));
    g.outputs.push(g.values.get('y')!);
    return createSession(g, { device: 'cpu', threads: THREADS });
  };
  const sessions = [await make('plain'), await make('blocked')];
  const len = (s: number[]) => s.reduce((a, b) => a * b, 1);
  const cs = (form: 'plain' | 'blocked') => (form === 'plain' ? [1, C, 1, 1] : [1, C / B, 1, 1, B]);
  const feeds = (form: 'plain' | 'blocked') => ({
    x: f32Tensor(Float32Array.from({ length: len(blockedShape) }, (_, k) => Math.sin(k * 1.37)), [N, C, H, H]),
    scale: f32Tensor(Float32Array.from({ length: C }, (_, k) => 1 + k / C), cs(form)),
    shift: f32Tensor(Float32Array.from({ length: C }, (_, k) => -k / C), cs(form)),
  });
  const f = [feeds('plain'), feeds('blocked')];
  const [a, c] = (await interleavedMedians(sessions.map((s, i) => () => s.run(f[i]!)), 15)) as [number, number];
  for (const s of sessions) await s.release();
  return `bn-apply+relu ${C} ch ${H}x${H}: plain_with_reorders_ms=${a.toFixed(2)} blocked_ms=${c.toFixed(2)} blocked/plain=${(c / a).toFixed(2)}`;
}

async function main() {
  // MobileNetV1 w=32's activation shapes (channels, side)
  for (const [C, H] of [[32, 32], [64, 32], [128, 16], [256, 8], [512, 4]] as const) console.log(await one(C, H));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
