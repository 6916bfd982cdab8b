// The CPU lowering (src/runtime/nchwc.ts): which convs it rewrites to ORT's blocked kernels, that the
// rewritten ones compute what the plain ones do (to float rounding: the kernels sum in another order),
// and that it leaves the graph it was given — the one a run saves — untouched.
import test from 'ava';
import { DType, Graph, GraphBuilder } from '../../src/onnx/graph';
import { modelBytes } from '../../src/onnx/writer';
import { lowerToNchwc, NCHWC_DOMAIN } from '../../src/runtime/nchwc';
import { createSession, f32Tensor, nchwcBlockSize, ort } from '../../src/runtime/session';
import { buildTrainGraph } from '../../src/train/graphs';
import { vgg19 } from '../../src/models/arch';
import { Rng } from '../../src/util/rng';
import { convGrad } from '../../src/autodiff/rules/conv';

interface Case {
  label: string;
  C: number;
  H: number;
  O: number;
  k: number;
  stride?: number;
  group?: number;
  bias?: boolean;
  expect: 'dense' | 'depthwise' | RegExp;
}

const CASES: Case[] = [
  { label: 'RGB stem 3->16 (fewer input channels than a block: NCHW input)', C: 3, H: 8, O: 16, k: 3, expect: 'dense' },
  { label: '6->5 (both below a block)', C: 6, H: 7, O: 5, k: 3, expect: 'dense' },
  { label: '16->16', C: 16, H: 8, O: 16, k: 3, expect: 'dense' },
  { label: '15->29 (grown widths: channels padded to 4, then to the block)', C: 15, H: 6, O: 29, k: 3, expect: 'dense' },
  { label: '20->12 stride 2', C: 20, H: 9, O: 12, k: 3, stride: 2, expect: 'dense' },
  { label: '24->8 5x5', C: 24, H: 6, O: 8, k: 5, expect: 'dense' },
  { label: '1x1 stride 2 (not a plain GEMM)', C: 16, H: 8, O: 24, k: 1, stride: 2, expect: 'dense' },
  { label: 'depthwise 12', C: 12, H: 8, O: 12, k: 3, group: 12, expect: 'depthwise' },
  { label: 'depthwise 37 stride 2 (grown)', C: 37, H: 9, O: 37, k: 3, stride: 2, group: 37, expect: 'depthwise' },
  { label: 'pointwise 1x1', C: 16, H: 8, O: 32, k: 1, expect: /pointwise/ },
  { label: 'grouped, not depthwise', C: 16, H: 8, O: 16, k: 3, group: 2, expect: /grouped/ },
  { label: 'with a bias', C: 16, H: 8, O: 16, k: 3, bias: true, expect: /bias/ },
];

/** The outputs of `g` on `feeds` run twice on one thread: plain (nchwc off) and lowered. */
async function plainAndLowered(g: Graph, feeds: Record<string, ort.Tensor>): Promise<[ort.InferenceSession.ReturnType, ort.InferenceSession.ReturnType]> {
  const run = async (nchwc: boolean) => {
    const s = await createSession(g, { device: 'cpu', threads: 1, nchwc });
    const o = await s.run(feeds);
    await s.release();
    return o;
  };
  return [await run(false), await run(true)];
}

function convGraph(c: Case): Graph {
  const group = c.group ?? 1;
  const stride = c.stride ?? 1;
  const b = new GraphBuilder('conv');
  const x = b.input('x', DType.FLOAT, [2, c.C, c.H, c.H]);
  const w = b.input('w', DType.FLOAT, [c.O, c.C / group, c.k, c.k]);
  const inputs = [x, w];
  if (c.bias) inputs.push(b.input('b', DType.FLOAT, [c.O]));
  const pad = (c.k - 1) / 2;
  b.output(b.op1('Conv', inputs, { kernel_shape: [c.k, c.k], pads: [pad, pad, pad, pad], strides: [stride, stride], group }, { names: ['y'] }));
  return b.finish();
}

