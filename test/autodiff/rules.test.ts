// A finite-difference check under onnxruntime-node for every gradient rule (src/autodiff/rules/),
// plus hand-computed cases, and the ONNX checker over every graph these tests emit.
import test from 'ava';
import { DType, float, GraphBuilder } from '../../src/onnx/graph';
import { RULES, COMPOSITE_RULES } from '../../src/autodiff/rules';
import { NO_GRADIENT, UnsupportedGradient } from '../../src/autodiff/types';
import { batchNormTrain } from '../../src/autodiff/rules/batch-norm-train';
import { backward } from '../../src/autodiff/backward';
import { createSession, f32Tensor } from '../../src/runtime/session';
import { Rng } from '../../src/util/rng';
import { awayFromZero, distinct, emittedModels, gradcheck, GradInput } from '../helpers/gradcheck';
import { checkModels } from '../helpers/onnx-checker';

const covered = new Set<string>();

function check(op: string, label: string, inputs: GradInput[], build: (b: GraphBuilder, xs: string[]) => string, rtol = 1e-2) {
  covered.add(op);
  test(`gradient ${op}: ${label}`, async (t) => {
    const r = await gradcheck(`${op}_${label}`, inputs, build);
    t.true(r.worst <= rtol, `worst relative error ${r.worst}\n${r.lines.join('\n')}`);
  });
}

const rng = new Rng(7);
const N = 2;

