// Why a split estimate misses its true ΔL: the size of Δz = ½(z⁺ + z⁻) − z per channel, for the setup
// of the ranking test (test/grow/ranking.test.ts: MobileNetV1 or VGG-19 briefly trained on the
// Fashion-MNIST sample, one batch, θ = scale · RMS(w) random). The estimate s = Σ Δz·g is exact to first
// order in Δz; the true ΔL adds ≈ ½ ΔzᵀHΔz. For a smooth channel Δz = O(θ²) and that term is O(θ⁴);
// where ReLU kinks are crossed Δz has parts of lower order, so a channel with a large ‖Δz‖ and a small
// s (g nearly orthogonal to Δz) can be mis-ranked.
//   node dist/bench/split-dz.js [mobilenetv1|vgg19] [layer] [channels] [scales]
//   node dist/bench/split-dz.js mobilenetv1 stem 0,4,13,21,23 0.005,0.01,0.02
import * as path from 'path';
import { mobilenetv1, vgg19 } from '../src/models/arch';
import { paramSpecs } from '../src/models/params';
import { emitForward } from '../src/models/forward';
import { DType, GraphBuilder } from '../src/onnx/graph';
import { modelBytes } from '../src/onnx/writer';
import { backward } from '../src/autodiff/backward';
import { createSession, f32Tensor, i64Tensor, ort } from '../src/runtime/session';
import { initTheta } from '../src/grow/theta';
import { Engine } from '../src/train/engine';
import { freshModelState } from '../src/train/model-state';
import { TensorMap } from '../src/models/params';
import { BatchLoader, channelStats, loadDataset } from '../src/data';

async function main() {
  const batch = 64;
  const family = process.argv[2] ?? 'mobilenetv1';
  const arch = family === 'vgg19' ? vgg19(16, [1, 28, 28], 10) : mobilenetv1(32, [1, 28, 28], 10);
  const layerName = process.argv[3] ?? arch.layers[0]!.name;
  const channels = (process.argv[4] ?? '0,1,2,3').split(',').map(Number);
  const scales = (process.argv[5] ?? '0.005,0.01,0.02').split(',').map(Number);

  // the ranking test's network: one epoch on 2048 sample images, then the first batch of epoch 1
  const root = path.join(__dirname, '..', '..');
  const train = await loadDataset({ kind: 'fashion-mnist', path: path.join(root, 'data', 'sample', 'fashion-mnist'), split: 'train', limit: 2048 });
  const loader = new BatchLoader(train, { batchSize: batch, shuffle: true, dropLast: true, normalization: channelStats(train), seed: 1 });
  const state = freshModelState(arch, 2);
  const engine = await Engine.create(arch, batch, { momentum: 0.9, nesterov: true, weightDecay: 1e-4 }, { device: 'cpu', threads: 2 });
  for (const b of loader.batches(0)) await engine.trainStep(state, b.images, b.labels, 0.05);
  await engine.release();
  const first = loader.batches(1).next().value!;

  // probe: batch-statistics forward, the layer's z (after its channel-wise tail) and g = ∂L/∂z
  const b = new GraphBuilder('split_dz_probe');
  const [C, H, W] = arch.inputShape;
  b.input('images', DType.FLOAT, [batch, C, H, W]);
  b.input('labels', DType.INT64, [batch]);
  for (const s of paramSpecs(arch)) b.input(s.name, DType.FLOAT, s.shape);
  const f = emitForward(b, arch, 'images', (n) => n, 'train');
  const [loss] = b.op('SoftmaxCrossEntropyLoss', [f.logits, 'labels'], { reduction: 'mean' }, { outputs: 2 });
  const ly = f.layers.find((x) => x.name === layerName);
  if (!ly) throw new Error(`no layer ${layerName}; layers: ${arch.layers.map((l) => l.name).join(', ')}`);
  const g = backward(b, loss!, [ly.z]).grads.get(ly.z)!;
  b.output(b.op1('Identity', [ly.z], {}, { names: ['z'] }));
  b.output(b.op1('Identity', [g], {}, { names: ['g'] }));
  const session = await createSession(modelBytes(b.graph), { device: 'cpu', threads: 2 });
  const run = async (params: TensorMap) => {
    const feeds: Record<string, ort.Tensor> = { images: f32Tensor(Float32Array.from(first.images), [batch, C, H, W]), labels: i64Tensor(BigInt64Array.from(first.labels), [batch]) };
    for (const s of paramSpecs(arch)) feeds[s.name] = f32Tensor(params.get(s.name)!, s.shape);
    return session.run(feeds);
  };
  const base = await run(state.params);
  const z = base.z!.data as Float32Array;
  const gz = base.g!.data as Float32Array;
  const [N, Cz, Hz, Wz] = base.z!.dims as number[];
  const hw = Hz! * Wz!;
  const weight = state.params.get(`${layerName}.conv.weight`)!;

  console.log('scale channel s=Σ Δz·g ‖Δz‖ ‖½(z⁺−z⁻)‖ ‖z‖ active');
  for (const scale of scales) {
    const theta = initTheta(arch, state.params, scale, 3, 0).theta.get(layerName)!;
    const shifted = async (sign: number) => {
      const p = new Map(state.params);
      p.set(`${layerName}.conv.weight`, Float32Array.from(weight, (v, i) => v + sign * theta[i]!));
      return (await run(p)).z!.data as Float32Array;
    };
    const zp = await shifted(1);
    const zm = await shifted(-1);
    for (const c of channels) {
      let s = 0, dz2 = 0, half2 = 0, z2 = 0, active = 0;
      for (let n = 0; n < N!; n++) {
        for (let k = 0; k < hw; k++) {
          const i = (n * Cz! + c) * hw + k;
          const dz = 0.5 * (zp[i]! + zm[i]!) - z[i]!; // Δz = ½(z⁺ + z⁻) − z
          const half = 0.5 * (zp[i]! - zm[i]!); //       first-order part of z⁺ − z
          s += dz * gz[i]!;
          dz2 += dz * dz;
          half2 += half * half;
          z2 += z[i]! * z[i]!;
          if (z[i]! > 0) active++;
        }
      }
      const e = (v: number) => v.toExponential(2);
      console.log(`${scale} ${c} ${e(s)} ${e(Math.sqrt(dz2))} ${e(Math.sqrt(half2))} ${e(Math.sqrt(z2))} ${(active / (N! * hw)).toFixed(2)}`);
    }
  }
  await session.release();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
