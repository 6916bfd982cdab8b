// `npm run bench`: training throughput of nasgrow vs PyTorch (Debian python3-torch) on this machine,
// same networks, batch 64, 2 threads, random data, interleaved rounds, medians.
//   bench cpu <vector extension> nchwc_block=<8|16|0> threads=<n>
//   bench <network> nasgrow=<img/s> pytorch=<img/s> ratio=<ours/pytorch>[ BUSY: <why>]
//   bench grow <network> train_ms=… grow_ms=… grow/train=…[ BUSY: <why>]
// A ratio is only meaningful on a quiet machine: PyTorch's OpenMP threads collapse (10-40x slower)
// when another process wants a core. Before every round the bench samples how many tasks are
// runnable (/proc/stat procs_running, itself included) and times a fixed single-threaded
// calibration loop; a line whose rounds saw other runnable tasks, a calibration more than 25% slower
// than the fastest, or PyTorch rounds more than 1.5x apart is marked BUSY, and the bench exits 3.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ArchState, mobilenetv1, vgg19 } from '../src/models/arch';
import { Engine } from '../src/train/engine';
import { freshModelState } from '../src/models/state';
import { ensureAllocatorTunables } from '../src/util/allocator';
import { Rng } from '../src/util/rng';
import { median } from '../src/util/stats';
import { GrowEngine } from '../src/grow/grow-engine';
import { stepInputs } from './step-inputs';
import { nchwcBlockSize } from '../src/runtime/session';

