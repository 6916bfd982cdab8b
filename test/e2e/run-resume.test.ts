// `nasgrow run` end to end on the bundled sample: a run killed mid-phase (SIGKILL) and resumed ends
// with the final architecture, weights and metrics of the uninterrupted run.
import test from 'ava';
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { onnx } from 'onnx-proto';

import { checkModels } from '../helpers/onnx-checker';
import { ROOT } from '../helpers/root';
const BIN = path.join(ROOT, 'bin', 'nasgrow');

function config(dir: string): string {
  const file = path.join(dir, 'grow.yaml');
  fs.writeFileSync(
    file,
    [
      'seed: 5',
      'model: { family: vgg19, width: 4 }',
      'data:',
      '  dataset: fashion-mnist',
      `  path: ${path.join(ROOT, 'data', 'sample', 'fashion-mnist')}`,
      '  limit_train: 1600',
      '  limit_test: 200',
      `train: { batch_size: 32, lr: 0.05, schedule: cosine }`,
      'grow: { cycles: 3, phase_epochs: 1, lambda_p: 1.0e-6, retrain_epochs: 1, uniform_baseline: true }',
      'runtime: { threads: 1 }',
    ].join('\n'),
  );
  return file;
}

const run = (args: string[]) => {
  const r = spawnSync(BIN, args, { encoding: 'utf8', timeout: 600_000 });
  return { code: r.status, out: `${r.stdout}\n${r.stderr}` };
};

function metrics(dir: string): string[] {
  const rows = fs.readFileSync(path.join(dir, 'metrics.csv'), 'utf8').trim().split('\n').map((l) => l.split(','));
  const keep = rows[0]!.map((h) => !/seconds|per_s/.test(h));
  return rows.map((r) => r.filter((_, i) => keep[i]).join(','));
}

test('a grow run killed mid-phase and resumed ends like the uninterrupted run', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nasgrow-run-'));
  const cfg = config(dir);
  const full = run(['run', cfg, '--out', path.join(dir, 'full')]);
  t.is(full.code, 0, full.out);
  t.regex(full.out, /splits?, \d+ prunes?/);

  const out = path.join(dir, 'killed');
  const child = spawn(BIN, ['run', cfg, '--out', out], { stdio: 'ignore' });
  const marker = path.join(out, 'phases', 'phase-01', 'state.safetensors');
  const started = Date.now();
  while (!fs.existsSync(marker) && Date.now() - started < 300_000) await new Promise((r) => setTimeout(r, 10));
  await new Promise((r) => setTimeout(r, 300)); // into phase 2
  child.kill('SIGKILL');
  await new Promise((r) => child.on('exit', r));
  t.false(fs.existsSync(path.join(out, 'report.json')), 'the run finished before it was killed');
  const resumed = run(['run', cfg, '--resume', out]);
  t.is(resumed.code, 0, resumed.out);
  t.regex(resumed.out, /resuming after phase \d/);

  const report = (d: string) => JSON.parse(fs.readFileSync(path.join(d, 'report.json'), 'utf8'));
  const a = report(path.join(dir, 'full'));
  const b = report(out);
  delete a.wall_seconds;
  delete b.wall_seconds;
  t.deepEqual(b, a);
  // the uniform baseline: the smallest uniform width with at least the grown parameter count
  t.true(a.uniform_baseline.params >= a.params, JSON.stringify(a.uniform_baseline));
  t.true(a.uniform_baseline.test_error >= 0 && a.uniform_baseline.test_error <= 1);
  t.true(fs.existsSync(path.join(out, 'uniform-baseline', 'checkpoints', 'epoch-0001.safetensors')));
  // the control's architecture beside it: the width the report names, usable as model.arch
  const uniformArch = JSON.parse(fs.readFileSync(path.join(out, 'uniform-baseline', 'arch.json'), 'utf8'));
  t.true(uniformArch.layers.every((l: { width: number }) => l.width === a.uniform_baseline.width), JSON.stringify(uniformArch.layers));
  t.deepEqual(metrics(out), metrics(path.join(dir, 'full')));
  const last = (d: string) => fs.readFileSync(path.join(d, 'retrain', 'checkpoints', 'epoch-0001.safetensors'));
  t.true(last(out).equals(last(path.join(dir, 'full'))), 'final weights differ');
  for (const f of ['train.onnx', 'grow.onnx', 'eval.onnx', 'infer.onnx', 'arch.json', 'estimates.csv', 'state.safetensors']) {
    t.true(fs.existsSync(path.join(dir, 'full', 'phases', 'phase-02', f)), `phase-02/${f} missing`);
  }
  // each graph says where in the run it belongs (Netron's properties panel)
  const place = (f: string) => new Map(onnx.ModelProto.decode(fs.readFileSync(path.join(dir, 'full', f))).metadataProps.map((p) => [p.key, p.value]));
  t.is(place('phases/phase-02/grow.onnx').get('nasgrow.phase'), '2');
  t.is(place('phases/phase-02/train.onnx').get('nasgrow.cycle'), '2 of 3');
  t.is(place('retrain/graphs/train.onnx').get('nasgrow.phase'), 'retrain');
  t.is(place('uniform-baseline/graphs/infer.onnx').get('nasgrow.phase'), 'uniform-baseline');
  // every graph of the run folder (phases, retraining, baseline) passes the ONNX checker
  const graphs = (fs.readdirSync(path.join(dir, 'full'), { recursive: true }) as string[]).filter((f) => f.endsWith('.onnx')).map((f) => path.join(dir, 'full', f));
  t.true(graphs.length >= 14, graphs.join('\n'));
  t.is(checkModels(graphs), '');
  fs.rmSync(dir, { recursive: true, force: true });
});
