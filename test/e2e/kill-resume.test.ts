// A run killed anywhere resumes to the result of an uninterrupted run. `nasgrow run` on a small config
// is killed with SIGKILL (src/util/fault-injection.ts: NASGROW_FAULT_KILL=<point>:<n>) at points spread
// over training steps, growing steps, the morphism rewrite, the saving of phase states, epoch ends of
// the training phases, the retraining and the baseline, and in the middle of file writes (a temporary
// file with half the data left behind); each is then resumed with --resume, and must end identical to
// the uninterrupted run: report.json (wall time aside), arch.json, the final checkpoints byte for byte,
// every metrics row (wall-time columns aside), and no temporary file left.
import test from 'ava';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ROOT } from '../helpers/root';
import { writeTinyConfig } from '../helpers/tiny-config';

const BIN = path.join(ROOT, 'bin', 'nasgrow');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nasgrow-kill-'));
const cfgFile = path.join(dir, 'grow.yaml');
writeTinyConfig(cfgFile, { grow: { uniform_baseline: true } });

// 20 training steps per epoch: phase 1 is steps 1-20, phase 2 21-40, the retraining 41-80, the
// baseline 81-120; epochs end 1 (phase 1), 2 (phase 2), 3-4 (retraining), 5-6 (baseline): epoch:4 is
// the retraining's last checkpoint written, the baseline not begun (its records must survive the
// resume). A run writes 35 files whole; atomic-write:12 is phase 1's progress.json, :22 the
// retraining's first checkpoint, :32 the baseline's infer.onnx, :33 report.json.
const POINTS = [
  'train-step:5',
  'epoch:1',
  'grow-step:4',
  'phase-rewrite:1',
  'phase-saved:1',
  'atomic-write:12',
  'train-step:30',
  'grow-step:12',
  'phase-saved:2',
  'epoch:3',
  'train-step:65',
  'atomic-write:22',
  'train-step:100',
  'epoch:4',
  'epoch:6',
  'atomic-write:32',
  'atomic-write:33',
];

function nasgrow(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; signal: string | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(BIN, args, { env: { ...process.env, ...env } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code, signal) => resolve({ code, signal, out }));
  });
}

// two nasgrow processes at a time (the machine has 2 cores; each runs with one thread)
let running = 0;
const waiting: (() => void)[] = [];
async function slot<T>(work: () => Promise<T>): Promise<T> {
  if (running >= 2) await new Promise<void>((r) => waiting.push(r));
  running++;
  try {
    return await work();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

const reference = slot(() => nasgrow(['run', cfgFile, '--out', path.join(dir, 'full')]));

function snapshot(d: string) {
  const report = JSON.parse(fs.readFileSync(path.join(d, 'report.json'), 'utf8'));
  delete report.wall_seconds;
  const rows = fs.readFileSync(path.join(d, 'metrics.csv'), 'utf8').trim().split('\n').map((l) => l.split(','));
  const keep = rows[0]!.map((h) => h !== 'seconds' && h !== 'img_per_s');
  const files: string[] = [];
  const walk = (p: string) => {
    for (const e of fs.readdirSync(p, { withFileTypes: true })) e.isDirectory() ? walk(path.join(p, e.name)) : files.push(path.relative(d, path.join(p, e.name)));
  };
  walk(d);
  return {
    report,
    arch: fs.readFileSync(path.join(d, 'arch.json'), 'utf8'),
    retrain: fs.readFileSync(path.join(d, 'retrain', 'checkpoints', 'epoch-0002.safetensors')).toString('base64'),
    baseline: fs.readFileSync(path.join(d, 'uniform-baseline', 'checkpoints', 'epoch-0002.safetensors')).toString('base64'),
    metrics: rows.map((r) => r.filter((_, i) => keep[i]).join(',')),
    files: files.sort(),
  };
}

test.before(async (t) => {
  const full = await reference;
  t.is(full.code, 0, full.out);
});

for (const point of POINTS) {
  test(`killed at ${point} and resumed: ends identical to the uninterrupted run`, async (t) => {
    const out = path.join(dir, point.replace(':', '-'));
    const killed = await slot(() => nasgrow(['run', cfgFile, '--out', out], { NASGROW_FAULT_KILL: point }));
    t.is(killed.signal, 'SIGKILL', `the run was not killed at ${point} (exit ${killed.code}):\n${killed.out}`);
    const resumed = await slot(() => nasgrow(['run', cfgFile, '--resume', out]));
    t.is(resumed.code, 0, resumed.out);
    t.regex(resumed.out, /took over the lock of process \d+/);
    const a = snapshot(path.join(dir, 'full'));
    const b = snapshot(out);
    t.deepEqual(b.metrics, a.metrics);
    t.deepEqual(b.report, a.report);
    t.is(b.arch, a.arch);
    t.true(b.retrain === a.retrain, 'the retraining checkpoints differ');
    t.true(b.baseline === a.baseline, 'the baseline checkpoints differ');
    t.deepEqual(b.files, a.files, 'the run folders hold different files (a temporary file left?)');
  });
}

test.after.always(() => fs.rmSync(dir, { recursive: true, force: true }));
