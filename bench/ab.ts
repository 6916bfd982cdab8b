// A/B of one switch on a whole step: the training or growing step of a seed network built twice, A with
// the environment as it is and B with the given variables set while its graph is built and lowered
// (the rule and lowering switches: NASGROW_NCHWC=0, NASGROW_NCHWC_CONVT=0, NASGROW_DENSE_DW=taps, ...),
// timed interleaved step by step so that a change in machine load hits both.
//   node dist/bench/ab.js mobilenetv1 32 train NASGROW_NCHWC_CONVT=0
//   ab mobilenetv1 w=32 train A=<ms> B=<ms> B/A=<ratio>   (medians of BENCH_ROUNDS×BENCH_STEPS steps)
import { mobilenetv1, vgg19 } from '../src/models/arch';
import { Engine } from '../src/train/engine';
import { GrowEngine } from '../src/grow/grow-engine';
import { stepInputs } from './step-inputs';
import { ensureAllocatorTunables } from '../src/util/allocator';
import { interleavedMedians } from './interleave';

const BATCH = 64;
const THREADS = Number(process.env.BENCH_THREADS ?? 2);
const STEPS = Number(process.env.BENCH_STEPS ?? 10) * Number(process.env.BENCH_ROUNDS ?? 3);

async function main() {
  ensureAllocatorTunables();
  const [family = 'mobilenetv1', width = '32', mode = 'train', ...assignments] = process.argv.slice(2);
  const arch = family === 'vgg19' ? vgg19(Number(width)) : mobilenetv1(Number(width));
  const vars = assignments.map((a) => a.split('=') as [string, string]);
  const { images, labels, state, theta } = stepInputs(arch, BATCH);
  const build = async () =>
    mode === 'grow'
      ? await GrowEngine.create(arch, BATCH, 'batch', { device: 'cpu', threads: THREADS })
      : await Engine.create(arch, BATCH, { momentum: 0.9, nesterov: true, weightDecay: 1e-4 }, { device: 'cpu', threads: THREADS });
  const a = await build();
  const saved = vars.map(([k]) => [k, process.env[k]] as const);
  for (const [k, v] of vars) process.env[k] = v;
  const b = await build();
  for (const [k, v] of saved) v === undefined ? delete process.env[k] : (process.env[k] = v);
  const step = (e: Engine | GrowEngine) => (e instanceof GrowEngine ? e.step(state, theta, images, labels, 0.01) : e.trainStep(state, images, labels, 0));
  const [ma, mb] = (await interleavedMedians([() => step(a), () => step(b)], STEPS)) as [number, number];
  await a.release();
  await b.release();
  console.log(`ab ${family} w=${width} ${mode} A=${ma.toFixed(1)} B=${mb.toFixed(1)} B/A=${(mb / ma).toFixed(3)} (B: ${assignments.join(' ')})`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
