// `nasgrow table`: tiny real run folders (two `nasgrow run` seeds and a `nasgrow train`, plus a copy
// of a run given a third seed and a known test error) tabulated beside the paper's rows: grouping,
// mean ± sample std, the published rows, CSV that parses back, and the errors and warnings.
import test from 'ava';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'csv-parse/sync';
import { CSV_COLUMNS, PAPER_ROWS } from '../../src/report';
import { ROOT } from '../helpers/root';
import { macCount, uniformMatch } from '../../src/models/params';

const BIN = path.join(ROOT, 'bin', 'nasgrow');
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'nasgrow-table-'));
const SWEEP = path.join(TMP, 'sweep');

function nasgrow(args: string[]) {
  const r = spawnSync(BIN, args, { encoding: 'utf8', timeout: 600_000, env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function config(seed: number): string {
  const file = path.join(TMP, `tiny-${seed}.yaml`);
  fs.writeFileSync(
    file,
    [
      `seed: ${seed}`,
      'model: { family: vgg19, width: 4 }',
      'data:',
      '  dataset: fashion-mnist',
      `  path: ${path.join(ROOT, 'data', 'sample', 'fashion-mnist')}`,
      '  limit_train: 256',
      '  limit_test: 100',
      'train: { batch_size: 32, lr: 0.05, schedule: cosine, epochs: 1 }',
      'grow: { cycles: 1, phase_epochs: 1, lambda_p: 1.0e-6, retrain_epochs: 1, uniform_baseline: true, final_batches: 2 }',
      'runtime: { threads: 1 }',
    ].join('\n'),
  );
  return file;
}

const readJson = (f: string) => JSON.parse(fs.readFileSync(f, 'utf8'));
const report = (dir: string) => readJson(path.join(dir, 'report.json')) as { test_error: number; params: number; uniform_baseline: { test_error: number } };

/** Mean and sample standard deviation (n − 1), written out here rather than taken from src/util/stats. */
function meanStd(xs: number[]): { mean: number; std: number } {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return { mean: m, std: Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1)) };
}

// sweep/lp1e-6/seed-0, seed-1 (real runs), seed-2 (a copy of seed-0 with seed 2 and test error 0.5),
// sweep/train (a real `nasgrow train`)
const runDir = (name: string) => path.join(SWEEP, name);
test.before(() => {
  for (const seed of [0, 1]) {
    const r = nasgrow(['run', config(seed), '--out', runDir(`lp1e-6/seed-${seed}`)]);
    if (r.code !== 0) throw new Error(`nasgrow run failed: ${r.stderr}`);
  }
  const t = nasgrow(['train', config(0), '--out', runDir('train')]);
  if (t.code !== 0) throw new Error(`nasgrow train failed: ${t.stderr}`);
  const copy = runDir('lp1e-6/seed-2');
  fs.cpSync(runDir('lp1e-6/seed-0'), copy, { recursive: true });
  const cfg = path.join(copy, 'config.yaml');
  fs.writeFileSync(cfg, fs.readFileSync(cfg, 'utf8').replace(/^seed: 0$/m, 'seed: 2'));
  const rep = readJson(path.join(copy, 'report.json'));
  rep.test_error = 0.5;
  rep.uniform_baseline.test_error = 0.25;
  fs.writeFileSync(path.join(copy, 'report.json'), JSON.stringify(rep, null, 2) + '\n');
});

test.after.always(() => fs.rmSync(TMP, { recursive: true, force: true }));

type Row = Record<(typeof CSV_COLUMNS)[number], string>;
const csvOf = (text: string) => parse(text, { columns: true }) as Row[];

test('run.json records the machine', (t) => {
  const m = readJson(path.join(runDir('train'), 'run.json'));
  t.is(m.hardware.device, 'cpu');
  t.is(m.hardware.threads, 1);
  t.is(typeof m.hardware.cpu, 'string');
  t.true(m.hardware.cpus >= 1);
  // the block the CPU lowering used here (8 or 16; 0 where ORT's blocked kernels cannot run)
  t.true([0, 8, 16].includes(m.hardware.nchwcBlock), String(m.hardware.nchwcBlock));
});

test('CSV: one row per method and setting, mean ± sample std over the seeds, the published rows', (t) => {
  const r = nasgrow(['table', SWEEP, '--format', 'csv']);
  t.is(r.code, 0, r.stderr);
  t.is(r.stderr, '');
  const rows = csvOf(r.stdout);
  t.deepEqual(Object.keys(rows[0]!), [...CSV_COLUMNS]);

  const ours = rows.filter((x) => x.source === 'nasgrow');
  t.deepEqual(ours.map((x) => x.method), ['gauss-newton', 'uniform', 'train']);
  const [gn, uniform, train] = ours as [Row, Row, Row];
  const reports = [0, 1].map((s) => report(runDir(`lp1e-6/seed-${s}`)));

  const errors = [...reports.map((x) => 100 * x.test_error), 50];
  const e = meanStd(errors);
  t.is(gn.n, '3');
  t.is(gn.seeds, '0;1;2');
  t.is(gn.lambda_p, '1e-6');
  t.is(gn.seed_network, 'VGG-19 w=4');
  t.is(gn.dataset, 'fashion-mnist');
  t.is(gn.dataset_label, 'fashion-mnist (256 train, 100 test images)');
  t.true(Math.abs(Number(gn.test_error_pct_mean) - e.mean) < 1e-9);
  t.true(Math.abs(Number(gn.test_error_pct_std) - e.std) < 1e-9);
  const p = meanStd([reports[0]!.params, reports[1]!.params, reports[0]!.params].map((x) => x / 1e6));
  t.true(Math.abs(Number(gn.params_m_mean) - p.mean) < 1e-12);
  t.is(gn.budget_epochs, '3');
  t.is(gn.budget, '1×(1+1) + 1');
  t.regex(gn.hardware, /^1 thread on .+ \(\d+ CPUs(, NCHWc block \d+|, no NCHWc kernels)\)$/);
  t.is(gn.runs.split(';').length, 3);

  const u = meanStd([...reports.map((x) => 100 * x.uniform_baseline.test_error), 25]);
  t.is(uniform.n, '3');
  t.true(Math.abs(Number(uniform.test_error_pct_mean) - u.mean) < 1e-9);
  t.true(Math.abs(Number(uniform.test_error_pct_std) - u.std) < 1e-9);
  t.is(uniform.budget_epochs, '1');

  // one run: no spread to estimate
  t.is(train.n, '1');
  t.is(train.test_error_pct_std, '');
  t.is(train.lambda_p, '');
  t.is(train.budget_epochs, '1');

  // every published row, exactly as printed
  const paper = rows.filter((x) => x.source.startsWith('paper'));
  t.is(paper.length, PAPER_ROWS.length);
  const vgg = paper.find((x) => x.source === 'paper, Table 1' && x.seed_network === 'VGG-19 w=16' && x.lambda_p === '3e-7')!;
  t.like(vgg, { dataset: 'cifar10', method: 'gauss-newton', test_error_pct_mean: '5.6', params_m_mean: '1.2', gpu_days: '0.7' });
  const vgg100 = paper.find((x) => x.source === 'paper, Table 2' && x.method === 'VGG-19 Baseline (Human-designed)')!;
  t.like(vgg100, { test_error_pct_mean: '27.6', params_m_mean: '20.1', gpu_days: 'N/A' });
});

test('Markdown on stdout by default; --paper ours and none; --out FILE', (t) => {
  const r = nasgrow(['table', runDir('lp1e-6'), runDir('train'), '--paper', 'ours']);
  t.is(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  t.true(lines[0]!.startsWith('| dataset | seed network | λ_p | method | source | n | test error (%) |'));
  const gn = lines.find((l) => l.includes('| gauss-newton | nasgrow |'))!;
  const reports = [0, 1].map((s) => report(runDir(`lp1e-6/seed-${s}`)));
  const e = meanStd([...reports.map((x) => 100 * x.test_error), 50]);
  t.true(gn.includes(`| 3 (seeds 0, 1, 2) | ${e.mean.toFixed(2)} ± ${e.std.toFixed(2)} |`), gn);
  t.is(lines.filter((l) => l.includes('| paper, Table')).length, PAPER_ROWS.filter((p) => p.ours).length);
  t.true(lines.some((l) => l.startsWith('| CIFAR-10 | VGG-19 w=16 | 3e-7 | gauss-newton | paper, Table 1 |  | 5.6 | 1.2 |')));

  const none = nasgrow(['table', runDir('train'), '--paper', 'none']);
  t.is(none.stdout.split('\n').filter((l) => l.startsWith('| ')).length, 3);

  const out = path.join(TMP, 'out', 'table.csv');
  const w = nasgrow(['table', SWEEP, '--out', out]);
  t.is(w.code, 0, w.stderr);
  t.regex(w.stdout, /^wrote \d+ rows? \(3 from 4 run folders\) to /);
  t.is(csvOf(fs.readFileSync(out, 'utf8')).filter((x) => x.source === 'nasgrow').length, 3);
});

test('bad paths: exit 1 naming the path and what to name instead', (t) => {
  const missing = nasgrow(['table', path.join(TMP, 'nope')]);
  t.is(missing.code, 1);
  t.regex(missing.stderr, /^error: .*nope does not exist: name a run folder of `nasgrow run` or `nasgrow train`/);

  const empty = path.join(TMP, 'empty');
  fs.mkdirSync(path.join(empty, 'sub'), { recursive: true });
  const none = nasgrow(['table', runDir('train'), empty]);
  t.is(none.code, 1);
  t.true(none.stderr.startsWith(`error: ${empty} is not a run folder (it has no config.yaml with a run.json beside it) and holds none`), none.stderr);

  const file = path.join(runDir('train'), 'run.json');
  const f = nasgrow(['table', file]);
  t.is(f.code, 1);
  t.regex(f.stderr, /is a file, not a run folder/);
});

test('unfinished runs: left out with a warning among finished ones, an error alone', (t) => {
  const dir = path.join(TMP, 'unfinished');
  const killed = path.join(dir, 'killed');
  fs.cpSync(runDir('lp1e-6/seed-1'), killed, { recursive: true });
  fs.rmSync(path.join(killed, 'report.json'));
  fs.writeFileSync(path.join(killed, 'progress.json'), JSON.stringify({ completedPhases: 0, retrainDone: false, seconds: 1 }));

  const alone = nasgrow(['table', killed]);
  t.is(alone.code, 1);
  t.true(alone.stderr.startsWith('error: no finished run to tabulate: the run folder is unfinished\n'), alone.stderr);
  t.true(alone.stderr.includes(`${killed} (0 of 1 growing cycles done; finish it with \`nasgrow run ${path.join(killed, 'config.yaml')} --resume ${killed}\`)`), alone.stderr);

  const mixed = nasgrow(['table', runDir('train'), dir, '--format', 'csv']);
  t.is(mixed.code, 0, mixed.stderr);
  t.true(mixed.stderr.startsWith(`warning: left out the unfinished run ${killed} (0 of 1 growing cycles done;`), mixed.stderr);
  t.deepEqual(
    csvOf(mixed.stdout).filter((x) => x.source === 'nasgrow').map((x) => x.method),
    ['train'],
  );
  // one that stopped on an error: the error, and not a bare resume
  fs.appendFileSync(path.join(killed, 'train.log'), '2026-12-01T00:00:00.000Z error: retrain 1/1: the training loss became NaN at batch 4\n');
  const failed = nasgrow(['table', killed]);
  t.true(failed.stderr.includes(`${killed} (0 of 1 growing cycles done; it stopped with an error, the last line of its train.log: "retrain 1/1: the training loss became NaN at batch 4"; remove the cause, then resume it with`), failed.stderr);
});

test('a damaged report.json is an error naming it', (t) => {
  const dir = path.join(TMP, 'damaged');
  fs.cpSync(runDir('lp1e-6/seed-1'), dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'report.json'), '{"test_error": "low"}');
  const r = nasgrow(['table', dir]);
  t.is(r.code, 1);
  t.true(r.stderr.startsWith(`error: ${path.join(dir, 'report.json')}: the result of this run is damaged: "test_error" must be a number`), r.stderr);
});

test('two runs of one setting with the same seed: a warning', (t) => {
  const dir = path.join(TMP, 'twice');
  fs.cpSync(runDir('lp1e-6/seed-0'), path.join(dir, 'a'), { recursive: true });
  fs.cpSync(runDir('lp1e-6/seed-0'), path.join(dir, 'b'), { recursive: true });
  const r = nasgrow(['table', dir, '--paper', 'none']);
  t.is(r.code, 0, r.stderr);
  t.true(r.stderr.includes(`warning: ${path.join(dir, 'a')} and ${path.join(dir, 'b')} are runs of one setting with the same seed 0`), r.stderr);
});

test('two settings that would show as the same row: a warning naming the keys that differ', (t) => {
  const dir = path.join(TMP, 'alike');
  fs.cpSync(runDir('lp1e-6/seed-0'), path.join(dir, 'a'), { recursive: true });
  fs.cpSync(runDir('lp1e-6/seed-1'), path.join(dir, 'b'), { recursive: true });
  const cfg = path.join(dir, 'b', 'config.yaml');
  fs.writeFileSync(cfg, fs.readFileSync(cfg, 'utf8').replace(/^ {2}lr: 0\.05$/m, '  lr: 0.02'));
  const r = nasgrow(['table', dir, '--format', 'csv', '--paper', 'none']);
  t.is(r.code, 0, r.stderr);
  t.true(r.stderr.includes(`warning: ${path.join(dir, 'a')} and ${path.join(dir, 'b')} are in different rows that look alike (dataset, seed network, λ_p, budget, method): their settings differ in train.lr`), r.stderr);
  t.deepEqual(csvOf(r.stdout).map((x) => [x.method, x.n]), [['gauss-newton', '1'], ['gauss-newton', '1'], ['uniform', '1'], ['uniform', '1']]);
});

test("a run's architectures trained again by `nasgrow train` (model.arch: its arch.json, uniform-baseline/arch.json, or its arch.json with uniform_match: macs): rows of the run's method and its controls, paired by seed", (t) => {
  const dir = path.join(TMP, 'retrained');
  // grown: the run's arch.json; uniform: its uniform-baseline/arch.json; macs: the run's arch.json with
  // model.uniform_match: macs (the uniform control matched by compute)
  const train = (seed: number, which: 'grown' | 'uniform' | 'macs') => {
    const source = runDir(`lp1e-6/seed-${seed}`);
    const arch = which === 'uniform' ? path.join(source, 'uniform-baseline', 'arch.json') : path.join(source, 'arch.json');
    const model = which === 'macs' ? `model: { arch: ${arch}, uniform_match: macs }` : `model: { arch: ${arch} }`;
    const cfg = path.join(TMP, `retrain-${which}-${seed}.yaml`);
    fs.writeFileSync(cfg, fs.readFileSync(config(seed), 'utf8').replace('model: { family: vgg19, width: 4 }', model).replace('epochs: 1 }', 'epochs: 2 }'));
    const out = path.join(dir, `${which}-seed-${seed}`);
    const r = nasgrow(['train', cfg, '--out', out]);
    if (r.code !== 0) throw new Error(`nasgrow train failed: ${r.stderr}`);
    const last = fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((m) => m.epoch === 2 && typeof m.test_acc === 'number').pop();
    return 100 * (1 - last.test_acc);
  };
  const grown = [0, 1].map((seed) => train(seed, 'grown'));
  const diffs = [0, 1].map((seed) => train(seed, 'uniform') - grown[seed]!);
  const macsDiffs = [0, 1].map((seed) => train(seed, 'macs') - grown[seed]!);
  // the MAC-matched network is the narrowest uniform one with at least the found architecture's MACs
  for (const seed of [0, 1]) {
    const found = readJson(path.join(runDir(`lp1e-6/seed-${seed}`), 'arch.json'));
    const trained = readJson(path.join(dir, `macs-seed-${seed}`, 'arch.json'));
    t.deepEqual(trained, uniformMatch(found, 'macs'));
    t.true(macCount(trained) >= macCount(found));
  }
  const csv = nasgrow(['table', dir, '--format', 'csv', '--paper', 'none']);
  t.is(csv.code, 0, csv.stderr);
  t.is(csv.stderr, '', 'the grown and uniform trainings of one seed are one setting, not a repeated seed');
  // under the run's seed network and λ_p, with the budget of the training
  t.deepEqual(
    csvOf(csv.stdout).map((x) => [x.method, x.n, x.seed_network, x.lambda_p, x.budget]),
    [
      ['gauss-newton', '2', 'VGG-19 w=4', '1e-6', '2 training (the architecture it found, from a run)'],
      ['uniform', '2', 'VGG-19 w=4', '1e-6', '2 training (its uniform control, from a run)'],
      ['uniform (matched MACs)', '2', 'VGG-19 w=4', '1e-6', '2 training (its uniform control matched by MACs, from a run)'],
    ],
  );
  const md = nasgrow(['table', dir, '--paper', 'none']);
  t.is(md.code, 0, md.stderr);
  const signed = (x: number) => (x >= 0 ? '+' : '') + x.toFixed(2);
  const row = md.stdout.split('\n').find((l) => l.includes('| uniform (both retrained 2 epochs)'));
  t.truthy(row, md.stdout);
  t.true(row!.includes(`| 2 (0, 1) | ${signed((diffs[0]! + diffs[1]!) / 2)} |`), row);
  const macsRow = md.stdout.split('\n').find((l) => l.includes('| uniform (matched MACs) (both retrained 2 epochs)'));
  t.truthy(macsRow, md.stdout);
  t.true(macsRow!.includes(`| 2 (0, 1) | ${signed((macsDiffs[0]! + macsDiffs[1]!) / 2)} |`), macsRow);
  t.regex(md.stdout, /"uniform \(matched MACs\)": the narrowest uniform network with at least the found architecture's multiply-accumulates/);
  // beside the runs themselves, the retrained pairs do not mix with the runs' own 1-epoch retraining
  const both = nasgrow(['table', dir, runDir('lp1e-6/seed-0'), runDir('lp1e-6/seed-1'), '--paper', 'none']);
  t.is(both.code, 0, both.stderr);
  t.regex(both.stdout, /\| uniform \| 2 \(0, 1\) \|/);
  t.regex(both.stdout, /\| uniform \(both retrained 2 epochs\) \| 2 \(0, 1\) \|/);

  // moved away from the runs they came from (model.arch is relative to the run folder): a warning
  // naming the missing file, and plain `train` rows
  const moved = path.join(TMP, 'moved', 'deeper');
  fs.cpSync(dir, moved, { recursive: true });
  const lost = nasgrow(['table', moved, '--format', 'csv', '--paper', 'none']);
  t.is(lost.code, 0, lost.stderr);
  t.regex(lost.stderr, /warning: .*grown-seed-0 trains .*arch\.json, which is not there \(moved, with the run folder .*\?\): it is shown as a plain `nasgrow train`/);
  t.true(csvOf(lost.stdout).every((x) => x.method === 'train'));
  // an architecture trained with another seed than its run's: paired by its own seed, and said
  const cfg = path.join(TMP, 'retrain-other-seed.yaml');
  fs.writeFileSync(cfg, fs.readFileSync(path.join(TMP, 'retrain-grown-0.yaml'), 'utf8').replace(/^seed: 0$/m, 'seed: 7'));
  const other = path.join(TMP, 'other-seed');
  t.is(nasgrow(['train', cfg, '--out', path.join(other, 'grown-seed-7')]).code, 0);
  const mixed = nasgrow(['table', other, '--paper', 'none']);
  t.is(mixed.code, 0, mixed.stderr);
  t.regex(mixed.stderr, /grown-seed-7 trains the architecture of .*lp1e-6\/seed-0 \(seed 0\) with seed 7: it is paired by its own seed, 7/);
});

test("a baseline's run folder with grow.uniform_baseline: its control's row is named after the baseline", (t) => {
  const cfg = path.join(TMP, 'random.yaml');
  // final_batches differs from its reference's (2): a key random splitting does not read
  fs.writeFileSync(cfg, fs.readFileSync(config(0), 'utf8').replace('grow: {', `grow: { method: random, reference: ${runDir('lp1e-6/seed-0')},`).replace('final_batches: 2', 'final_batches: 3'));
  const out = path.join(TMP, 'baseline', 'random-seed-0');
  const r = nasgrow(['run', cfg, '--out', out]);
  t.is(r.code, 0, r.stderr);
  const table = nasgrow(['table', runDir('lp1e-6/seed-0'), out, '--format', 'csv', '--paper', 'none']);
  t.is(table.code, 0, table.stderr);
  t.is(table.stderr, '');
  t.deepEqual(csvOf(table.stdout).map((x) => x.method), ['gauss-newton', 'random', 'uniform', 'uniform (control of random)']);
  // paired with its reference, the run it was made to be compared with, though their configs differ in more than the method
  const md = nasgrow(['table', runDir('lp1e-6/seed-0'), out, '--paper', 'none']);
  t.regex(md.stdout, /\| random \| 1 \(0\) \| \+0\.00 \| the same network \(by construction\) \|/);
  t.notRegex(md.stdout, /Left out of the pairing/);
});

test('two Gauss-Newton settings that differ in θ steps: each is paired with its own controls, and the paired rows show its budget', (t) => {
  const dir = path.join(TMP, 'theta');
  for (const seed of [0, 1]) {
    fs.cpSync(runDir(`lp1e-6/seed-${seed}`), path.join(dir, `a${seed}`), { recursive: true });
    const b = path.join(dir, `b${seed}`);
    fs.cpSync(runDir(`lp1e-6/seed-${seed}`), b, { recursive: true });
    const cfg = path.join(b, 'config.yaml');
    fs.writeFileSync(cfg, fs.readFileSync(cfg, 'utf8').replace(/^ {2}theta_steps: null$/m, '  theta_steps: 7'));
    const rep = readJson(path.join(b, 'report.json'));
    rep.test_error = seed === 0 ? 0.5 : 0.6;
    rep.uniform_baseline.test_error = seed === 0 ? 0.25 : 0.3;
    fs.writeFileSync(path.join(b, 'report.json'), JSON.stringify(rep, null, 2) + '\n');
  }
  t.regex(fs.readFileSync(path.join(dir, 'b0', 'config.yaml'), 'utf8'), /theta_steps: 7/);
  const r = nasgrow(['table', dir, '--paper', 'none']);
  t.is(r.code, 0, r.stderr);
  // setting a: the real runs' own differences; setting b: −25 and −30 points
  const real = [0, 1].map((s) => 100 * (report(runDir(`lp1e-6/seed-${s}`)).uniform_baseline.test_error - report(runDir(`lp1e-6/seed-${s}`)).test_error));
  const paired = r.stdout.split('\n').filter((l) => /\| uniform; Gauss-Newton's budget /.test(l));
  t.is(paired.length, 2, r.stdout);
  t.true(paired.some((l) => /growing phases ≤ 7 θ steps\) \| 2 \(0, 1\) \| -27\.50 \|/.test(l)), paired.join('\n'));
  const mean = (real[0]! + real[1]!) / 2;
  t.true(paired.some((l) => !/≤ 7 θ steps/.test(l) && l.includes(`| 2 (0, 1) | ${(mean >= 0 ? '+' : '') + mean.toFixed(2)} |`)), paired.join('\n'));
});
