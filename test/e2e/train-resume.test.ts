// End to end through the CLI on the bundled sample: train, then a run stopped after epoch 1 and
// resumed must end with exactly the weights and metrics of the uninterrupted run (determinism +
// resume). Also: a killed run (SIGKILL mid-epoch) resumes from its last checkpoint.
import test from 'ava';
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { ROOT } from '../helpers/root';
const BIN = path.join(ROOT, 'bin', 'nasgrow');

function config(dir: string, epochs: number, limitTrain = 640): string {
  const file = path.join(dir, `cfg-${epochs}-${limitTrain}.yaml`);
  fs.writeFileSync(
    file,
    [
      'seed: 3',
      'model: { family: vgg19, width: 4 }',
      'data:',
      '  dataset: fashion-mnist',
      `  path: ${path.join(ROOT, 'data', 'sample', 'fashion-mnist')}`,
      `  limit_train: ${limitTrain}`,
      '  limit_test: 200',
      '  augment: { crop: true, flip: true }',
      `train: { epochs: ${epochs}, batch_size: 32, lr: 0.05, schedule: cosine }`,
      'runtime: { threads: 1 }',
    ].join('\n'),
  );
  return file;
}

function nasgrow(args: string[]) {
  const r = spawnSync(BIN, args, { encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, out: `${r.stdout}\n${r.stderr}` };
}

const last = (dir: string) => fs.readFileSync(path.join(dir, 'checkpoints', 'epoch-0002.safetensors'));

test('a run stopped after epoch 1 and resumed ends exactly like an uninterrupted run', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nasgrow-e2e-'));
  const full = nasgrow(['train', config(dir, 2), '--out', path.join(dir, 'full')]);
  t.is(full.code, 0, full.out);
  const part = nasgrow(['train', config(dir, 1), '--out', path.join(dir, 'part')]);
  t.is(part.code, 0, part.out);
  // same config except train.epochs, which may change on resume, and the threads: where and how fast
  // a run goes, not what it computes (a sweep may change them too), so epoch 2 at 2 threads ends where
  // the uninterrupted run's at 1 did
  const resumed = nasgrow(['train', config(dir, 2), '--resume', path.join(dir, 'part'), '--threads', '2']);
  t.is(resumed.code, 0, resumed.out);
  t.regex(resumed.out, /resuming after epoch 1/);
  t.true(last(path.join(dir, 'full')).equals(last(path.join(dir, 'part'))), 'final checkpoints differ');
  // wall-time columns (train_seconds, train_img_per_s) differ between runs; everything else must match
  const metrics = (d: string) => {
    const rows = fs.readFileSync(path.join(d, 'metrics.csv'), 'utf8').trim().split('\n').map((l) => l.split(','));
    const keep = rows[0]!.map((h) => !/seconds|per_s/.test(h));
    return rows.map((r) => r.filter((_, i) => keep[i]).join(','));
  };
  t.deepEqual(metrics(path.join(dir, 'part')), metrics(path.join(dir, 'full')));
  for (const f of ['arch.json', 'normalization.json', 'graphs/train.onnx', 'graphs/eval.onnx', 'graphs/infer.onnx', 'metrics.jsonl']) {
    t.true(fs.existsSync(path.join(dir, 'full', f)), `${f} missing from the run folder`);
  }
  // the graphs a run saves are standard ONNX: the CPU lowering (src/runtime/nchwc.ts) is in memory only
  for (const f of ['train', 'eval', 'infer']) {
    t.false(fs.readFileSync(path.join(dir, 'full', 'graphs', `${f}.onnx`)).includes('com.microsoft'), `graphs/${f}.onnx holds ORT-only ops`);
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Start `nasgrow train` on `cfg` into `out` and resolve once its first checkpoint exists (during epoch 2). */
async function startAndWaitForCheckpoint(cfg: string, out: string) {
  const child = spawn(BIN, ['train', cfg, '--out', out], { stdio: 'ignore' });
  const ckpt = path.join(out, 'checkpoints', 'epoch-0001.safetensors');
  const started = Date.now();
  while (!fs.existsSync(ckpt) && Date.now() - started < 240_000) await new Promise((r) => setTimeout(r, 10));
  return child;
}

// The tests that kill a run watch for its checkpoint from this process's event loop, which a spawnSync
// of a concurrent test blocks (the run would finish unwatched): they run serially, before the others.
test.serial('a run killed mid-epoch resumes from its last checkpoint', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nasgrow-kill-'));
  const cfg = config(dir, 3, 4000);
  const out = path.join(dir, 'run');
  // kill (SIGKILL, no chance to clean up) once the first checkpoint exists, i.e. during epoch 2
  const child = await startAndWaitForCheckpoint(cfg, out);
  child.kill('SIGKILL');
  await new Promise((r) => child.on('exit', r));
  const saved = fs.readdirSync(path.join(out, 'checkpoints')).filter((f) => f.endsWith('.safetensors')).sort();
  t.true(saved.length >= 1 && saved.length < 3, `checkpoints at kill time: ${saved}`);
  const newest = Number(/epoch-(\d+)/.exec(saved[saved.length - 1]!)![1]);
  const resumed = nasgrow(['train', cfg, '--resume', out]);
  t.is(resumed.code, 0, resumed.out);
  t.regex(resumed.out, new RegExp(`resuming after epoch ${newest}`));
  t.true(fs.existsSync(path.join(out, 'checkpoints', 'epoch-0003.safetensors')));
  const lines = fs.readFileSync(path.join(out, 'metrics.csv'), 'utf8').trim().split('\n');
  t.is(lines.length, 4, lines.join('\n')); // header + 3 epochs, none twice
  fs.rmSync(dir, { recursive: true, force: true });
});

for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  test.serial(`a run ended by ${signal} says so in train.log, releases its lock and resumes`, async (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nasgrow-signal-'));
    const cfg = config(dir, 3, 4000);
    const out = path.join(dir, 'run');
    const child = await startAndWaitForCheckpoint(cfg, out);
    child.kill(signal);
    const exit = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    t.is(exit, code);
    const log = fs.readFileSync(path.join(out, 'train.log'), 'utf8').trim().split('\n');
    t.regex(log[log.length - 1]!, new RegExp(`interrupted by ${signal}: \`nasgrow train ${out}/config\\.yaml --resume ${out}\` continues from the last completed epoch \\(from the start if there is none\\)$`));
    t.false(fs.existsSync(path.join(out, '.lock')), 'the lock was left behind');
    const resumed = nasgrow(['train', cfg, '--resume', out]);
    t.is(resumed.code, 0, resumed.out);
    t.notRegex(resumed.out, /lock/i, 'the resume had to deal with a lock');
    t.true(fs.existsSync(path.join(out, 'checkpoints', 'epoch-0003.safetensors')));
    fs.rmSync(dir, { recursive: true, force: true });
  });
}

test('bad input stops before any work with a message naming the key', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nasgrow-bad-'));
  const file = path.join(dir, 'bad.yaml');
  fs.writeFileSync(file, 'model: { family: vgg19, widht: 16 }\ndata: { dataset: fashion-mnist, path: /nonexistent/x }\ntrain: { lr: fast }\n');
  const r = nasgrow(['train', file, '--out', path.join(dir, 'run')]);
  t.is(r.code, 1);
  t.regex(r.out, /model\.widht/);
  t.regex(r.out, /did you mean.*width/i);
  t.regex(r.out, /data\.path/);
  t.regex(r.out, /train\.lr/);
  t.false(fs.existsSync(path.join(dir, 'run')));
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a missing data file is the user\'s error (exit 1) and names the file and what to do', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nasgrow-nodata-'));
  const file = path.join(dir, 'cfg.yaml');
  fs.writeFileSync(file, `data: { dataset: fashion-mnist, path: ${dir} }\n`);
  const r = nasgrow(['train', file, '--out', path.join(dir, 'run')]);
  t.is(r.code, 1, r.out);
  t.regex(r.out, /train-images-idx3-ubyte\.gz: train images file not found/);
  t.regex(r.out, /apt-get install dataset-fashion-mnist/);
  t.notRegex(r.out, /internal error/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('runtime.device cuda without the CUDA provider names the install command', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nasgrow-cuda-'));
  const r = nasgrow(['train', config(dir, 1), '--out', path.join(dir, 'run'), '--device', 'cuda']);
  if (r.code === 0) {
    t.pass('the CUDA provider is installed on this machine');
    return;
  }
  t.regex(r.out, /ONNXRUNTIME_NODE_INSTALL=cuda12/);
  fs.rmSync(dir, { recursive: true, force: true });
});
