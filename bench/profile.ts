// Profile one architecture's training step with ORT's profiler and aggregate time per op type and
// per kind of work (forward / backward / optimizer), for the README's performance notes.
//   node dist/bench/profile.js vgg19 16 [batch] [steps] [train|grow]
import * as fs from 'fs';
import { vgg19, mobilenetv1 } from '../src/models/arch';
import { initParams, paramSpecs } from '../src/models/params';
import { buildTrainGraph } from '../src/train/graphs';
import { momentumName, nextName, param } from '../src/models/names';
import { buildGrowGraph } from '../src/grow/graph';
import { adamMName, adamVName, thetaName } from '../src/models/names';
import { partOf } from '../src/models/parts';
import { createSession, f32Tensor, i64Tensor, ort } from '../src/runtime/session';

interface Event { cat: string; name: string; dur: number; args?: { op_name?: string } }

/** The kind of work of each part of the step (src/models/parts.ts). */
const PHASE: Record<string, string> = {
  forward: 'forward',
  backward: 'backward',
  sgd: 'optimizer',
  adam: 'optimizer',
  bias_correction: 'optimizer',
  running_stats: 'bn stats',
  morphisms: 'forward (morphisms)',
  gn_heads: 'forward (morphisms)',
  sum: 'forward (morphisms)',
  theta_backward: 'backward (morphisms)',
};

async function main() {
  const family = process.argv[2] ?? 'vgg19';
  const width = Number(process.argv[3] ?? 16);
  const B = Number(process.argv[4] ?? 64);
  const steps = Number(process.argv[5] ?? 10);
  const arch = family === 'vgg19' ? vgg19(width) : mobilenetv1(width);
  const kind = process.argv[6] ?? 'train';
  const g = kind === 'grow' ? buildGrowGraph(arch, B, { granularity: 'batch' }) : buildTrainGraph(arch, B, { momentum: 0.9, nesterov: true, weightDecay: 1e-4 });
  const prefix = `/tmp/nasgrow-profile-${family}-${width}`;
  const s = await createSession(g, { device: 'cpu', threads: 2, profilePrefix: prefix });
  const params = initParams(arch, 0);
  const [C, H, W] = arch.inputShape;
  const feeds: Record<string, ort.Tensor> = {
    images: f32Tensor(Float32Array.from({ length: B * C * H * W }, (_, i) => Math.sin(i)), [B, C, H, W]),
    labels: i64Tensor(BigInt64Array.from({ length: B }, (_, i) => BigInt(i % arch.classes)), [B]),
  };
  for (const sp of paramSpecs(arch)) {
    feeds[sp.name] = f32Tensor(params.get(sp.name)!, sp.shape);
    if (kind === 'train' && sp.trainable) feeds[momentumName(sp.name)] = f32Tensor(new Float32Array(params.get(sp.name)!.length), sp.shape);
  }
  if (kind === 'grow') {
    feeds.adam_step = f32Tensor(Float32Array.of(1), []);
    feeds.theta_lr = f32Tensor(Float32Array.of(0.01), []);
    for (const l of arch.layers) {
      const w = params.get(param.convWeight(l.name))!;
      const shape = paramSpecs(arch).find((sp) => sp.name === param.convWeight(l.name))!.shape;
      feeds[thetaName(l.name)] = f32Tensor(Float32Array.from(w, (x) => 0.01 * x), shape);
      feeds[adamMName(l.name)] = f32Tensor(new Float32Array(w.length), shape);
      feeds[adamVName(l.name)] = f32Tensor(new Float32Array(w.length), shape);
    }
  } else feeds.lr = f32Tensor(Float32Array.from([0.01]), []);
  const wall: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t = process.hrtime.bigint();
    const out = await s.run(feeds);
    wall.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (kind === 'train') for (const sp of paramSpecs(arch)) feeds[sp.name] = out[nextName(sp.name)]!;
  }
  const file = (s as unknown as { endProfiling(): string }).endProfiling?.() ?? '';
  const found = file && fs.existsSync(file) ? file : fs.readdirSync('/tmp').filter((f) => f.startsWith(`nasgrow-profile-${family}-${width}`)).map((f) => `/tmp/${f}`).sort().pop()!;
  const events = JSON.parse(fs.readFileSync(found, 'utf8')) as Event[];
  const byOp = new Map<string, number>();
  const byPhase = new Map<string, number>();
  let total = 0;
  const layers = new Set(arch.layers.map((l) => l.name));
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
    const node = e.name.slice(0, -'_kernel_time'.length);
    const op = e.args?.op_name ?? '?';
    byOp.set(op, (byOp.get(op) ?? 0) + e.dur);
    const phase = PHASE[partOf(node, layers)?.part ?? ''] ?? 'other';
    byPhase.set(phase, (byPhase.get(phase) ?? 0) + e.dur);
    total += e.dur;
  }
  const per = (us: number) => (us / 1000 / steps).toFixed(2);
  const sorted = [...wall].sort((a, b) => a - b);
  console.log(`${kind} ${family} w=${width} batch ${B}: wall median ${sorted[Math.floor(steps / 2)]!.toFixed(1)} ms/step, kernels ${per(total)} ms/step (${steps} steps; profile ${found})`);
  console.log('by phase (ms/step):', [...byPhase.entries()].map(([k, v]) => `${k} ${per(v)}`).join(', '));
  console.log('by op type (ms/step):');
  for (const [op, us] of [...byOp.entries()].sort((a, b) => b[1] - a[1]).slice(0, 18)) console.log(`  ${op.padEnd(24)} ${per(us).padStart(8)}  ${((100 * us) / total).toFixed(1)}%`);
}
main();
