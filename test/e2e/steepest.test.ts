// grow.method steepest (splitting steepest descent, README "Baselines") end to end on the bundled
// sample, as test/e2e/baselines.test.ts runs random splitting: a reference Gauss-Newton run, then a
// steepest run that applies its counts per layer and phase, splits by λ_min (steepest.csv), and
// reports method 'steepest'; a missing grow.reference stops with exit 1 naming it.
import test from 'ava';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'csv-parse/sync';
import { onnx } from 'onnx-proto';
import { FUNCTION_DOMAIN } from '../../src/onnx/writer';

import { ROOT } from '../helpers/root';
import { writeTinyConfig } from '../helpers/tiny-config';
const BIN = path.join(ROOT, 'bin', 'nasgrow');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nasgrow-steepest-'));
test.after.always(() => fs.rmSync(dir, { recursive: true, force: true }));

function config(name: string, grow: string): string {
  return writeTinyConfig(path.join(dir, `${name}.yaml`), { seed: 2, grow: { theta_steps: null, lambda_p: 0, retrain_epochs: 1 }, growExtra: grow });
}

const run = (args: string[], env: Record<string, string> = {}) => {
  const r = spawnSync(BIN, args, { encoding: 'utf8', timeout: 600_000, env: { ...process.env, ...env } });
  return { code: r.status, out: `${r.stdout}\n${r.stderr}` };
};

const report = (d: string) => JSON.parse(fs.readFileSync(path.join(d, 'report.json'), 'utf8')) as Record<string, unknown>;
const csv = (file: string) => parse(fs.readFileSync(file, 'utf8'), { columns: true }) as Record<string, string>[];

/** layer → "splits/prunes" applied in phase n of a run folder, from its estimates.csv */
function applied(runDir: string, n: number): Record<string, string> {
  const out: Record<string, [number, number]> = {};
  for (const r of csv(path.join(runDir, 'phases', `phase-0${n}`, 'estimates.csv'))) {
    out[r.layer!] ??= [0, 0];
    if (r.applied === '1') out[r.layer!]![r.chosen === 'split' ? 0 : 1]++;
  }
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.join('/')]));
}

test.serial('splitting steepest descent applies the reference\'s counts, splitting the channels of most negative λ_min', (t) => {
  const reference = path.join(dir, 'reference');
  const ref = run(['run', config('gn', 'method: gauss-newton'), '--out', reference]);
  t.is(ref.code, 0, ref.out);
  const out = path.join(dir, 'steepest');
  const r = run(['run', config('steepest', `method: steepest, reference: ${reference}`), '--out', out]);
  t.is(r.code, 0, r.out);
  t.regex(r.out, /splitting matrices on 2 held-out batches/);
  let splits = 0;
  for (const n of [1, 2]) {
    t.deepEqual(applied(out, n), applied(reference, n), `phase ${n}`);
    const rows = csv(path.join(out, 'phases', `phase-0${n}`, 'estimates.csv')).filter((x) => x.applied === '1');
    t.true(rows.every((x) => (x.chosen === 'split' ? x.reason === 'smallest-lambda' : x.reason === 'random')));
    t.false(fs.existsSync(path.join(out, 'phases', `phase-0${n}`, 'grow.onnx')));
    // splitting.onnx in its place: the splitting graph of this phase's architecture, one function per layer part
    const sg = onnx.ModelProto.decode(fs.readFileSync(path.join(out, 'phases', `phase-0${n}`, 'splitting.onnx')));
    t.is(sg.metadataProps.find((p) => p.key === 'nasgrow.kind')?.value, 'splitting');
    t.true(sg.graph!.node!.length > 0 && sg.graph!.node!.every((x) => x.domain === FUNCTION_DOMAIN), 'every top-level node calls a layer part');
    t.true(sg.functions.some((f) => (f.name ?? '').endsWith('.splitting_backward')), sg.functions.map((f) => f.name).join(' '));
    // steepest.csv: λ_min of every channel; in each layer the split channels are those of smallest λ_min
    const lam = csv(path.join(out, 'phases', `phase-0${n}`, 'steepest.csv'));
    const widths = (JSON.parse(fs.readFileSync(path.join(out, 'phases', `phase-0${n}`, 'arch.json'), 'utf8')) as { layers: { width: number }[] }).layers.map((l) => l.width);
    t.is(lam.length, widths.reduce((a, b) => a + b, 0));
    t.true(lam.every((x) => Number.isFinite(Number(x.lambda_min))), 'a λ_min is not finite');
    const splitSet = new Set(rows.filter((x) => x.chosen === 'split').map((x) => `${x.layer}/${x.channel}`));
    t.deepEqual(lam.filter((x) => x.split === '1').map((x) => `${x.layer}/${x.channel}`).sort(), [...splitSet].sort());
    for (const layer of new Set(lam.map((x) => x.layer))) {
      const ls = lam.filter((x) => x.layer === layer);
      const chosen = ls.filter((x) => x.split === '1').map((x) => Number(x.lambda_min));
      const others = ls.filter((x) => x.split === '0').map((x) => Number(x.lambda_min));
      if (chosen.length > 0 && others.length > 0) t.true(Math.max(...chosen) <= Math.min(...others), `${layer} phase ${n}: split λ_min up to ${Math.max(...chosen)}, kept from ${Math.min(...others)}`);
    }
    splits += splitSet.size;
  }
  t.true(splits > 0, 'the reference split nothing: the test would not test the selection');
  t.is(report(out).method, 'steepest');
  t.is(report(out).reference, reference);
  t.deepEqual(report(out).widths, report(reference).widths);
  // killed after phase 2's rewrite (before its state is saved) and resumed: the same λ_min, the same decisions
  const killed = path.join(dir, 'steepest-killed');
  const cfg = config('steepest', `method: steepest, reference: ${reference}`);
  t.is(run(['run', cfg, '--out', killed], { NASGROW_FAULT_KILL: 'phase-rewrite:2' }).code, null, 'not killed');
  const resumed = run(['run', cfg, '--resume', killed]);
  t.is(resumed.code, 0, resumed.out);
  for (const f of ['estimates.csv', 'steepest.csv']) {
    t.is(fs.readFileSync(path.join(killed, 'phases', 'phase-02', f), 'utf8'), fs.readFileSync(path.join(out, 'phases', 'phase-02', f), 'utf8'), `phase 2 ${f} differs after resume`);
  }
  const { wall_seconds: _a, ...a } = report(killed);
  const { wall_seconds: _b, ...b } = report(out);
  t.deepEqual(a, b);
  // without a reference: exit 1 naming grow.reference, before the folder exists
  const bad = path.join(dir, 'no-ref');
  const nr = run(['run', config('no-ref', 'method: steepest'), '--out', bad]);
  t.is(nr.code, 1, nr.out);
  t.regex(nr.out, /no-ref\.yaml: grow\.reference is null, but grow\.method steepest/);
  t.false(fs.existsSync(bad));
});
