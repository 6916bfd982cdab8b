// The grow graph's estimates equal a direct computation from the same batch done outside it: z, g
// from a probe graph (forward + ∂L/∂z), z± from the same probe run with W ± Θ, then in JS
//   split: s_c = Σ (½(z⁺_c + z⁻_c) − z_c)·g_c        prune: s_c = −Σ z_c·g_c
//   ΔL_GN = s + s²/(4L̂)  (batch);   per sample: mean_i (s_ic + s_ic²/(4 L_i)), s_ic = N·Σ_hw Δz·g
// Also: the graph passes the ONNX checker, and Adam moves θ.
import test from 'ava';
import * as fs from 'fs';
import * as path from 'path';
import { ArchState, mobilenetv1, vgg19 } from '../../src/models/arch';
import { initParams, paramSpecs } from '../../src/models/params';
import { modelBytes } from '../../src/onnx/writer';
import { buildGrowGraph, Granularity } from '../../src/grow/graph';
import { estimateName, thetaName, adamMName, adamVName, nextName, param } from '../../src/models/names';
import { createSession, f32Tensor, i64Tensor, ort } from '../../src/runtime/session';
import { Rng } from '../../src/util/rng';
import { checkModels } from '../helpers/onnx-checker';
import { layerProbe } from '../helpers/layer-probe';
import { tempDir } from '../helpers/temp-dir';