check('Add', 'broadcast', [{ name: 'a', shape: [2, 3, 4] }, { name: 'b', shape: [3, 1] }], (b, [a, c]) => b.op1('Add', [a!, c!]));
check('Sub', 'broadcast', [{ name: 'a', shape: [2, 3] }, { name: 'b', shape: [3] }], (b, [a, c]) => b.op1('Sub', [a!, c!]));
// x + t and x − t: t's two contributions dp and −dm meet, and the walker sums them as Sub(dp, dm)
// (no Neg left in the graph: the test below), as the growing step's dΘ = dc⁺ − dc⁻
check('Sub', 'second input also added (contributions summed as a Sub)', [{ name: 'x', shape: [2, 3] }, { name: 't', shape: [2, 3] }], (b, [x, t]) =>
  b.op1('Mul', [b.op1('Add', [x!, t!]), b.op1('Sub', [b.op1('Sub', [x!, t!]), b.floats([0.5])])]),
);
test('a Sub\'s negated contribution meeting another is summed as one Sub, without a Neg', (t) => {
  const b = new GraphBuilder('sub_sum');
  const x = b.input('x', DType.FLOAT, [3]);
  const th = b.input('t', DType.FLOAT, [3]);
  const loss = b.op1('ReduceSum', [b.op1('Mul', [b.op1('Add', [x, th]), b.op1('Sub', [x, th])])], { keepdims: 0 });
  const g = backward(b, loss, [th]).grads.get(th)!;
  b.output(g);
  const graph = b.finish();
  t.is(graph.producerOf(g)?.opType, 'Sub');
  t.false(graph.nodes.some((n) => n.opType === 'Neg'));
});
check('Mul', 'broadcast', [{ name: 'a', shape: [2, 3, 4] }, { name: 'b', shape: [1, 3, 1] }], (b, [a, c]) => b.op1('Mul', [a!, c!]));
// Σ over axes of a·b: dY reaches Mul as an Expand of the sum's gradient; the rule multiplies by its
// source instead (the test below checks that the expanded tensor is gone)
check('Mul', 'under a ReduceSum (dY expanded)', [{ name: 'a', shape: [2, 3, 4] }, { name: 'b', shape: [2, 3, 4] }], (b, [a, c]) =>
  b.op1('ReduceSum', [b.op1('Mul', [a!, c!]), b.ints([0, 2])], { keepdims: 1 }),
);
test('Mul under a ReduceSum multiplies by the unexpanded gradient: no full-size Expand left', (t) => {
  const b = new GraphBuilder('mul_sum');
  const a = b.input('a', DType.FLOAT, [2, 3, 4]);
  const c = b.input('c', DType.FLOAT, [2, 3, 4]);
  const loss = b.op1('ReduceSum', [b.op1('ReduceSum', [b.op1('Mul', [a, c]), b.ints([2])], { keepdims: 1 })], { keepdims: 0 });
  const g = backward(b, loss, [a]).grads.get(a)!;
  b.output(g);
  const graph = b.finish();
  t.deepEqual(graph.nodes.filter((n) => n.opType === 'Expand').map((n) => graph.values.get(n.outputs[0]!)?.shape), [[2, 3, 1]]);
  t.deepEqual(graph.values.get(g)?.shape, [2, 3, 4]);
});
check('Div', 'plain', [{ name: 'a', shape: [3, 4] }, { name: 'b', shape: [3, 4], data: awayFromZero(rng, 12, 1) }], (b, [a, c]) => b.op1('Div', [a!, c!]));
check('Neg', 'plain', [{ name: 'a', shape: [5] }], (b, [a]) => b.op1('Neg', [a!]));
check('Sum', 'three inputs, one used twice', [{ name: 'a', shape: [4] }, { name: 'b', shape: [4] }], (b, [a, c]) => b.op1('Sum', [a!, c!, a!]));
check('Identity', 'plain', [{ name: 'a', shape: [3] }], (b, [a]) => b.op1('Identity', [a!]));
check('Sqrt', 'positive', [{ name: 'a', shape: [6], data: Float32Array.from([0.5, 1, 2, 3, 4, 5]) }], (b, [a]) => b.op1('Sqrt', [a!]));
check('Reciprocal', 'away from 0', [{ name: 'a', shape: [6], data: awayFromZero(rng, 6, 1) }], (b, [a]) => b.op1('Reciprocal', [a!]));
check('Exp', 'plain', [{ name: 'a', shape: [6] }], (b, [a]) => b.op1('Exp', [a!]));
check('Log', 'positive', [{ name: 'a', shape: [4], data: Float32Array.from([0.5, 1, 2, 3]) }], (b, [a]) => b.op1('Log', [a!]));
check('Relu', 'away from kink', [{ name: 'a', shape: [3, 4], data: awayFromZero(rng, 12) }], (b, [a]) => b.op1('Relu', [a!]));
check('ReduceSum', 'axes 0,2 keepdims 0', [{ name: 'a', shape: [2, 3, 4] }], (b, [a]) => b.op1('ReduceSum', [a!, b.ints([0, 2])], { keepdims: 0 }));
check('ReduceMean', 'axes 1 keepdims 1', [{ name: 'a', shape: [2, 3, 4] }], (b, [a]) => b.op1('ReduceMean', [a!], { axes: [1], keepdims: 1 }));
check('ReduceSumSquare', 'axes 0,2,3', [{ name: 'a', shape: [2, 3, 2, 2] }], (b, [a]) => b.op1('ReduceSumSquare', [a!], { axes: [0, 2, 3], keepdims: 1 }));
check('GlobalAveragePool', 'NCHW', [{ name: 'a', shape: [N, 3, 4, 4] }], (b, [a]) => b.op1('GlobalAveragePool', [a!]));
check('Flatten', 'axis 1', [{ name: 'a', shape: [N, 3, 2, 2] }], (b, [a]) => b.op1('Flatten', [a!], { axis: 1 }));
check('Reshape', 'to 2-D', [{ name: 'a', shape: [2, 3, 4] }], (b, [a]) => b.op1('Reshape', [a!, b.ints([6, 4])]));
check('Squeeze', 'axis 1', [{ name: 'a', shape: [3, 1, 2] }], (b, [a]) => b.op1('Squeeze', [a!, b.ints([1])]));
check('Unsqueeze', 'axis 0', [{ name: 'a', shape: [3, 2] }], (b, [a]) => b.op1('Unsqueeze', [a!, b.ints([0])]));
check('Transpose', 'perm 2,0,1', [{ name: 'a', shape: [2, 3, 4] }], (b, [a]) => b.op1('Transpose', [a!], { perm: [2, 0, 1] }));
check('Slice', 'step 1 on two axes', [{ name: 'a', shape: [4, 5] }], (b, [a]) => b.op1('Slice', [a!, b.ints([1, 0]), b.ints([3, 4]), b.ints([0, 1])]));
check('Slice', 'reverse (step -1)', [{ name: 'a', shape: [3, 5] }], (b, [a]) => b.op1('Slice', [a!, b.ints([-2]), b.ints([-(2 ** 62)]), b.ints([1]), b.ints([-1])]));
check('Concat', 'axis 1', [{ name: 'a', shape: [2, 3] }, { name: 'b', shape: [2, 2] }], (b, [a, c]) => b.op1('Concat', [a!, c!], { axis: 1 }));
check('Pad', 'constant', [{ name: 'a', shape: [1, 2, 3, 3] }], (b, [a]) => b.op1('Pad', [a!, b.ints([0, 0, 1, 2, 0, 0, 2, 1])], { mode: 'constant' }));
check('MatMul', 'batched, broadcast B', [{ name: 'a', shape: [2, 3, 4] }, { name: 'b', shape: [4, 5] }], (b, [a, c]) => b.op1('MatMul', [a!, c!]));
check('Gemm', 'transB with bias (classifier)', [{ name: 'x', shape: [N, 4] }, { name: 'w', shape: [3, 4] }, { name: 'c', shape: [3] }], (b, [x, w, c]) =>
  b.op1('Gemm', [x!, w!, c!], { transB: 1 }),
);
check('Gemm', 'transA, alpha/beta', [{ name: 'x', shape: [4, 2] }, { name: 'w', shape: [4, 3] }, { name: 'c', shape: [2, 3] }], (b, [x, w, c]) =>
  b.op1('Gemm', [x!, w!, c!], { transA: 1, alpha: float(0.5), beta: float(2) }),
);
check('Gemm', 'transA and transB', [{ name: 'x', shape: [4, 2] }, { name: 'w', shape: [3, 4] }], (b, [x, w]) => b.op1('Gemm', [x!, w!], { transA: 1, transB: 1 }));
check('LogSoftmax', 'axis 1', [{ name: 'a', shape: [N, 5] }], (b, [a]) => b.op1('LogSoftmax', [a!], { axis: 1 }));
check('Softmax', 'axis -1', [{ name: 'a', shape: [N, 5] }], (b, [a]) => b.op1('Softmax', [a!], { axis: -1 }));
check(
  'SoftmaxCrossEntropyLoss',
  'mean reduction',
  [{ name: 'z', shape: [3, 5] }, { name: 'y', shape: [3], dtype: DType.INT64, data: BigInt64Array.from([0n, 4n, 2n]) }],
  (b, [z, y]) => b.op('SoftmaxCrossEntropyLoss', [z!, y!], { reduction: 'mean' }, { outputs: 2 })[0]!,
);
check('MaxPool', '2x2 stride 2, odd extent', [{ name: 'a', shape: [N, 2, 5, 4], data: distinct(rng, N * 2 * 5 * 4) }], (b, [a]) =>
  b.op('MaxPool', [a!], { kernel_shape: [2, 2], strides: [2, 2] }, { outputs: 2 })[0]!,
);
check('MaxPool', '3x3 stride 1 overlapping', [{ name: 'a', shape: [1, 2, 4, 4], data: distinct(rng, 32) }], (b, [a]) =>
  b.op('MaxPool', [a!], { kernel_shape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1] }, { outputs: 2 })[0]!,
);
const convCase = (label: string, x: number[], w: number[], attrs: Record<string, number | number[]>, bias = false) =>
  check('Conv', label, [{ name: 'x', shape: x }, { name: 'w', shape: w }, ...(bias ? [{ name: 'bias', shape: [w[0]!] }] : [])], (b, xs) => b.op1('Conv', xs, attrs));
