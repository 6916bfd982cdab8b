// Quick timing of one training step graph (development aid; the real benchmark is bench/bench.ts).
import { vgg19, mobilenetv1 } from '../src/models/arch';
import { initParams, paramSpecs } from '../src/models/params';
import { buildTrainGraph } from '../src/train/graphs';
import { momentumName, nextName } from '../src/models/names';
import { modelBytes } from '../src/onnx/writer';
import { createSession, f32Tensor, i64Tensor, ort } from '../src/runtime/session';

async function main() {
  const [family, w, B] = [process.argv[2] ?? 'vgg19', Number(process.argv[3] ?? 16), Number(process.argv[4] ?? 64)];
  const arch = family === 'vgg19' ? vgg19(w) : mobilenetv1(w);
  const t0 = Date.now();
  const g = buildTrainGraph(arch, B, { momentum: 0.9, nesterov: true, weightDecay: 1e-4 });
  const bytes = modelBytes(g);
  console.log(`nodes ${g.nodes.length} bytes ${bytes.length} build ${Date.now() - t0} ms`);
  const s = await createSession(bytes, { device: 'cpu', threads: 2 });
  const params = initParams(arch, 0);
  const feeds: Record<string, ort.Tensor> = {};
  const [C, H, W] = arch.inputShape;
  feeds.images = f32Tensor(Float32Array.from({ length: B * C * H * W }, () => Math.random() - 0.5), [B, C, H, W]);
  feeds.labels = i64Tensor(BigInt64Array.from({ length: B }, (_, i) => BigInt(i % 10)), [B]);
  feeds.lr = f32Tensor(Float32Array.from([0.05]), []);
  for (const sp of paramSpecs(arch)) {
    feeds[sp.name] = f32Tensor(params.get(sp.name)!, sp.shape);
    if (sp.trainable) feeds[momentumName(sp.name)] = f32Tensor(new Float32Array(params.get(sp.name)!.length), sp.shape);
  }
  const times: number[] = [];
  for (let i = 0; i < 15; i++) {
    const t = process.hrtime.bigint();
    const out = await s.run(feeds);
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
    for (const sp of paramSpecs(arch)) {
      feeds[sp.name] = out[nextName(sp.name)]!;
      if (sp.trainable) feeds[momentumName(sp.name)] = out[nextName(momentumName(sp.name))]!;
    }
    if (i < 3 || i === 14) console.log(`step ${i} loss ${(out.loss!.data as Float32Array)[0]} correct ${(out.correct!.data as Float32Array)[0]} ${times[i]!.toFixed(1)} ms`);
  }
  const med = times.slice(5).sort((a, b) => a - b)[5]!;
  console.log(`median ${med.toFixed(1)} ms/step = ${((B * 1000) / med).toFixed(0)} img/s`);
}
main();
