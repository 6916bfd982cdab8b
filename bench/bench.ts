// `npm run bench`: training throughput of nasgrow vs PyTorch (Debian python3-torch) on this machine,
// same networks, batch 64, 2 threads, random data, interleaved rounds, medians.
//   bench <network> nasgrow=<img/s> pytorch=<img/s> ratio=<ours/pytorch>
import { spawnSync } from 'child_process';
import * as path from 'path';
import { ArchState, mobilenetv1, vgg19 } from '../src/models/arch';
import { Engine } from '../src/train/engine';
import { freshModelState } from '../src/models/state';
import { ensureAllocatorTunables } from '../src/util/allocator';
import { Rng } from '../src/util/rng';
import { median } from '../src/util/stats';
import { GrowEngine } from '../src/grow/grow-engine';
import { initTheta } from '../src/grow/theta';

const NETWORKS: Record<string, () => ArchState> = {
  'vgg19-16': () => vgg19(16),
  'vgg19-64': () => vgg19(64),
  'mobilenetv1-32': () => mobilenetv1(32),
};
const BATCH = 64;
const THREADS = Number(process.env.BENCH_THREADS ?? 2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const STEPS = Number(process.env.BENCH_STEPS ?? 8);
const PYTHON = process.env.NASGROW_PYTHON ?? '/usr/bin/python3';


async function nasgrowRound(engine: Engine, arch: ArchState, warmup: number): Promise<number> {
  const rng = new Rng(1);
  const [C, H, W] = arch.inputShape;
  const images = Float32Array.from({ length: BATCH * C * H * W }, () => rng.normal());
  const labels = BigInt64Array.from({ length: BATCH }, () => BigInt(rng.int(arch.classes)));
  const state = freshModelState(arch, 0);
  for (let i = 0; i < warmup; i++) await engine.trainStep(state, images, labels, 0.01);
  const times: number[] = [];
  for (let i = 0; i < STEPS; i++) {
    const t = performance.now();
    await engine.trainStep(state, images, labels, 0.01);
    times.push(performance.now() - t);
  }
  return median(times);
}

function pytorchRound(network: string): number {
  const script = path.join(__dirname, '..', '..', 'test', 'reference', 'torch_bench.py');
  const r = spawnSync(PYTHON, [script, '--network', network, '--batch', `${BATCH}`, '--threads', `${THREADS}`, '--warmup', '3', '--steps', `${STEPS}`, '--repeats', '1'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`torch_bench.py failed: ${r.stderr || r.error}`);
  const line = r.stdout.trim().split('\n').pop()!;
  return (JSON.parse(line) as { ms_per_step: number }).ms_per_step;
}

/** Growing step vs training step of the same architecture (issue: a growing epoch ≤ 2x a training epoch). */
async function growCost(name: string, arch: ArchState): Promise<string> {
  const rng = new Rng(2);
  const [C, H, W] = arch.inputShape;
  const images = Float32Array.from({ length: BATCH * C * H * W }, () => rng.normal());
  const labels = BigInt64Array.from({ length: BATCH }, () => BigInt(rng.int(arch.classes)));
  const state = freshModelState(arch, 0);
  const theta = initTheta(arch, state.params, 1e-2, 0, 0);
  const train = await Engine.create(arch, BATCH, { momentum: 0.9, nesterov: true, weightDecay: 1e-4 }, { device: 'cpu', threads: THREADS });
  const grow = await GrowEngine.create(arch, BATCH, 'batch', { device: 'cpu', threads: THREADS });
  const t: number[] = [];
  const g: number[] = [];
  for (let i = 0; i < 3; i++) {
    await train.trainStep(state, images, labels, 0);
    await grow.step(state, theta, images, labels, 0.01);
  }
  for (let r = 0; r < ROUNDS * STEPS; r++) {
    let t0 = performance.now();
    await train.trainStep(state, images, labels, 0); // lr 0: same weights every step
    t.push(performance.now() - t0);
    t0 = performance.now();
    await grow.step(state, theta, images, labels, 0.01);
    g.push(performance.now() - t0);
  }
  await train.release();
  await grow.release();
  return `bench grow ${name} train_ms=${median(t).toFixed(1)} grow_ms=${median(g).toFixed(1)} grow/train=${(median(g) / median(t)).toFixed(2)}`;
}

async function main() {
  ensureAllocatorTunables();
  const only = process.argv[2];
  const lines: string[] = [];
  for (const [name, make] of Object.entries(NETWORKS)) {
    if (only && only !== name) continue;
    const arch = make();
    const engine = await Engine.create(arch, BATCH, { momentum: 0.9, nesterov: true, weightDecay: 1e-4 }, { device: 'cpu', threads: THREADS });
    const ours: number[] = [];
    const theirs: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      ours.push(await nasgrowRound(engine, arch, r === 0 ? 3 : 1));
      theirs.push(pytorchRound(name));
      console.error(`  ${name} round ${r + 1}: nasgrow ${ours[r]!.toFixed(1)} ms/step, pytorch ${theirs[r]!.toFixed(1)} ms/step`);
    }
    await engine.release();
    const a = (BATCH * 1000) / median(ours);
    const b = (BATCH * 1000) / median(theirs);
    lines.push(`bench ${name} nasgrow=${a.toFixed(0)} pytorch=${b.toFixed(0)} ratio=${(a / b).toFixed(2)}`);
    console.log(lines[lines.length - 1]);
  }
  for (const name of ['vgg19-16', 'mobilenetv1-32']) {
    if (!only || only === `grow-${name}`) console.log(await growCost(name, NETWORKS[name]!()));
  }
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
