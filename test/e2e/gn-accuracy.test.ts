// `nasgrow experiment gn-accuracy` runs end to end and writes one row per morphism and a summary.
import test from 'ava';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { ROOT } from '../helpers/root';
const BIN = path.join(ROOT, 'bin', 'nasgrow');

test('gn-accuracy: a row per split and prune of every channel and θ snapshot, correlations, the noise ceiling, a table and scatter PNGs', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nasgrow-gnacc-'));
  const cfg = path.join(dir, 'cfg.yaml');
  fs.writeFileSync(
    cfg,
    [
      'model: { family: vgg19, width: 3 }',
      `data: { dataset: fashion-mnist, path: ${path.join(ROOT, 'data', 'sample', 'fashion-mnist')}, limit_train: 640 }`,
      'train: { batch_size: 32, lr: 0.05, schedule: cosine }',
      'grow: { phase_epochs: 1 }',
      'runtime: { threads: 1 }',
    ].join('\n'),
  );
  const r = spawnSync(BIN, ['experiment', 'gn-accuracy', cfg, '--out', path.join(dir, 'out'), '--eval-batches', '2', '--final-batches', '3', '--variants', 'batch,sample-cap0.5', '--snapshots', '0,5'], { encoding: 'utf8', timeout: 300_000 });
  t.is(r.status, 0, `${r.stdout}\n${r.stderr}`);
  const rows = fs.readFileSync(path.join(dir, 'out', 'gn-accuracy.csv'), 'utf8').trim().split('\n');
  t.is(rows[0], 'variant,step,layer,channel,kind,estimate_ema,estimate_final,true_dl_a,true_dl_b,theta_over_w');
  // 3 held-out batches asked for, 2 given (at most 10% of 640 images); 576 left = 18 batches of 32:
  // snapshots after 0, 5 and 18 steps, for 2 variants
  const snapshots = ['batch,0', 'batch,5', 'batch,18', 'sample-cap0.5,0', 'sample-cap0.5,5', 'sample-cap0.5,18'];
  t.is(rows.length - 1, snapshots.length * 16 * 3 * 2);
  t.deepEqual([...new Set(rows.slice(1).map((r) => r.split(',').slice(0, 2).join(',')))], snapshots);
  for (const row of rows.slice(1)) {
    const [variant, step, , , kind, ema, ...rest] = row.split(',');
    // no moving average before the first step; ‖θ‖/‖w‖ only for splits
    t.is(Number.isFinite(Number(ema)), step !== '0', row);
    t.true(rest.slice(0, 3).every((v) => Number.isFinite(Number(v))), row);
    t.is(Number.isFinite(Number(rest[3])), kind === 'split', row);
    if (variant === 'sample-cap0.5' && kind === 'split') t.true(Number(rest[3]) <= 0.5 + 1e-6, row);
  }
  const summary = JSON.parse(fs.readFileSync(path.join(dir, 'out', 'gn-accuracy.json'), 'utf8'));
  t.is(summary.results.length, snapshots.length);
  for (const r of summary.results) {
    for (const k of ['spearman_final', 'pearson_final', 'noise_ceiling_spearman']) t.true(Math.abs(r.pooled[k]) <= 1, k);
    t.is(Object.keys(r.per_layer).length, 16);
  }
  t.is(fs.readFileSync(path.join(dir, 'out', 'gn-accuracy.md'), 'utf8').trim().split('\n').length, 2 + snapshots.length);
  for (const s of snapshots) {
    const [v, k] = s.split(',');
    const png = fs.readFileSync(path.join(dir, 'out', `scatter-${v}-step${k}.png`));
    t.is(png.subarray(1, 4).toString('latin1'), 'PNG');
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

test('gn-accuracy: flags it cannot honour are refused (or, held-out batches, clamped with a note) before anything is written', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nasgrow-gnacc-flags-'));
  const cfg = path.join(dir, 'cfg.yaml');
  fs.writeFileSync(
    cfg,
    [
      'model: { family: vgg19, width: 2 }',
      `data: { dataset: fashion-mnist, path: ${path.join(ROOT, 'data', 'sample', 'fashion-mnist')}, limit_train: 640, limit_test: 64 }`,
      'train: { batch_size: 32, lr: 0.05 }',
      'grow: { phase_epochs: 1, theta_steps: 4 }',
      'runtime: { threads: 1 }',
    ].join('\n'),
  );
  const out = path.join(dir, 'out');
  const gn = (...flags: string[]) => {
    const r = spawnSync(BIN, ['experiment', 'gn-accuracy', cfg, '--eval-batches', '1', ...flags], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, NO_COLOR: '1' } });
    return { code: r.status, out: `${r.stdout}\n${r.stderr}` };
  };
  // a variant twice: it would be measured twice under one name
  const twice = gn('--out', out, '--variants', 'batch,sample,batch');
  t.is(twice.code, 1, twice.out);
  t.regex(twice.out, /error: --variants batch,sample,batch: batch is given more than once/);
  // a snapshot after more steps than θ learning takes (grow.theta_steps 4) would silently be missing;
  // 1000 held-out batches cannot be (10% of 640 images is 2 batches of 32): a note says what is used
  const beyond = gn('--out', out, '--snapshots', '2,4,100', '--final-batches', '1000');
  t.is(beyond.code, 1, beyond.out);
  t.regex(beyond.out, /note: --final-batches 1000: at most 2 batches of 32 \(10% of the 640 training images\) can be held out; the final pass uses 2/);
  t.regex(beyond.out, /error: --snapshots 100: θ learning takes 4 Adam steps here \(grow\.theta_steps 4\): choose step counts up to 4/);
  t.false(fs.existsSync(out), 'a refused experiment created its --out folder');
  // --out in a run folder (or a folder inside one) would mix the experiment's files with the run's
  const run = path.join(dir, 'run');
  fs.mkdirSync(run);
  // a run manifest (src/report/run-folder.ts RunManifest), as nasgrow train and run write it
  fs.writeFileSync(path.join(run, 'run.json'), JSON.stringify({ command: 'train', nasgrow: '0', data: { train: 'x', test: 'y' }, arch: null }));
  for (const o of [run, path.join(run, 'gn')]) {
    const r = gn('--out', o);
    t.is(r.code, 1, r.out);
    t.regex(r.out, new RegExp(`error: --out ${o} is (a|inside the) run folder ${run} \\(it holds run\\.json\\): .* choose a folder outside it`));
  }
  t.deepEqual(fs.readdirSync(run), ['run.json']);
  fs.rmSync(dir, { recursive: true, force: true });
});