async function check(t: import('ava').ExecutionContext, arch: ArchState, granularity: Granularity) {
  const batch = 8;
  const rng = new Rng(11);
  const params = initParams(arch, 4);
  const [C, H, W] = arch.inputShape;
  const images = Float32Array.from({ length: batch * C * H * W }, () => rng.normal());
  const labels = BigInt64Array.from({ length: batch }, () => BigInt(rng.int(arch.classes)));
  const thetas = new Map<string, Float32Array>();
  for (const l of arch.layers) thetas.set(l.name, Float32Array.from(params.get(param.convWeight(l.name))!, () => 0.3 * rng.normal()));

  const graph = buildGrowGraph(arch, batch, { granularity });
  const file = path.join(tempDir('nasgrow-grow-'), 'grow.onnx');
  fs.writeFileSync(file, modelBytes(graph));
  t.is(checkModels([file]), '');
  // the graph as the engine runs it (lowered for the CPU), like the probe below
  const grow = await createSession(graph, { device: 'cpu', threads: 1 });
  const feeds: Record<string, ort.Tensor> = {
    images: f32Tensor(images, [batch, C, H, W]),
    labels: i64Tensor(labels, [batch]),
    adam_step: f32Tensor(Float32Array.of(1), []),
    theta_lr: f32Tensor(Float32Array.of(0.01), []),
  };
  for (const s of paramSpecs(arch)) feeds[s.name] = f32Tensor(params.get(s.name)!, s.shape);
  for (const l of arch.layers) {
    const shape = paramSpecs(arch).find((s) => s.name === param.convWeight(l.name))!.shape;
    feeds[thetaName(l.name)] = f32Tensor(thetas.get(l.name)!, shape);
    feeds[adamMName(l.name)] = f32Tensor(new Float32Array(thetas.get(l.name)!.length), shape);
    feeds[adamVName(l.name)] = f32Tensor(new Float32Array(thetas.get(l.name)!.length), shape);
  }
  const out = await grow.run(feeds);

  const { run } = await layerProbe(arch, batch);
  const base = await run(params, images, labels);
  const L = (base.loss!.data as Float32Array)[0]!;
  t.true(Math.abs(L - (out.loss!.data as Float32Array)[0]!) < 1e-6);
  const Li = base.per_sample!.data as Float32Array;
  let worst = 0;
  let compared = 0;
  for (const layer of arch.layers) {
    const shifted = (sign: number) => {
      const p = new Map(params);
      const w = params.get(param.convWeight(layer.name))!;
      const th = thetas.get(layer.name)!;
      p.set(param.convWeight(layer.name), Float32Array.from(w, (v, i) => v + sign * th[i]!));
      return run(p, images, labels);
    };
    const plus = (await shifted(1))[`z.${layer.name}`]!;
    const minus = (await shifted(-1))[`z.${layer.name}`]!;
    const z = base[`z.${layer.name}`]!.data as Float32Array;
    const g = base[`g.${layer.name}`]!.data as Float32Array;
    const [N, Cz, Hz, Wz] = base[`z.${layer.name}`]!.dims as number[];
    const hw = Hz! * Wz!;
    const estimate = (dz: (i: number) => number) => {
      const perSample = Array.from({ length: N! }, () => new Float64Array(Cz!));
      for (let n = 0; n < N!; n++) for (let c = 0; c < Cz!; c++) for (let k = 0; k < hw; k++) {
        const i = (n * Cz! + c) * hw + k;
        perSample[n]![c]! += dz(i) * g[i]!;
      }
      const s = new Float64Array(Cz!);
      const gn = new Float64Array(Cz!);
      for (let c = 0; c < Cz!; c++) {
        for (let n = 0; n < N!; n++) s[c]! += perSample[n]![c]!;
        if (granularity === 'batch') gn[c] = s[c]! + (s[c]! * s[c]!) / (4 * L);
        else {
          let acc = 0;
          for (let n = 0; n < N!; n++) {
            const si = N! * perSample[n]![c]!;
            acc += si + (si * si) / (4 * Li[n]!);
          }
          gn[c] = acc / N!;
        }
      }
      return { s, gn };
    };
    const pz = plus.data as Float32Array;
    const mz = minus.data as Float32Array;
    const split = estimate((i) => 0.5 * (pz[i]! + mz[i]!) - z[i]!);
    const prune = estimate((i) => -z[i]!);
    const cmp = (label: string, ours: Float32Array, direct: Float64Array) => {
      const scale = Math.max(...Array.from(direct, Math.abs));
      for (let c = 0; c < direct.length; c++) {
        const err = Math.abs(ours[c]! - direct[c]!) / (1e-4 * scale + 1e-7);
        worst = Math.max(worst, err);
        compared++;
        if (err > 1) t.fail(`${layer.name} ${label}[${c}]: grow graph ${ours[c]} direct ${direct[c]}`);
      }
    };
    cmp('split_gn', out[estimateName(layer.name, 'split_gn')]!.data as Float32Array, split.gn);
    cmp('prune_gn', out[estimateName(layer.name, 'prune_gn')]!.data as Float32Array, prune.gn);
    if (granularity === 'batch') {
      cmp('split_s', out[estimateName(layer.name, 'split_s')]!.data as Float32Array, split.s);
      cmp('prune_s', out[estimateName(layer.name, 'prune_s')]!.data as Float32Array, prune.s);
    }
    // Adam's first step moves every θ entry with a non-zero gradient by ≈ lr
    const moved = out[nextName(thetaName(layer.name))]!.data as Float32Array;
    const th = thetas.get(layer.name)!;
    t.true(moved.some((v, i) => Math.abs(v - th[i]!) > 1e-3), `${layer.name}: θ did not move`);
  }
  t.log(`${compared} estimates compared, worst error ${worst.toFixed(3)} of the tolerance (1e-4 of the layer's largest)`);
}

test('grow graph estimates equal a direct computation: VGG-19, batch Gauss-Newton', (t) => check(t, vgg19(4), 'batch'));
test('grow graph estimates equal a direct computation: MobileNetV1, batch Gauss-Newton', (t) => check(t, mobilenetv1(4), 'batch'));
test('grow graph estimates equal a direct computation: VGG-19 1x28x28, per-sample Gauss-Newton', (t) => check(t, vgg19(4, [1, 28, 28], 10), 'sample'));