convCase('3x3 pad 1 stride 1 (VGG)', [N, 3, 6, 6], [4, 3, 3, 3], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1] });
convCase('3x3 pad 1 stride 2, bias', [N, 3, 7, 7], [4, 3, 3, 3], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [2, 2] }, true);
convCase('3x3 stride 2 even extent', [N, 2, 8, 8], [3, 2, 3, 3], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [2, 2] });
convCase('1x1 pointwise', [N, 5, 4, 4], [3, 5, 1, 1], { kernel_shape: [1, 1], pads: [0, 0, 0, 0], strides: [1, 1] });
convCase('depthwise 3x3 stride 1', [N, 4, 5, 5], [4, 1, 3, 3], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1], group: 4 });
convCase('depthwise 3x3 stride 2', [N, 4, 7, 7], [4, 1, 3, 3], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [2, 2], group: 4 });
convCase('depthwise 3x3 stride 2 even extent', [N, 12, 8, 8], [12, 1, 3, 3], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [2, 2], group: 12 });
convCase('depthwise 3x3 stride 2, no padding, trailing row skipped', [N, 4, 6, 6], [4, 1, 3, 3], { kernel_shape: [3, 3], strides: [2, 2], group: 4 });
convCase('3x3 no padding', [N, 2, 5, 5], [3, 2, 3, 3], { kernel_shape: [3, 3], strides: [1, 1] });