for (const c of CASES) {
  test(`conv ${c.label}: ${typeof c.expect === 'string' ? `lowered as ${c.expect}` : 'kept plain'}, same output as the plain conv`, async (t) => {
    const block = await nchwcBlockSize();
    if (!block) return t.log('ORT has no NCHWc kernels on this CPU; nothing is lowered here');
    const g = convGraph(c);
    const { report } = lowerToNchwc(g, block);
    if (typeof c.expect === 'string') t.is(report.lowered[c.expect], 1, JSON.stringify(report));
    else t.regex(report.kept[0]?.why ?? '', c.expect);

    const rng = new Rng(7);
    const group = c.group ?? 1;
    const feeds = {
      x: f32Tensor(Float32Array.from({ length: 2 * c.C * c.H * c.H }, () => rng.normal()), [2, c.C, c.H, c.H]),
      w: f32Tensor(Float32Array.from({ length: (c.O * c.C * c.k * c.k) / group }, () => rng.normal()), [c.O, c.C / group, c.k, c.k]),
      ...(c.bias ? { b: f32Tensor(Float32Array.from({ length: c.O }, () => rng.normal()), [c.O]) } : {}),
    };
    const [plain, lowered] = (await plainAndLowered(g, feeds)).map((o) => o.y!) as [ort.Tensor, ort.Tensor];
    t.deepEqual(lowered.dims, plain.dims);
    const a = plain.data as Float32Array;
    const b = lowered.data as Float32Array;
    const scale = a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const worst = a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
    t.true(scale > 1, 'the conv computes something');
    t.true(worst <= 1e-6 * scale, `largest difference ${worst} of ${scale}`);
  });
}

test('lowering leaves the graph it is given (the one a run saves) as it was, and puts every NCHWc op in its own domain', async (t) => {
  const g = buildTrainGraph(vgg19([15, 29, 23, 28, 28, 28, 25, 27, 19, 26, 22, 30, 21, 25, 22, 16]), 4, { momentum: 0.9, nesterov: true, weightDecay: 1e-4 });
  const before = Buffer.from(modelBytes(g));
  const { graph, report } = lowerToNchwc(g, 8);
  t.true(Buffer.from(modelBytes(g)).equals(before));
  t.false(before.includes(NCHWC_DOMAIN));
  t.true(report.lowered.dense >= 16, `${report.lowered.dense} dense convs lowered`);
  const ortOnly = graph.nodes.filter((n) => ['ReorderInput', 'ReorderOutput'].includes(n.opType) || (n.opType === 'Conv' && n.domain));
  t.true(ortOnly.length > 0);
  t.true(ortOnly.every((n) => n.domain === NCHWC_DOMAIN));
  t.true(Buffer.from(modelBytes(graph)).includes(NCHWC_DOMAIN), 'the lowered model imports the NCHWc domain');
  t.is(graph.doc.split('\n').pop(), `Lowered for ONNX Runtime's CPU provider: ${report.lowered.dense} dense and ${report.lowered.depthwise} depthwise convs on blocked NCHWc kernels (block 8); ${report.kept.length} convs kept plain.`);
});

test('the NCHWc block size is what MLAS reports for x86 (8 with AVX2, 16 with AVX-512) or 0 without the kernels', async (t) => {
  const block = await nchwcBlockSize();
  t.log(`block ${block}`);
  t.true([0, 8, 16].includes(block));
  if (process.arch === 'x64') t.not(block, 0);
});

