// Blocked (NCHWc) convs vs ORT's plain path, one conv at a time, on this CPU: the measurement behind
// which convs src/runtime/nchwc.ts lowers. For each shape: what the lowering does with it, the largest
// difference between the two outputs (relative to the output's largest magnitude), and ms per run.
//   node dist/bench/nchwc-convs.js            (batch 64, 2 threads, median of BENCH_STEPS=15 runs)
//   conv <shape> lowered=<dense|depthwise|kept: why> diff=<rel> plain_ms=<ms> nchwc_ms=<ms> speedup=<x>
import { DType, GraphBuilder } from '../src/onnx/graph';
import { createSession, f32Tensor, nchwcBlockSize } from '../src/runtime/session';
import { lowerToNchwc } from '../src/runtime/nchwc';
import { interleavedMedians } from './interleave';

const N = 64;
const THREADS = Number(process.env.BENCH_THREADS ?? 2);
const STEPS = Number(process.env.BENCH_STEPS ?? 15);

/** [label, C, H, O, kernel, stride, group]: the conv shapes of VGG-19/MobileNetV1 seeds and grown widths. */
const SHAPES: [string, number, number, number, number, number, number][] = [
  ['3->16 32x32 (stem)', 3, 32, 16, 3, 1, 1],
  ['16->16 32x32', 16, 32, 16, 3, 1, 1],
  ['15->29 32x32 (grown)', 15, 32, 29, 3, 1, 1],
  ['23->28 16x16 (grown)', 23, 16, 28, 3, 1, 1],
  ['64->64 32x32', 64, 32, 64, 3, 1, 1],
  ['64->64 8x8', 64, 8, 64, 3, 1, 1],
  ['32->32 16x16 stride 2', 32, 16, 32, 3, 2, 1],
  ['depthwise 32 16x16', 32, 16, 32, 3, 1, 32],
  ['depthwise 32 16x16 stride 2', 32, 16, 32, 3, 2, 32],
  ['depthwise 37 8x8 (grown)', 37, 8, 37, 3, 1, 37],
  ['pointwise 32->64 16x16', 32, 16, 64, 1, 1, 1],
];

async function one(block: number, [label, C, H, O, k, stride, group]: (typeof SHAPES)[number]): Promise<string> {
  const b = new GraphBuilder('conv');
  const x = b.input('x', DType.FLOAT, [N, C, H, H]);
  const w = b.input('w', DType.FLOAT, [O, C / group, k, k]);
  const pad = (k - 1) / 2;
  b.output(b.op1('Conv', [x, w], { kernel_shape: [k, k], pads: [pad, pad, pad, pad], strides: [stride, stride], group }, { names: ['y'] }));
  const g = b.finish();
  const { report } = lowerToNchwc(g, block);
  const what = report.lowered.dense ? 'dense' : report.lowered.depthwise ? 'depthwise' : `kept: ${report.kept[0]?.why}`;
  const feeds = {
    x: f32Tensor(Float32Array.from({ length: N * C * H * H }, (_, i) => Math.sin(i * 1.3)), [N, C, H, H]),
    w: f32Tensor(Float32Array.from({ length: O * (C / group) * k * k }, (_, i) => Math.cos(i * 0.7)), [O, C / group, k, k]),
  };
  const plain = await createSession(g, { device: 'cpu', threads: THREADS, nchwc: false });
  const lowered = await createSession(g, { device: 'cpu', threads: THREADS });
  const a = (await plain.run(feeds)).y!.data as Float32Array;
  const c = (await lowered.run(feeds)).y!.data as Float32Array;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - c[i]!));
    scale = Math.max(scale, Math.abs(a[i]!));
  }
  // interleaved, so that a change in machine load hits both
  const [p, l] = (await interleavedMedians([() => plain.run(feeds), () => lowered.run(feeds)], STEPS)) as [number, number];
  await plain.release();
  await lowered.release();
  return `conv ${label} lowered=${what} diff=${(diff / scale).toExponential(1)} plain_ms=${p.toFixed(2)} nchwc_ms=${l.toFixed(2)} speedup=${(p / l).toFixed(2)}`;
}

async function main() {
  const block = await nchwcBlockSize();
  if (!block) {
    console.log('ORT has no NCHWc kernels on this CPU: every conv runs the plain path');
    return;
  }
  console.log(`NCHWc block ${block}, batch ${N}, ${THREADS} threads`);
  for (const s of SHAPES) console.log(await one(block, s));
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
