// The baselines of `nasgrow run` (grow.method, README "Baselines") end to end on the bundled sample:
// random splitting applies a reference Gauss-Newton run's counts per layer and phase and writes the
// same run folder files; a missing or mismatched reference stops with exit 1 naming grow.reference.
import test from 'ava';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'csv-parse/sync';

import { ROOT } from '../helpers/root';
import { writeTinyConfig } from '../helpers/tiny-config';
const BIN = path.join(ROOT, 'bin', 'nasgrow');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nasgrow-baselines-'));
test.after.always(() => fs.rmSync(dir, { recursive: true, force: true }));

function config(name: string, grow: string, model?: string, cycles = 2): string {
  return writeTinyConfig(path.join(dir, `${name}.yaml`), { seed: 2, model, grow: { cycles, theta_steps: null, lambda_p: 0, retrain_epochs: 1 }, growExtra: grow });
}

const run = (args: string[], env: Record<string, string> = {}) => {
  const r = spawnSync(BIN, args, { encoding: 'utf8', timeout: 600_000, env: { ...process.env, ...env } });
  return { code: r.status, out: `${r.stdout}\n${r.stderr}` };
};

/** report.json without the wall time (what differs between a resumed run and an uninterrupted one) */
function report(d: string): Record<string, unknown> {
  const r = JSON.parse(fs.readFileSync(path.join(d, 'report.json'), 'utf8')) as Record<string, unknown>;
  delete r.wall_seconds;
  return r;
}

/** Kill a run at fault point `point` (src/util/fault-injection.ts), resume it, and compare with `full`. */
function killResumeMatches(t: { is: (a: unknown, b: unknown, m?: string) => void; deepEqual: (a: unknown, b: unknown, m?: string) => void }, cfg: string, point: string, full: string, name: string): void {
  const out = path.join(dir, `${name}-killed`);
  const killed = run(['run', cfg, '--out', out], { NASGROW_FAULT_KILL: point });
  t.is(killed.code, null, `${name}: not killed at ${point}: ${killed.out}`);
  const resumed = run(['run', cfg, '--resume', out]);
  t.is(resumed.code, 0, resumed.out);
  t.deepEqual(report(out), report(full), `${name}: the resumed run's report differs`);
  for (const n of [1, 2]) {
    const f = (d: string) => fs.readFileSync(path.join(d, 'phases', `phase-0${n}`, 'estimates.csv'), 'utf8');
    t.is(f(out), f(full), `${name}: phase ${n}'s decisions differ after resume`);
  }
}

/** layer → "splits/prunes" applied in phase n of a run folder, from its estimates.csv */
function applied(runDir: string, n: number): Record<string, string> {
  const rows = parse(fs.readFileSync(path.join(runDir, 'phases', `phase-0${n}`, 'estimates.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
  const out: Record<string, [number, number]> = {};
  for (const r of rows) {
    out[r.layer!] ??= [0, 0];
    if (r.applied === '1') out[r.layer!]![r.chosen === 'split' ? 0 : 1]++;
  }
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.join('/')]));
}

const reference = path.join(dir, 'reference');
let referenceDone: Promise<void> | null = null;
/** The Gauss-Newton reference run, made once. */
function makeReference(t: { is: (a: unknown, b: unknown, m?: string) => void }): Promise<void> {
  referenceDone ??= Promise.resolve().then(() => {
    const r = run(['run', config('gn', 'method: gauss-newton'), '--out', reference]);
    t.is(r.code, 0, r.out);
  });
  return referenceDone;
}

