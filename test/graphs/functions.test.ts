// Saved graphs group each layer part into a model-local function (src/onnx/writer.ts, option
// `functions`): ONNX Runtime, which inlines them, must compute exactly what the flat graph computes,
// and the top level of a training or growing graph must stay small enough for Netron to draw at once.
import test from 'ava';
import * as fs from 'fs';
import * as path from 'path';
import { onnx } from 'onnx-proto';
import { buildGrowGraph } from '../../src/grow/graph';
import { buildSplittingGraph } from '../../src/grow/splitting';
import { mobilenetv1, vgg19 } from '../../src/models/arch';
import { initParams } from '../../src/models/params';
import { DType, Graph, GraphBuilder } from '../../src/onnx/graph';
import { FUNCTION_DOMAIN, modelBytes } from '../../src/onnx/writer';
import { buildTrainGraph } from '../../src/train/graphs';
import { f32Tensor, i64Tensor, ort } from '../../src/runtime/session';
import { Rng } from '../../src/util/rng';
import { ROOT } from '../helpers/root';

const SGD = { momentum: 0.9, nesterov: true, weightDecay: 1e-4 };

/** Feeds for every input of `g`: the model's fresh weights where it has them, else small random values. */
function feedsFor(g: Graph, weights: Map<string, Float32Array>, classes: number): Record<string, ort.Tensor> {
  const rng = new Rng(3);
  const feeds: Record<string, ort.Tensor> = {};
  for (const vi of g.inputs) {
    const shape = vi.shape as number[];
    const n = shape.reduce((a, b) => a * b, 1);
    if (vi.dtype === DType.INT64) feeds[vi.name] = i64Tensor(BigInt64Array.from({ length: n }, () => BigInt(rng.int(classes))), shape);
    else if (vi.name === 'adam_step') feeds[vi.name] = f32Tensor(Float32Array.of(3), shape);
    else if (vi.name.startsWith('adam_v.')) feeds[vi.name] = f32Tensor(Float32Array.from({ length: n }, () => 1e-4 * rng.normal() ** 2), shape);
    else feeds[vi.name] = f32Tensor(weights.get(vi.name) ?? Float32Array.from({ length: n }, () => 0.05 * rng.normal()), shape);
  }
  return feeds;
}

async function outputsOf(bytes: Uint8Array, feeds: Record<string, ort.Tensor>): Promise<ort.InferenceSession.ReturnType> {
  // the saved file as a person would run it: bytes, so nasgrow's CPU lowering does not apply
  const s = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
  try {
    return await s.run(feeds);
  } finally {
    await s.release();
  }
}

// Each family's training step, growing step and splitting graph (steepest descent), at one Gauss-Newton granularity each (a session of a
// growing graph takes seconds to create: the two granularities differ only in the heads).
const small = [
  { label: 'vgg19-w4', arch: vgg19(4, [3, 32, 32], 5), granularity: 'batch' as const },
  { label: 'mobilenetv1-w4', arch: mobilenetv1(4, [3, 16, 16], 5), granularity: 'sample' as const },
];
for (const { label, arch, granularity } of small) {
  const graphs: Record<string, () => Graph> = {
    train: () => buildTrainGraph(arch, 4, SGD),
    [`grow (${granularity})`]: () => buildGrowGraph(arch, 4, { granularity }),
    splitting: () => buildSplittingGraph(arch, 4),
  };
  for (const [kind, build] of Object.entries(graphs)) {
    test(`${label} ${kind}: the graph with functions computes in ONNX Runtime exactly what the flat graph computes`, async (t) => {
      const g = build();
      const feeds = feedsFor(g, initParams(arch, 1), arch.classes);
      const withFunctions = modelBytes(g, { functions: true });
      const m = onnx.ModelProto.decode(withFunctions);
      t.true(m.functions.length > 0 && m.graph!.node!.every((n) => n.domain === FUNCTION_DOMAIN), 'every top-level node calls a function');
      const flat = await outputsOf(modelBytes(g), feeds);
      const grouped = await outputsOf(withFunctions, feeds);
      t.deepEqual(Object.keys(grouped).sort(), g.outputs.map((o) => o.name).sort());
      const differ: string[] = [];
      for (const o of g.outputs) {
        const a = flat[o.name]!.data as Float32Array;
        const b = grouped[o.name]!.data as Float32Array;
        if (a.length !== b.length || a.some((v, i) => !Object.is(v, b[i]))) differ.push(o.name);
      }
      t.deepEqual(differ, []);
      t.false(Object.values(flat).some((v) => (v.data as Float32Array).some((x) => !Number.isFinite(Number(x)))), 'the feeds give finite outputs');
    });
  }
}

test('the top level of every training and growing graph in graphs/ has at most 150 nodes, each a layer part', (t) => {
  for (const seed of ['vgg19-w16', 'mobilenetv1-w32']) {
    for (const kind of ['train', 'grow']) {
      const m = onnx.ModelProto.decode(fs.readFileSync(path.join(ROOT, 'graphs', seed, `${kind}.onnx`)));
      const nodes = m.graph!.node!;
      t.log(`${seed}/${kind}.onnx: ${nodes.length} top-level nodes, ${m.functions.length} functions`);
      t.true(nodes.length <= 150, `${seed}/${kind}.onnx has ${nodes.length} top-level nodes`);
      t.deepEqual(nodes.map((n) => n.opType), m.functions.map((f) => f.name), `${seed}/${kind}.onnx: one call per function, in the order they are defined`);
    }
  }
});

test('layer parts that read each other in a cycle cannot be functions: the writer names them', (t) => {
  const b = new GraphBuilder('cycle');
  const x = b.input('x', DType.FLOAT, [2]);
  const a1 = b.op1('Relu', [x]);
  const b1 = b.op1('Neg', [a1]);
  const a2 = b.op1('Abs', [b1]);
  b.output(a2);
  const g = b.finish();
  g.nodes.forEach((n, k) => Object.assign(n, { layer: k === 1 ? 'b' : 'a', part: 'forward' }));
  t.notThrows(() => modelBytes(g));
  t.throws(() => modelBytes(g, { functions: true }), { message: /in a cycle \(a\.forward, b\.forward\)/ });
});
