// Structure every emitted graph must have: no node whose outputs nothing reads (a dead node costs ORT
// a kernel launch per step and a reader a box in Netron), and the final gradient of every parameter
// (train) and of every layer's θ (grow) named `<value>_grad`, as ONNX Runtime names gradients.
import test from 'ava';
import { buildGrowGraph } from '../../src/grow/graph';
import { buildSplittingGraph } from '../../src/grow/splitting';
import { gradientProbeGraph, lossProbeGraph } from '../../src/grow/true-delta';
import { seedArch } from '../../src/models/arch';
import { gradName, thetaName } from '../../src/models/names';
import { initParams, trainableSpecs } from '../../src/models/params';
import { partOf } from '../../src/models/parts';
import type { Graph } from '../../src/onnx/graph';
import { buildEvalGraph, buildInferenceGraph, buildTrainGraph } from '../../src/train/graphs';

const SGD = { momentum: 0.9, nesterov: true, weightDecay: 1e-4 };

function deadNodes(g: Graph): string[] {
  const read = new Set([...g.outputs.map((o) => o.name), ...g.nodes.flatMap((n) => n.inputs)]);
  return g.nodes.filter((n) => !n.outputs.some((o) => read.has(o))).map((n) => `${n.opType} ${n.name}`);
}

const produced = (g: Graph) => new Set(g.nodes.flatMap((n) => n.outputs));

for (const [family, width] of [['vgg19', 16], ['mobilenetv1', 32]] as const) {
  const arch = seedArch(family, width);
  const graphs: Record<string, () => Graph> = {
    train: () => buildTrainGraph(arch, 8, SGD),
    eval: () => buildEvalGraph(arch),
    infer: () => buildInferenceGraph(arch, initParams(arch, 0)),
    'grow (batch)': () => buildGrowGraph(arch, 8, { granularity: 'batch' }),
    'grow (sample)': () => buildGrowGraph(arch, 8, { granularity: 'sample' }),
  };
  const layers = new Set(arch.layers.map((l) => l.name));
  for (const [kind, build] of Object.entries(graphs)) {
    test(`${family}-w${width} ${kind}: no dead node`, (t) => {
      t.deepEqual(deadNodes(build()), []);
    });

    // What a saved graph's functions and a search for `conv3/` rely on (src/models/parts.ts).
    test(`${family}-w${width} ${kind}: every node has a layer part, under its layer's prefix, no layer name repeated`, (t) => {
      const g = build();
      t.deepEqual(g.nodes.filter((n) => n.layer === undefined || n.part === undefined).map((n) => n.name), []);
      t.deepEqual(g.nodes.filter((n) => !n.name.startsWith(`${n.layer}/`)).map((n) => `${n.name} (${n.layer}.${n.part})`), []);
      t.deepEqual(g.nodes.filter((n) => n.name.split('/').slice(1).some((seg) => layers.has(seg) || seg === 'fc')).map((n) => n.name), []);
    });
  }

  // Graphs that are run but not saved (the experiments' probes, splitting steepest descent's products):
  // no dead node either, the probes' forward pass without the values saved for a backward pass.
  const probes: Record<string, () => Graph> = {
    'loss probe': () => lossProbeGraph(arch, 8),
    'gradient probe': () => gradientProbeGraph(arch, 8, trainableSpecs(arch)[0]!.name).graph,
    splitting: () => buildSplittingGraph(arch, 8),
  };
  for (const [kind, build] of Object.entries(probes)) {
    test(`${family}-w${width} ${kind}: no dead node`, (t) => {
      t.deepEqual(deadNodes(build()), []);
    });
  }

  test(`${family}-w${width} infer: the nodes after the classifier sit under head/`, (t) => {
    const g = buildInferenceGraph(arch, initParams(arch, 0));
    t.deepEqual(g.nodes.slice(-2).map((n) => n.name), ['head/logits', 'head/softmax']);
  });

  test(`${family}-w${width} train: every parameter's gradient is <param>_grad and the SGD update reads it`, (t) => {
    const g = buildTrainGraph(arch, 8, SGD);
    const out = produced(g);
    for (const s of trainableSpecs(arch)) {
      const name = gradName(s.name);
      t.true(out.has(name), `${name} is not a value of the graph`);
      t.true(g.nodes.some((n) => n.inputs.includes(name) && n.name.startsWith(`${s.layer}/sgd/`)), `no SGD node of ${s.layer} reads ${name}`);
    }
  });

  test(`${family}-w${width} grow: every layer's θ gradient is theta.<layer>_grad and Adam reads it`, (t) => {
    const g = buildGrowGraph(arch, 8, { granularity: 'batch' });
    const out = produced(g);
    for (const l of arch.layers) {
      const name = gradName(thetaName(l.name));
      t.true(out.has(name), `${name} is not a value of the graph`);
      t.true(g.nodes.some((n) => n.inputs.includes(name) && n.name.startsWith(`${l.name}/adam/`)), `no Adam node of ${l.name} reads ${name}`);
    }
  });
}

test('partOf: names the builders do not emit today still land in their layer part, or in none', (t) => {
  const layers = new Set(['conv1', 'conv2']);
  // autodiff's scope for the sum of a tensor's gradient contributions, or for its final name
  t.deepEqual(partOf('conv2.conv.weight_grad/Sum', layers), { layer: 'conv2', part: 'backward' });
  t.deepEqual(partOf('fc.bias_grad/Sum', layers), { layer: 'fc', part: 'backward' });
  t.deepEqual(partOf('theta.conv1_grad/Identity', layers), { layer: 'conv1', part: 'theta_backward' });
  t.deepEqual(partOf('conv1/morphisms/split_plus/relu:0_grad/Sum', layers), { layer: 'conv1', part: 'theta_backward' });
  t.deepEqual(partOf('adam/bias_correction1', layers), { layer: 'adam', part: 'bias_correction' });
  t.deepEqual(partOf('loss/SoftmaxCrossEntropyLoss_grad/dZ', layers), { layer: 'loss', part: 'backward' });
  t.is(partOf('images_grad/Sum', layers), undefined);
  t.is(partOf('conv3.conv.weight_grad/Sum', layers), undefined);
  t.is(partOf('Sum', layers), undefined);
});