test.serial('random splitting applies the reference run\'s counts per layer and phase', async (t) => {
  await makeReference(t);
  const out = path.join(dir, 'random');
  const r = run(['run', config('random', `method: random, reference: ${reference}`), '--out', out]);
  t.is(r.code, 0, r.out);
  for (const n of [1, 2]) {
    t.deepEqual(applied(out, n), applied(reference, n), `phase ${n}`);
    const rows = parse(fs.readFileSync(path.join(out, 'phases', `phase-0${n}`, 'estimates.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    t.true(rows.filter((x) => x.applied === '1').every((x) => x.reason === 'random' && x.split_dl === ''));
    t.false(fs.existsSync(path.join(out, 'phases', `phase-0${n}`, 'grow.onnx')));
  }
  const total = Object.values(applied(reference, 1)).reduce((a, v) => a + v.split('/').map(Number).reduce((x, y) => x + y), 0);
  t.true(total > 0, 'the reference applied nothing: the test would not test anything');
  t.is(report(out).method, 'random');
  t.is(report(out).reference, reference);
  t.is(report(reference).method, 'gauss-newton');
  // same counts ⇒ same widths, and the same number of parameters
  t.deepEqual(report(out).widths, report(reference).widths);
  // ... so the retraining (same initial weights, same batches) gives the reference's result exactly
  t.is(report(out).test_error, report(reference).test_error);
  // the same seed draws the same channels
  const again = path.join(dir, 'random-again');
  t.is(run(['run', config('random', `method: random, reference: ${reference}`), '--out', again]).code, 0);
  t.is(fs.readFileSync(path.join(again, 'phases', 'phase-02', 'estimates.csv'), 'utf8'), fs.readFileSync(path.join(out, 'phases', 'phase-02', 'estimates.csv'), 'utf8'));
  // killed after phase 2's rewrite (before its state is saved) and resumed: the same draw, the same result
  killResumeMatches(t, config('random', `method: random, reference: ${reference}`), 'phase-rewrite:2', out, 'random');
});

test.serial('a missing or mismatched reference stops with exit 1 naming grow.reference, before the folder exists', async (t) => {
  await makeReference(t);
  const cases: [string, string, string | undefined, RegExp, number?][] = [
    ['no-ref', 'method: random', undefined, /grow\.reference is null/],
    ['not-a-run', `method: random, reference: ${dir}`, undefined, /grow\.reference is .*holds no phases\/phase-01\/estimates\.csv/],
    ['cycles', `method: random, reference: ${reference}`, undefined, /grow\.reference is .*2 growing phase\(s\), but grow\.cycles is 3/, 3],
    ['family', `method: random, reference: ${reference}`, '{ family: mobilenetv1, width: 4 }', /grow\.reference is .*family vgg19, but model\.family is mobilenetv1/],
    ['width', `method: random, reference: ${reference}`, '{ family: vgg19, width: 5 }', /grow\.reference is .*seed network .* is not this config's/],
  ];
  for (const [name, grow, model, message, cycles] of cases) {
    const out = path.join(dir, `bad-${name}`);
    const r = run(['run', config(name, grow, model, cycles), '--out', out]);
    t.is(r.code, 1, `${name}: ${r.out}`);
    t.regex(r.out, message, name);
    t.regex(r.out, new RegExp(`${name}\\.yaml`), `${name}: the message names the file`);
    t.false(fs.existsSync(out), `${name}: the run folder was created`);
  }
});

test.serial('slimming trains the wide network, prunes the smallest |γ| to the reference\'s parameters, retrains', async (t) => {
  await makeReference(t);
  const out = path.join(dir, 'slimming');
  const r = run(['run', config('slimming', `method: slimming, reference: ${reference}, slimming_width: 8, slimming_l1: 1.0e-3`), '--out', out]);
  t.is(r.code, 0, r.out);
  const ref = report(reference) as { params: number };
  const slim = report(out) as { method: string; params: number; slimming: { width: number; target_params: number } };
  t.is(slim.method, 'slimming');
  t.is(slim.slimming.width, 8);
  t.is(slim.slimming.target_params, ref.params);
  t.true(slim.params <= ref.params, `${slim.params} > ${ref.params}`);
  t.true(fs.existsSync(path.join(out, 'retrain', 'checkpoints', 'epoch-0001.safetensors')));
  // phase 1 applies nothing; phase 2's prunes are the smallest |γ| of slimming.csv
  t.deepEqual(Object.values(applied(out, 1)).filter((v) => v !== '0/0'), []);
  const rows = parse(fs.readFileSync(path.join(out, 'phases', 'phase-02', 'slimming.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
  const pruned = rows.filter((x) => x.pruned === '1').map((x) => Number(x.abs_gamma));
  // channels left because their layer reached grow.min_width are the exception, named in estimates.csv
  const decisions = parse(fs.readFileSync(path.join(out, 'phases', 'phase-02', 'estimates.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
  const atMin = new Set(decisions.filter((x) => x.reason === 'min-width').map((x) => `${x.layer}/${x.channel}`));
  t.deepEqual(new Set(decisions.filter((x) => x.applied === '1').map((x) => `${x.layer}/${x.channel}`)).size, pruned.length);
  const kept = rows.filter((x) => x.pruned === '0' && !atMin.has(`${x.layer}/${x.channel}`)).map((x) => Number(x.abs_gamma));
  t.true(pruned.length > 0);
  t.true(Math.max(...pruned) <= Math.min(...kept), `pruned up to ${Math.max(...pruned)}, kept from ${Math.min(...kept)}; ${atMin.size} at min width`);
  const sgd = fs.readFileSync(path.join(out, 'phases', 'phase-01', 'train.onnx'));
  t.true(sgd.includes('"bnL1":0.001'), 'the phase graphs carry the L1 term');
  t.false(fs.readFileSync(path.join(out, 'retrain', 'graphs', 'train.onnx')).includes('bnL1'), 'the retraining must not');
  // killed in phase 2's training (20 steps a phase) and resumed: the L1 term is back, the same prunes
  killResumeMatches(t, config('slimming', `method: slimming, reference: ${reference}, slimming_width: 8, slimming_l1: 1.0e-3`), 'train-step:25', out, 'slimming');
  // no target and no reference: exit 1 naming grow.target_params
  const bad = run(['run', config('slim-bad', 'method: slimming'), '--out', path.join(dir, 'slim-bad')]);
  t.is(bad.code, 1, bad.out);
  t.regex(bad.out, /slim-bad\.yaml: grow\.target_params is null and so is grow\.reference/);
});
