// `nasgrow experiment morphism-quality` runs end to end on a tiny config: a CSV row per channel of the
// layer with finite (a), (b) and (c), a summary whose fractions and ratios are those of the CSV, the bar
// chart; an unknown --layer is refused before any work, listing the layers.
import test from 'ava';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { ROOT } from '../helpers/root';
const BIN = path.join(ROOT, 'bin', 'nasgrow');

function tinyConfig(dir: string): string {
  const cfg = path.join(dir, 'cfg.yaml');
  fs.writeFileSync(
    cfg,
    [
      'model: { family: vgg19, width: 4 }',
      `data: { dataset: fashion-mnist, path: ${path.join(ROOT, 'data', 'sample', 'fashion-mnist')}, limit_train: 640, limit_test: 128 }`,
      'train: { batch_size: 32, lr: 0.05, schedule: cosine }',
      'grow: { phase_epochs: 1, theta_steps: 8 }',
      'runtime: { threads: 1 }',
    ].join('\n'),
  );
  return cfg;
}

test('morphism-quality: a row per channel with finite (a), (b), (c) and (d), a summary that matches the CSV, the bar chart', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nasgrow-mq-'));
  const out = path.join(dir, 'out');
  const r = spawnSync(BIN, ['experiment', 'morphism-quality', tinyConfig(dir), '--layer', 'conv14', '--out', out, '--eval-batches', '2'], { encoding: 'utf8', timeout: 300_000 });
  t.is(r.status, 0, `${r.stdout}\n${r.stderr}`);
  const lines = fs.readFileSync(path.join(out, 'morphism-quality.csv'), 'utf8').trim().split('\n');
  t.is(lines[0], 'channel,a,b,c,d,a_over_b,theta_a_over_w,theta_b_over_w,theta_c_over_w,theta_d_over_w,c_lambda_min,d_lambda_min');
  const rows = lines.slice(1).map((l) => l.split(','));
  t.deepEqual(
    rows.map((x) => Number(x[0])),
    [0, 1, 2, 3],
  );
  const a = rows.map((x) => Number(x[1]));
  const b = rows.map((x) => Number(x[2]));
  const c = rows.map((x) => Number(x[3]));
  const d = rows.map((x) => Number(x[4]));
  t.true([...a, ...b, ...c, ...d].every(Number.isFinite), lines.join('\n'));
  // a/b where b > 0, empty elsewhere
  rows.forEach((x, i) => t.is(x[5] === '' ? NaN : Number(x[5]), b[i]! > 0 ? a[i]! / b[i]! : NaN));
  // θ moved from its random start in (a) and (b); (c)'s and (d)'s line searches chose one of their (positive) scales
  t.true(rows.every((x) => Number(x[6]) > 0 && Number(x[7]) > 0 && Number(x[8]) > 0 && Number(x[9]) > 0 && Number.isFinite(Number(x[10])) && Number.isFinite(Number(x[11]))));

  const s = JSON.parse(fs.readFileSync(path.join(out, 'morphism-quality.json'), 'utf8'));
  t.is(s.layer, 'conv14');
  t.is(s.channels, 4);
  t.is(s.theta_steps, 8);
  t.is(s.fraction_a_ge_c, a.filter((v, i) => v >= c[i]!).length / 4);
  t.is(s.fraction_a_ge_d, a.filter((v, i) => v >= d[i]!).length / 4);
  t.is(s.fraction_a_ge_b, a.filter((v, i) => v >= b[i]!).length / 4);
  t.is(s.fraction_a_positive, a.filter((v) => v > 0).length / 4);
  t.is(s.fraction_b_positive, b.filter((v) => v > 0).length / 4);
  const ratios = rows.filter((x) => x[5] !== '').map((x) => Number(x[5]));
  t.is(s.a_over_b.channels, ratios.length);
  const sorted = [...ratios].sort((x, y) => x - y);
  if (ratios.length > 0) {
    t.true(s.a_over_b.q1 <= s.a_over_b.median && s.a_over_b.median <= s.a_over_b.q3);
    t.true(s.a_over_b.median >= sorted[0]! && s.a_over_b.median <= sorted[sorted.length - 1]!);
  }
  // the top quarter by b: ceil(4 / 4) = 1 channel, the one with the largest b
  const best = b.indexOf(Math.max(...b));
  t.deepEqual(s.top_quarter_by_b.channels, [best]);
  t.is(s.top_quarter_by_b.a_over_b.channels, b[best]! > 0 ? 1 : 0);
  t.regex(fs.readFileSync(path.join(out, 'morphism-quality.md'), 'utf8'), /\| channels where \(a\) ≥ \(b\) \| \d+% \|/);
  t.is(fs.readFileSync(path.join(out, 'morphism-quality.png')).subarray(1, 4).toString('latin1'), 'PNG');
  t.regex(fs.readFileSync(path.join(out, 'morphism-quality.svg'), 'utf8'), /^<svg/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('morphism-quality: an unknown or missing --layer is refused before any work, listing the layers', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nasgrow-mq-bad-'));
  const cfg = tinyConfig(dir);
  const out = path.join(dir, 'out');
  const mq = (...flags: string[]) => {
    const r = spawnSync(BIN, ['experiment', 'morphism-quality', cfg, '--out', out, ...flags], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } });
    return { code: r.status, out: `${r.stdout}\n${r.stderr}` };
  };
  const unknown = mq('--layer', 'conv99');
  t.is(unknown.code, 1, unknown.out);
  t.regex(unknown.out, /--layer conv99: no such dense layer in this network; the layers are conv1, conv2, .*, conv16/);
  t.notRegex(unknown.out, /^train /m);
  const missing = mq();
  t.is(missing.code, 1, missing.out);
  t.regex(missing.out, /morphism-quality needs --layer NAME/);
  const gnOnly = mq('--layer', 'conv1', '--snapshots', '0,5');
  t.is(gnOnly.code, 1, gnOnly.out);
  t.regex(gnOnly.out, /--snapshots: gn-accuracy only/);
  t.false(fs.existsSync(out));
  fs.rmSync(dir, { recursive: true, force: true });
});