for (const C of [16, 12]) {
  test(`the depthwise weight gradient (C=${C}) reads the blocked X and dY as they are, and equals the plain graph's`, async (t) => {
    const block = await nchwcBlockSize();
    if (!block) return t.log('ORT has no NCHWc kernels on this CPU; nothing is lowered here');
    const [N, H] = [3, 8];
    const b = new GraphBuilder('dw_grad');
    const x = b.input('x', DType.FLOAT, [N, C, H, H]);
    const w = b.input('w', DType.FLOAT, [C, 1, 3, 3]);
    const dy = b.input('dy', DType.FLOAT, [N, C, H, H]);
    const y = b.op1('Conv', [x, w], { group: C, kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
    const [dX, dW] = convGrad(b, b.graph.producerOf(y)!, [dy], [true, true]);
    b.output(b.op1('Identity', [dX!], {}, { names: ['dX'] }));
    b.output(b.op1('Identity', [dW!], {}, { names: ['dW'] }));
    const g = b.finish();
    const { graph, report } = lowerToNchwc(g, block);
    t.is(report.lowered.depthwise, 2, 'the dX and dW convs (the forward conv is unused, so finish() dropped it)');
    // one ReorderInput each for X and dY (dY's shared by the dX and dW convs); no filter
    // Transpose for the dW conv (its kernels are dY's blocked form)
    t.is(graph.nodes.filter((n) => n.opType === 'ReorderInput').length, 2);
    t.false(graph.nodes.some((n) => n.opType === 'Transpose' && n.name.includes('dW')));
    const rng = new Rng(3);
    const feeds = {
      x: f32Tensor(Float32Array.from({ length: N * C * H * H }, () => rng.normal()), [N, C, H, H]),
      w: f32Tensor(Float32Array.from({ length: C * 9 }, () => rng.normal()), [C, 1, 3, 3]),
      dy: f32Tensor(Float32Array.from({ length: N * C * H * H }, () => rng.normal()), [N, C, H, H]),
    };
    const [plain, lowered] = await plainAndLowered(g, feeds);
    for (const k of ['dX', 'dW']) {
      const a = plain[k]!.data as Float32Array;
      const c = lowered[k]!.data as Float32Array;
      const scale = a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      t.true(a.every((v, i) => Math.abs(v - c[i]!) <= 1e-6 * scale), `${k} differs`);
    }
  });
}

// A strided depthwise conv's input gradient is a ConvTranspose; the lowering runs it as a stride-1
// blocked depthwise conv of dY spread onto the stride grid. Odd input sizes leave a trailing row the
// strided conv never reads (output_padding 0, end pad k−1−p−1 of the spread form).
for (const [C, H, stride] of [[16, 8, 2], [12, 8, 2], [20, 7, 2], [8, 9, 3]] as const) {
  test(`the input gradient of a stride-${stride} depthwise conv (C=${C}, ${H}x${H}) runs blocked and equals ConvTranspose's`, async (t) => {
    const block = await nchwcBlockSize();
    if (!block) return t.log('ORT has no NCHWc kernels on this CPU; nothing is lowered here');
    const N = 3;
    const b = new GraphBuilder('dw_strided_dx');
    const x = b.input('x', DType.FLOAT, [N, C, H, H]);
    const w = b.input('w', DType.FLOAT, [C, 1, 3, 3]);
    const y = b.op1('Conv', [x, w], { group: C, kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [stride, stride] });
    const Ho = b.staticShape(y)[2]!;
    const dy = b.input('dy', DType.FLOAT, [N, C, Ho, Ho]);
    const [dX] = convGrad(b, b.graph.producerOf(y)!, [dy], [true, false]);
    b.output(b.op1('Identity', [dX!], {}, { names: ['dX'] }));
    const g = b.finish();
    t.true(g.nodes.some((n) => n.opType === 'ConvTranspose'), 'the rule emits ConvTranspose (standard ONNX in saved graphs)');
    const { graph, report } = lowerToNchwc(g, block);
    t.false(graph.nodes.some((n) => n.opType === 'ConvTranspose'));
    t.is(report.lowered.depthwise, 1);
    const rng = new Rng(5);
    const feeds = {
      x: f32Tensor(new Float32Array(N * C * H * H), [N, C, H, H]),
      w: f32Tensor(Float32Array.from({ length: C * 9 }, () => rng.normal()), [C, 1, 3, 3]),
      dy: f32Tensor(Float32Array.from({ length: N * C * Ho * Ho }, () => rng.normal()), [N, C, Ho, Ho]),
    };
    const [a, c] = (await plainAndLowered(g, feeds)).map((o) => o.dX!.data as Float32Array) as [Float32Array, Float32Array];
    const scale = a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    t.is(a.length, N * C * H * H);
    t.true(a.every((v, i) => Math.abs(v - c[i]!) <= 1e-6 * scale), 'dX differs');
  });
}
