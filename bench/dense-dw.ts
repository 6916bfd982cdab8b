// The dense conv weight gradient in each of its forms (src/autodiff/rules/conv.ts), per layer shape of
// VGG-19 w=16 and w=64 and of grown VGG-19s, batch 64, 3x3 pad 1: the measurement behind
// denseWeightGradForm. Runs interleaved, median of BENCH_STEPS (9) runs each, on the lowered CPU graph.
//   dw C->O HxW im2col=<ms> taps=<ms> best=<form> chosen=<form the rule picks> diff=<largest rel. diff>
import { DType, GraphBuilder } from '../src/onnx/graph';
import { createSession, f32Tensor, ort } from '../src/runtime/session';
import { convGrad, denseWeightGradForm } from '../src/autodiff/rules/conv';
import { interleavedMedians } from './interleave';

const N = 64;
const STEPS = Number(process.env.BENCH_STEPS ?? 9);
const FORMS = ['im2col', 'taps'] as const;
/** [C, O, H]: the layer shapes of VGG-19 w=16 and w=64 (uniform widths) and of grown VGG-19s */
const SHAPES: [number, number, number][] = [
  [3, 16, 32], [16, 16, 32], [16, 16, 16], [16, 16, 8], [16, 16, 4], [16, 16, 2],
  [3, 64, 32], [64, 64, 32], [64, 64, 16], [64, 64, 8], [64, 64, 4], [64, 64, 2],
  [15, 29, 32], [29, 23, 32], [23, 28, 16], [30, 21, 16], [25, 27, 8], [40, 36, 8], [22, 30, 4], [21, 25, 2],
];

function graph(form: string, C: number, O: number, H: number) {
  process.env.NASGROW_DENSE_DW = form;
  const b = new GraphBuilder(`dw_${form}`);
  const x = b.input('x', DType.FLOAT, [N, C, H, H]);
  const w = b.input('w', DType.FLOAT, [O, C, 3, 3]);
  const dy = b.input('dy', DType.FLOAT, [N, O, H, H]);
  const y = b.op1('Conv', [x, w], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
  b.output(b.op1('Identity', [convGrad(b, b.graph.producerOf(y)!, [dy], [false, true])[1]!], {}, { names: ['dW'] }));
  delete process.env.NASGROW_DENSE_DW;
  return b.finish();
}

async function main() {
  for (const [C, O, H] of SHAPES) {
    const feeds: Record<string, ort.Tensor> = {
      x: f32Tensor(Float32Array.from({ length: N * C * H * H }, (_, i) => Math.sin(i * 1.3)), [N, C, H, H]),
      w: f32Tensor(new Float32Array(O * C * 9), [O, C, 3, 3]),
      dy: f32Tensor(Float32Array.from({ length: N * O * H * H }, (_, i) => Math.cos(i * 0.7)), [N, O, H, H]),
    };
    const sessions = await Promise.all(FORMS.map((f) => createSession(graph(f, C, O, H), { device: 'cpu', threads: 2 })));
    const outs: Float32Array[] = [];
    for (const s of sessions) outs.push((await s.run(feeds)).dW!.data as Float32Array);
    const scale = outs[0]!.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const diff = Math.max(...outs.slice(1).map((o) => o.reduce((m, v, i) => Math.max(m, Math.abs(v - outs[0]![i]!)), 0) / scale));
    const ms = await interleavedMedians(sessions.map((s) => () => s.run(feeds)), STEPS);
    const best = FORMS[ms.indexOf(Math.min(...ms))];
    const chosen = denseWeightGradForm({ xs: [N, C, H, H], ws: [O, C, 3, 3], ys: [N, O, H, H], g: 1, k: [3, 3], s: [1, 1], p: [1, 1, 1, 1] }).form;
    console.log(`dw ${C}->${O} ${H}x${H} ${FORMS.map((f, i) => `${f}=${ms[i]!.toFixed(2)}`).join(' ')} best=${best} chosen=${chosen} diff=${diff.toExponential(1)}`);
    for (const s of sessions) await s.release();
  }
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
