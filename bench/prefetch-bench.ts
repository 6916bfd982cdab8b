// Measures whether preparing batches in a worker thread (BatchLoader prefetch: 'worker') overlaps
// with an ONNX Runtime step on this machine, against preparing them on the main thread. Not a test:
// run by hand after building,  node dist/bench/prefetch-bench.js [batches] [repetitions] [width...]
//
// The "step" is the forward pass of a small CNN (conv-relu x3, pool, linear) whose cost is set by its
// width, standing in for a training step: what matters is that ORT keeps both cores busy for a while.
import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { Batch, BatchLoader } from '../src/data/batch-loader';
import { PAPER_AUGMENT } from '../src/data/augment';
import { Dataset } from '../src/data/dataset';
import { Rng } from '../src/util/rng';

function weights(name: string, dims: number[], rng: Rng): onnx.ITensorProto {
  const n = dims.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n).map(() => rng.normal() * 0.05);
  return { name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(data.buffer) };
}

function cnn(width: number): Uint8Array {
  const rng = new Rng(7);
  const init: onnx.ITensorProto[] = [];
  const nodes: onnx.INodeProto[] = [];
  const ints = (name: string, v: number[]): onnx.IAttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: v });
  let x = 'x';
  let cin = 3;
  [width, width, 2 * width].forEach((cout, i) => {
    init.push(weights(`w${i}`, [cout, cin, 3, 3], rng));
    nodes.push({ opType: 'Conv', input: [x, `w${i}`], output: [`c${i}`], attribute: [ints('pads', [1, 1, 1, 1])] });
    nodes.push({ opType: 'Relu', input: [`c${i}`], output: [`r${i}`] });
    x = `r${i}`;
    if (i === 1) {
      nodes.push({ opType: 'MaxPool', input: [x], output: ['p'], attribute: [ints('kernel_shape', [2, 2]), ints('strides', [2, 2])] });
      x = 'p';
    }
    cin = cout;
  });
  init.push(weights('fc', [cin, 10], rng));
  nodes.push({ opType: 'GlobalAveragePool', input: [x], output: ['g'] });
  nodes.push({ opType: 'Flatten', input: ['g'], output: ['f'] });
  nodes.push({ opType: 'MatMul', input: ['f', 'fc'], output: ['y'] });
  const tensor = (name: string, dims: (number | string)[]): onnx.IValueInfoProto => ({
    name,
    type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  });
  const model: onnx.IModelProto = {
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: { name: 'bench', node: nodes, initializer: init, input: [tensor('x', ['N', 3, 32, 32])], output: [tensor('y', ['N', 10])] },
  };
  return onnx.ModelProto.encode(model).finish();
}

function syntheticCifar(n: number): Dataset {
  const rng = new Rng(1);
  const images = new Uint8Array(n * 3072);
  for (let i = 0; i < images.length; i++) images[i] = rng.nextU32() & 0xff;
  const labels = new Uint8Array(n).map(() => rng.int(10));
  return { name: 'synthetic', images, labels, n, shape: [3, 32, 32], classes: 10, classNames: [], source: 'synthetic' };
}

const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

async function main(): Promise<void> {
  const batches = Number(process.argv[2] ?? 40);
  const reps = Number(process.argv[3] ?? 7);
  const widths = process.argv.length > 4 ? process.argv.slice(4).map(Number) : [8, 16, 32];
  const bs = 128;
  const ds = syntheticCifar(bs * batches);
  const base = { batchSize: bs, shuffle: true, dropLast: true, augment: PAPER_AUGMENT, normalization: { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] }, seed: 1 };
  const sync = new BatchLoader(ds, { ...base, prefetch: 'none' });
  const worker = new BatchLoader(ds, { ...base, prefetch: 'worker' });
  // Warm up both paths (JIT, worker start, shared copy of the images).
  for await (const b of worker.epoch('train', 0)) void b;
  for (const b of sync.batches('train', 0)) void b;

  let t0 = process.hrtime.bigint();
  for (const b of sync.batches('train', 1)) void b;
  console.log(`prepare only, main thread: ${(ms(t0) / batches).toFixed(2)} ms/batch (${bs}x3x32x32, crop+flip)`);
  for (const width of widths) {
    const session = await ort.InferenceSession.create(cnn(width), { intraOpNumThreads: 2, interOpNumThreads: 1 });
    const feed = (b: { images: Float32Array; dims: number[] }) => ({ x: new ort.Tensor('float32', b.images, b.dims) });
    const first = sync.batches('train', 0).next().value as Batch;
    const fixed = { images: Float32Array.from(first.images), dims: first.dims };
    await session.run(feed(fixed));
    // Interleaved repetitions, medians reported: this machine is shared, so single runs are noisy.
    const results: Record<'step' | 'main' | 'worker', number[]> = { step: [], main: [], worker: [] };
    for (let rep = 0; rep < reps; rep++) {
      t0 = process.hrtime.bigint();
      for (let i = 0; i < batches; i++) await session.run(feed(fixed));
      results.step.push(ms(t0) / batches);
      t0 = process.hrtime.bigint();
      for (const b of sync.batches('train', 2 + rep)) await session.run(feed(b));
      results.main.push(ms(t0) / batches);
      t0 = process.hrtime.bigint();
      for await (const b of worker.epoch('train', 2 + rep)) await session.run(feed(b));
      results.worker.push(ms(t0) / batches);
    }
    const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)].toFixed(2);
    const all = (a: number[]) => a.map((v) => v.toFixed(1)).join('/');
    console.log(
      `width ${width}: median ms/batch: step only ${median(results.step)}, prepare on main thread + step ${median(results.main)}, worker prefetch + step ${median(results.worker)}` +
        `  (runs: step ${all(results.step)}; main ${all(results.main)}; worker ${all(results.worker)})`,
    );
  }
  await worker.close();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