const NETWORKS: Record<string, () => ArchState> = {
  'vgg19-16': () => vgg19(16),
  'vgg19-64': () => vgg19(64),
  'mobilenetv1-32': () => mobilenetv1(32),
};
const BATCH = 64;
const THREADS = Number(process.env.BENCH_THREADS ?? 2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const STEPS = Number(process.env.BENCH_STEPS ?? 20);
const PYTHON = process.env.NASGROW_PYTHON ?? '/usr/bin/python3';


/** The CPU's widest x86 vector extension as /proc/cpuinfo lists it (what MLAS picks kernels by). */
function vectorExtension(): string {
  let flags = '';
  try {
    flags = /^flags\s*:(.*)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '';
  } catch {
    return `${os.arch()} (no /proc/cpuinfo)`;
  }
  const has = (f: string) => new RegExp(`\\b${f}\\b`).test(flags);
  if (has('avx512f')) return 'AVX-512';
  if (has('avx2')) return 'AVX2';
  if (has('avx')) return 'AVX';
  return os.arch();
}

/** Mean number of runnable tasks over ~0.5 s (/proc/stat procs_running; this process counts 1). */
async function runnable(): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 10; i++) {
    try {
      samples.push(Number(/^procs_running\s+(\d+)/m.exec(fs.readFileSync('/proc/stat', 'utf8'))?.[1] ?? 1));
    } catch {
      samples.push(1);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return samples.reduce((a, b) => a + b, 0) / samples.length;
}

/** ms for a fixed single-threaded integer loop: slower than the fastest seen = someone shares the core. */
function calibration(): number {
  const t = performance.now();
  let x = 1;
  for (let i = 0; i < 30_000_000; i++) x = (x * 1103515245 + 12345) | 0;
  if (x === 42) console.error(''); // keep the loop
  return performance.now() - t;
}

/** Quietness evidence gathered around the rounds of one bench line. */
class Quiet {
  readonly others: number[] = [];
  readonly calib: number[] = [];
  async sample(): Promise<void> {
    this.others.push((await runnable()) - 1);
    this.calib.push(calibration());
  }
  /** Why the line's numbers cannot be trusted, or '' when the machine looked quiet. */
  verdict(pytorchMs: number[] = []): string {
    const why: string[] = [];
    const busiest = Math.max(...this.others);
    if (busiest > 0.5) why.push(`${busiest.toFixed(1)} other runnable tasks`);
    const slow = Math.max(...this.calib) / Math.min(...this.calib, ...CALIBRATION);
    if (slow > 1.25) why.push(`calibration ${slow.toFixed(2)}x its fastest`);
    if (pytorchMs.length > 1 && Math.max(...pytorchMs) / Math.min(...pytorchMs) > 1.5) why.push(`PyTorch rounds ${(Math.max(...pytorchMs) / Math.min(...pytorchMs)).toFixed(1)}x apart`);
    return why.join(', ');
  }
}
const CALIBRATION: number[] = [];
let busyLines = 0;
const mark = (why: string) => {
  if (!why) return '';
  busyLines++;
  return ` BUSY: ${why}`;
};

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
  const script = path.join(__dirname, '..', '..', 'bench', 'torch_bench.py');
  const r = spawnSync(PYTHON, [script, '--network', network, '--batch', `${BATCH}`, '--threads', `${THREADS}`, '--warmup', '3', '--steps', `${STEPS}`, '--repeats', '1'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`torch_bench.py failed: ${r.stderr || r.error}`);
  const line = r.stdout.trim().split('\n').pop()!;
  return (JSON.parse(line) as { ms_per_step: number }).ms_per_step;
}

/** Growing step vs training step of the same architecture (issue: a growing epoch ≤ 2x a training epoch). */
async function growCost(name: string, arch: ArchState): Promise<string> {
  const { images, labels, state, theta } = stepInputs(arch, BATCH);
  const train = await Engine.create(arch, BATCH, { momentum: 0.9, nesterov: true, weightDecay: 1e-4 }, { device: 'cpu', threads: THREADS });
  const grow = await GrowEngine.create(arch, BATCH, 'batch', { device: 'cpu', threads: THREADS });
  const t: number[] = [];
  const g: number[] = [];
  for (let i = 0; i < 3; i++) {
    await train.trainStep(state, images, labels, 0);
    await grow.step(state, theta, images, labels, 0.01);
  }
  const quiet = new Quiet();
  for (let r = 0; r < ROUNDS * STEPS; r++) {
    if (r % STEPS === 0) await quiet.sample();
    let t0 = performance.now();
    await train.trainStep(state, images, labels, 0); // lr 0: same weights every step
    t.push(performance.now() - t0);
    t0 = performance.now();
    await grow.step(state, theta, images, labels, 0.01);
    g.push(performance.now() - t0);
  }
  await train.release();
  await grow.release();
  return `bench grow ${name} train_ms=${median(t).toFixed(1)} grow_ms=${median(g).toFixed(1)} grow/train=${(median(g) / median(t)).toFixed(2)}${mark(quiet.verdict())}`;
}

async function main() {
  ensureAllocatorTunables();
  const only = process.argv[2];
  const lines: string[] = [];
  console.log(`bench cpu ${vectorExtension()} nchwc_block=${await nchwcBlockSize()} threads=${THREADS} steps=${STEPS} rounds=${ROUNDS}`);
  for (let i = 0; i < 3; i++) CALIBRATION.push(calibration());
  for (const [name, make] of Object.entries(NETWORKS)) {
    if (only && only !== name) continue;
    const arch = make();
    const engine = await Engine.create(arch, BATCH, { momentum: 0.9, nesterov: true, weightDecay: 1e-4 }, { device: 'cpu', threads: THREADS });
    const ours: number[] = [];
    const theirs: number[] = [];
    const quiet = new Quiet();
    for (let r = 0; r < ROUNDS; r++) {
      await quiet.sample();
      ours.push(await nasgrowRound(engine, arch, r === 0 ? 3 : 1));
      theirs.push(pytorchRound(name));
      console.error(`  ${name} round ${r + 1}: nasgrow ${ours[r]!.toFixed(1)} ms/step, pytorch ${theirs[r]!.toFixed(1)} ms/step`);
    }
    await engine.release();
    const a = (BATCH * 1000) / median(ours);
    const b = (BATCH * 1000) / median(theirs);
    lines.push(`bench ${name} nasgrow=${a.toFixed(0)} pytorch=${b.toFixed(0)} ratio=${(a / b).toFixed(2)}${mark(quiet.verdict(theirs))}`);
    console.log(lines[lines.length - 1]);
  }
  for (const name of ['vgg19-16', 'mobilenetv1-32']) {
    if (!only || only === `grow-${name}`) console.log(await growCost(name, NETWORKS[name]!()));
  }
  if (busyLines > 0) {
    console.error(`${busyLines} line(s) measured while the machine was busy: rerun with nothing else running`);
    process.exitCode = 3;
  }
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
