// Why a split estimate misses its true ΔL: the size of Δz = ½(z⁺ + z⁻) − z per channel, for the setup
// of the ranking test (test/grow/ranking.test.ts: MobileNetV1 or VGG-19 briefly trained on the
// Fashion-MNIST sample, one batch, θ = scale · RMS(w) random). The estimate s = Σ Δz·g is exact to first
// order in Δz; the true ΔL adds ≈ ½ ΔzᵀHΔz. For a smooth channel Δz = O(θ²) and that term is O(θ⁴);
// where ReLU kinks are crossed Δz has parts of lower order, so a channel with a large ‖Δz‖ and a small
// s (g nearly orthogonal to Δz) can be mis-ranked.
//   node dist/bench/split-dz.js [mobilenetv1|vgg19] [layer] [channels] [scales]
//   node dist/bench/split-dz.js mobilenetv1 stem 0,4,13,21,23 0.005,0.01,0.02
import { param } from '../src/models/names';
import { mobilenetv1, vgg19 } from '../src/models/arch';
import { initTheta } from '../src/grow/theta';
import { brieflyTrained } from '../test/helpers/briefly-trained';
import { layerProbe } from '../test/helpers/layer-probe';

async function main() {
  const batch = 64;
  const family = process.argv[2] ?? 'mobilenetv1';
  const arch = family === 'vgg19' ? vgg19(16, [1, 28, 28], 10) : mobilenetv1(32, [1, 28, 28], 10);
  const layerName = process.argv[3] ?? arch.layers[0]!.name;
  const channels = (process.argv[4] ?? '0,1,2,3').split(',').map(Number);
  const scales = (process.argv[5] ?? '0.005,0.01,0.02').split(',').map(Number);
  if (!arch.layers.some((l) => l.name === layerName)) throw new Error(`no layer ${layerName}; layers: ${arch.layers.map((l) => l.name).join(', ')}`);

  // the ranking test's network and its first batch of epoch 1
  const { state, loader } = await brieflyTrained(arch, batch);
  const first = loader.batches('train', 1).next().value!;
  const images = Float32Array.from(first.images);
  const labels = BigInt64Array.from(first.labels);
  const probe = await layerProbe(arch, batch, 2);
  const base = await probe.run(state.params, images, labels);
  const z = base[`z.${layerName}`]!.data as Float32Array;
  const gz = base[`g.${layerName}`]!.data as Float32Array;
  const [N, Cz, Hz, Wz] = base[`z.${layerName}`]!.dims as number[];
  const hw = Hz! * Wz!;
  const weight = state.params.get(param.convWeight(layerName))!;

  console.log('scale channel s=Σ Δz·g ‖Δz‖ ‖½(z⁺−z⁻)‖ ‖z‖ active');
  for (const scale of scales) {
    const theta = initTheta(arch, state.params, scale, 3, 0).theta.get(layerName)!;
    const shifted = async (sign: number) => {
      const p = new Map(state.params);
      p.set(param.convWeight(layerName), Float32Array.from(weight, (v, i) => v + sign * theta[i]!));
      return (await probe.run(p, images, labels))[`z.${layerName}`]!.data as Float32Array;
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
  await probe.release();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
