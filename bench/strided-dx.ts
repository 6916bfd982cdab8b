// The input gradient of MobileNetV1's strided depthwise convs (a ConvTranspose in the graph,
// src/autodiff/rules/conv.ts): ORT's plain ConvTranspose against the CPU lowering's blocked form
// (src/runtime/nchwc.ts, lowerStridedDepthwiseTranspose: dY spread onto a stride-s grid, one stride-1
// blocked depthwise conv), interleaved. Prints the largest difference (relative to the largest |dX|)
// and ms per run.
//   node dist/bench/strided-dx.js            (batch 64, 2 threads, median of BENCH_STEPS=15 runs)
import { DType, GraphBuilder } from '../src/onnx/graph';
import { createSession, f32Tensor } from '../src/runtime/session';
import { convGrad } from '../src/autodiff/rules/conv';
import { interleavedMedians } from './interleave';

const N = 64;
const THREADS = Number(process.env.BENCH_THREADS ?? 2);
const STEPS = Number(process.env.BENCH_STEPS ?? 15);
/** [channels, input size]: the strided depthwise layers of MobileNetV1 w=32 on 32x32 images, and grown widths */
const SHAPES: [number, number][] = [[64, 32], [128, 16], [256, 8], [512, 4], [61, 32], [203, 8]];

async function one(C: number, H: number): Promise<string> {
  const b = new GraphBuilder('strided_dx');
  const x = b.input('x', DType.FLOAT, [N, C, H, H]);
  const w = b.input('w', DType.FLOAT, [C, 1, 3, 3]);
  const dy = b.input('dy', DType.FLOAT, [N, C, H / 2, H / 2]);
  const y = b.op1('Conv', [x, w], { group: C, kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [2, 2] });
  const dX = convGrad(b, b.graph.producerOf(y)!, [dy], [true, false])[0]!;
  b.output(b.op1('Identity', [dX], {}, { names: ['dX'] }));
  const g = b.finish();
  const make = async (lowered: boolean) => {
    process.env.NASGROW_NCHWC_CONVT = lowered ? '1' : '0';
    const s = await createSession(g, { device: 'cpu', threads: THREADS });
    delete process.env.NASGROW_NCHWC_CONVT;
    return s;
  };
  const sessions = [await make(false), await make(true)];
  const feeds = {
    x: f32Tensor(new Float32Array(N * C * H * H), [N, C, H, H]),
    w: f32Tensor(Float32Array.from({ length: C * 9 }, (_, i) => Math.cos(i * 0.7)), [C, 1, 3, 3]),
    dy: f32Tensor(Float32Array.from({ length: (N * C * H * H) / 4 }, (_, i) => Math.sin(i * 1.3)), [N, C, H / 2, H / 2]),
  };
  const outs: Float32Array[] = [];
  for (const s of sessions) outs.push((await s.run(feeds)).dX!.data as Float32Array);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < outs[0]!.length; i++) {
    diff = Math.max(diff, Math.abs(outs[0]![i]! - outs[1]![i]!));
    scale = Math.max(scale, Math.abs(outs[0]![i]!));
  }
  const [a, p] = (await interleavedMedians(sessions.map((s) => () => s.run(feeds)), STEPS)) as [number, number];
  for (const s of sessions) await s.release();
  return `strided dX depthwise ${C} ${H}x${H}: diff=${(diff / scale).toExponential(1)} convtranspose_ms=${a.toFixed(2)} blocked_ms=${p.toFixed(2)} speedup=${(a / p).toFixed(2)}`;
}

async function main() {
  for (const [C, H] of SHAPES) console.log(await one(C, H));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
