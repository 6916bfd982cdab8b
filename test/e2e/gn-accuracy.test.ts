// `nasgrow experiment gn-accuracy` runs end to end and writes one row per morphism and a summary.
import test from 'ava';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.join(__dirname, '..', '..', '..');
const BIN = path.join(ROOT, 'bin', 'nasgrow');

test('gn-accuracy: a row per split and prune of every channel, correlations and the noise ceiling', (t) => {
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
  const r = spawnSync(BIN, ['experiment', 'gn-accuracy', cfg, '--out', path.join(dir, 'out'), '--eval-batches', '2', '--final-batches', '3'], { encoding: 'utf8', timeout: 300_000 });
  t.is(r.status, 0, `${r.stdout}\n${r.stderr}`);
  const rows = fs.readFileSync(path.join(dir, 'out', 'gn-accuracy.csv'), 'utf8').trim().split('\n');
  t.is(rows[0], 'layer,channel,kind,estimate_ema,estimate_final,true_dl_a,true_dl_b');
  t.is(rows.length - 1, 16 * 3 * 2);
  for (const row of rows.slice(1)) t.true(row.split(',').slice(3).every((v) => Number.isFinite(Number(v))), row);
  const summary = JSON.parse(fs.readFileSync(path.join(dir, 'out', 'gn-accuracy.json'), 'utf8'));
  for (const k of ['spearman_ema', 'spearman_final', 'pearson_ema', 'pearson_final', 'noise_ceiling_spearman']) t.true(Math.abs(summary.pooled[k]) <= 1, k);
  t.is(Object.keys(summary.per_layer).length, 16);
  fs.rmSync(dir, { recursive: true, force: true });
});