covered.add('BatchNormTrain');
test('gradient BatchNormTrain composite (batch statistics)', async (t) => {
  const r = await gradcheck(
    'BatchNormTrain',
    [{ name: 'x', shape: [3, 4, 3, 3] }, { name: 'gamma', shape: [4] }, { name: 'beta', shape: [4] }],
    (b, [x, g, be]) => batchNormTrain(b, x!, g!, be!).y,
  );
  t.true(r.ok, `worst ${r.worst}\n${r.lines.join('\n')}`);
});

test('gradient of BN -> ReLU -> MaxPool chain (value used twice)', async (t) => {
  const r = await gradcheck(
    'bn_relu_pool_chain',
    [{ name: 'x', shape: [2, 3, 4, 4] }, { name: 'w', shape: [3, 3, 3, 3] }, { name: 'gamma', shape: [3] }, { name: 'beta', shape: [3] }],
    (b, [x, w, g, be]) => {
      const c = b.op1('Conv', [x!, w!], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
      const y = batchNormTrain(b, c, g!, be!).y;
      const r2 = b.op1('Add', [b.op1('Relu', [y]), b.op1('Mul', [y, y])]);
      return b.op('MaxPool', [r2], { kernel_shape: [2, 2], strides: [2, 2] }, { outputs: 2 })[0]!;
    },
    // Random directions move every element at once: keep ε small so no ReLU or max-pool winner flips.
    { eps: 1e-3 },
  );
  t.true(r.ok, `worst ${r.worst}\n${r.lines.join('\n')}`);
});

test('every rule in the table has a finite-difference check', (t) => {
  const rules = Object.entries(RULES).filter(([, r]) => r !== NO_GRADIENT).map(([op]) => op);
  const missing = [...rules, ...Object.keys(COMPOSITE_RULES)].filter((op) => !covered.has(op));
  t.deepEqual(missing, []);
  t.true(rules.length >= 30, 'the table lists the differentiable ops');
});

test('no gradient: a NO_GRADIENT op passes nothing back, and a loss reached only through one gives null', async (t) => {
  const b = new GraphBuilder('no_gradient');
  const x = b.input('x', DType.FLOAT, [4]);
  // loss = Σ x · [x > 0]: the mask is a Cast of a comparison, so only the first factor carries a gradient
  const mask = b.op1('Cast', [b.op1('Greater', [x, b.floats([0])])], { to: DType.FLOAT });
  const loss = b.op1('ReduceSum', [b.op1('Mul', [x, mask])], { keepdims: 0 }, { names: ['loss'] });
  // a second scalar that depends on x only through ArgMax
  const picked = b.op1('ReduceSum', [b.op1('Cast', [b.op1('ArgMax', [x], { axis: 0, keepdims: 1 })], { to: DType.FLOAT })], { keepdims: 0 });
  b.output(loss);
  const gx = backward(b, loss, [x]).grads.get(x)!;
  t.is(gx, 'x_grad');
  t.is(backward(b, picked, [x]).grads.get(x), null);
  b.output(gx);
  const s = await createSession(b.finish(), { device: 'cpu', threads: 1 });
  const out = await s.run({ x: f32Tensor(Float32Array.from([-2, -1, 1, 2]), [4]) });
  t.deepEqual(Array.from(out.x_grad!.data as Float32Array), [0, 0, 1, 1]);
});

test('unsupported: an op without a rule, an attribute a rule does not cover and an unknown composite throw UnsupportedGradient naming the node', (t) => {
  const abs = new GraphBuilder('unsupported_abs');
  const x = abs.input('x', DType.FLOAT, [3]);
  const l1 = abs.op1('ReduceSum', [abs.op1('Abs', [x], {}, { name: 'magnitude' })], { keepdims: 0 });
  const e1 = t.throws(() => backward(abs, l1, [x]), { instanceOf: UnsupportedGradient });
  t.regex(e1!.message, /^no gradient for Abs node 'magnitude' \(inputs: x\): op has no gradient rule/);

  const conv = new GraphBuilder('unsupported_dilation');
  const xi = conv.input('x', DType.FLOAT, [1, 1, 5, 5]);
  const w = conv.input('w', DType.FLOAT, [1, 1, 3, 3]);
  const l2 = conv.op1('ReduceSum', [conv.op1('Conv', [xi, w], { kernel_shape: [3, 3], dilations: [2, 2] })], { keepdims: 0 });
  t.throws(() => backward(conv, l2, [w]), { instanceOf: UnsupportedGradient, message: /Conv node 'Conv' \(inputs: x, w\): dilations != 1/ });

  const comp = new GraphBuilder('unsupported_composite');
  const xc = comp.input('x', DType.FLOAT, [3]);
  const [y] = comp.composite('Mystery', [xc], {}, () => ({ outputs: [comp.op1('Neg', [xc])], saved: {} }));
  const l3 = comp.op1('ReduceSum', [y!], { keepdims: 0 });
  t.throws(() => backward(comp, l3, [xc]), { instanceOf: UnsupportedGradient, message: /no gradient for Mystery node .*composite has no gradient rule/ });
});

test('only needed gradients are emitted, and final gradients are named X_grad', (t) => {
  const b = new GraphBuilder('needs');
  const x = b.input('x', DType.FLOAT, [2, 3]);
  const c = b.input('c', DType.FLOAT, [2, 3]);
  // c is not differentiated: Mul, Div and Sub must emit nothing for it
  const y = b.op1('Sub', [b.op1('Div', [b.op1('Mul', [x, c]), c]), c]);
  const loss = b.op1('ReduceSum', [y], { keepdims: 0 });
  const before = b.graph.nodes.length;
  const { grads } = backward(b, loss, [x]);
  const emitted = b.graph.nodes.slice(before);
  t.is(grads.get(x), 'x_grad');
  t.deepEqual(emitted.filter((n) => /\/dB$/.test(n.name)).map((n) => n.name), [], 'no gradient node for the constant operand');
  b.output(grads.get(x)!);
  const g = b.finish();
  t.deepEqual(g.nodes.filter((n) => !n.outputs.some((o) => g.outputs.some((v) => v.name === o) || g.nodes.some((m) => m.inputs.includes(o)))), []);
});

test('hand-computed: d/dx of sum(relu(x) * x) and cross-entropy gradient', async (t) => {
  const b = new GraphBuilder('hand');
  const x = b.input('x', DType.FLOAT, [4]);
  const y = b.op1('Mul', [b.op1('Relu', [x]), x]);
  const loss = b.op1('ReduceSum', [y], { keepdims: 0 }, { names: ['loss'] });
  b.output(loss);
  const gx = backward(b, loss, [x]).grads.get(x)!;
  b.output(gx);
  const s = await createSession(b.graph, { device: 'cpu', threads: 1 });
  const out = await s.run({ x: f32Tensor(Float32Array.from([-2, -0.5, 0.5, 3]), [4]) });
  // d/dx relu(x)·x = 2x for x > 0, 0 for x < 0
  t.deepEqual(Array.from(out[gx]!.data as Float32Array), [0, 0, 1, 6]);

  // loss = −log softmax(z)[y] for one sample z = [0, ln 3]: softmax = [1/4, 3/4], y = 0 → dz = [−3/4, 3/4]
  const c = new GraphBuilder('hand_ce');
  const z = c.input('z', DType.FLOAT, [1, 2]);
  const lab = c.initializer('labels', { dtype: DType.INT64, shape: [1], data: BigInt64Array.from([0n]) });
  const [l] = c.op('SoftmaxCrossEntropyLoss', [z, lab], { reduction: 'mean' }, { outputs: 2 });
  c.output(l!);
  const gz = backward(c, l!, [z]).grads.get(z)!;
  c.output(gz);
  const s2 = await createSession(c.graph, { device: 'cpu', threads: 1 });
  const o2 = await s2.run({ z: f32Tensor(Float32Array.from([0, Math.log(3)]), [1, 2]) });
  const dz = Array.from(o2[gz]!.data as Float32Array);
  t.true(Math.abs(dz[0]! + 0.75) < 1e-6 && Math.abs(dz[1]! - 0.75) < 1e-6, `dz=${dz}`);
  t.true(Math.abs((o2[l!]!.data as Float32Array)[0]! - Math.log(4)) < 1e-6);
});

test.after('every graph emitted by the gradient checks passes onnx.checker (full_check)', (t) => {
  const report = checkModels(emittedModels);
  if (report) throw new Error(report);
  t.pass();
});
