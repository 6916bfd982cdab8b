// Development aid: build and time one growing step graph (the real measurement is in the bench).
import { vgg19, mobilenetv1 } from '../src/models/arch';
import { initParams, paramSpecs } from '../src/models/params';
import { buildGrowGraph } from '../src/grow/graph';
import { thetaName, adamMName, adamVName, estimateName, param } from '../src/models/names';
import { writeModel } from '../src/onnx/writer';
import { createSession, f32Tensor, i64Tensor, ort } from '../src/runtime/session';
import { Rng } from '../src/util/rng';

async function main() {
  const [family, w, B, gran] = [process.argv[2] ?? 'vgg19', Number(process.argv[3] ?? 16), Number(process.argv[4] ?? 64), (process.argv[5] ?? 'batch') as 'batch'];
  const arch = family === 'vgg19' ? vgg19(w) : mobilenetv1(w);
  const g = buildGrowGraph(arch, B, { granularity: gran });
  if (process.env.WRITE) writeModel(g, process.env.WRITE);
  const s = await createSession(g, { device: 'cpu', threads: 2 });
  const params = initParams(arch, 0);
  const rng = new Rng(2);
  const [C, H, W] = arch.inputShape;
  const feeds: Record<string, ort.Tensor> = {
    images: f32Tensor(Float32Array.from({ length: B * C * H * W }, () => rng.normal()), [B, C, H, W]),
    labels: i64Tensor(BigInt64Array.from({ length: B }, (_, i) => BigInt(i % 10)), [B]),
    adam_step: f32Tensor(Float32Array.of(1), []),
    theta_lr: f32Tensor(Float32Array.of(0.01), []),
  };
  for (const sp of paramSpecs(arch)) feeds[sp.name] = f32Tensor(params.get(sp.name)!, sp.shape);
  for (const l of arch.layers) {
    const sp = paramSpecs(arch).find((x) => x.name === param.convWeight(l.name))!;
    const wv = params.get(sp.name)!;
    feeds[thetaName(l.name)] = f32Tensor(Float32Array.from(wv, (x) => 0.01 * rng.normal() * Math.abs(x)), sp.shape);
    feeds[adamMName(l.name)] = f32Tensor(new Float32Array(wv.length), sp.shape);
    feeds[adamVName(l.name)] = f32Tensor(new Float32Array(wv.length), sp.shape);
  }
  for (let i = 0; i < 4; i++) {
    const t = performance.now();
    const out = await s.run(feeds);
    console.log(`step ${i}: ${(performance.now() - t).toFixed(1)} ms, loss ${(out.loss!.data as Float32Array)[0]}, objective ${(out.grow_objective!.data as Float32Array)[0]}`);
    if (i === 0) {
      const l = arch.layers[3]!.name;
      console.log(l, 'split_gn', Array.from(out[estimateName(l, 'split_gn')]!.data as Float32Array).slice(0, 4), 'prune_gn', Array.from(out[estimateName(l, 'prune_gn')]!.data as Float32Array).slice(0, 4));
    }
  }
}
main();
