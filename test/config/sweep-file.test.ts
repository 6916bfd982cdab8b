// The sweep file (src/config/sweep-file.ts): its keys checked with the file, key, value and line; the
// grid expanded in order into points with deterministic names; templates and paths filled.
import test from 'ava';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ConfigError, absolutePathsConfigText, excludedPoints, loadSweepFile, sweepPoints } from '../../src/config';
import { jobScript } from '../../src/cli/sweep/slurm';
import { integerRanges } from '../../src/util/ranges';
import { writeTinyConfig } from '../helpers/tiny-config';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nasgrow-sweepfile-'));
test.after.always(() => fs.rmSync(dir, { recursive: true, force: true }));
writeTinyConfig(path.join(dir, 'base.yaml'));

let n = 0;
function sweepFile(text: string): string {
  const file = path.join(dir, `s${n++}.yaml`);
  fs.writeFileSync(file, text);
  return file;
}

function problems(text: string): string {
  const e = (() => {
    try {
      sweepPoints(loadSweepFile(sweepFile(text), dir));
    } catch (err) {
      return err;
    }
    return null;
  })();
  if (!(e instanceof ConfigError)) throw new Error(`expected a ConfigError, got ${String(e)}`);
  return e.message;
}

test('the grid expands in file order, the first key slowest, with names from the last key part and the value', (t) => {
  const s = loadSweepFile(sweepFile('config: base.yaml\ngrid:\n  seed: [0, 1]\n  grow.lambda_p: [3.0e-7, 1.0e-6]\n  grow.method: [gauss-newton]\n'), dir);
  t.is(s.command, 'run');
  t.is(s.out, path.join(dir, 'runs', path.basename(s.source, '.yaml')));
  const points = sweepPoints(s);
  t.deepEqual(
    points.map((p) => p.name),
    ['seed-0_lambda_p-3e-7_method-gauss-newton', 'seed-0_lambda_p-0.000001_method-gauss-newton', 'seed-1_lambda_p-3e-7_method-gauss-newton', 'seed-1_lambda_p-0.000001_method-gauss-newton'],
  );
  t.deepEqual(points[3]!.values, { seed: 1, 'grow.lambda_p': 1e-6, 'grow.method': 'gauss-newton' });
  t.regex(points[2]!.origins.seed!, /grid\.seed\[1\], line 3/);
});

test('two grid keys that end alike are named in full', (t) => {
  const s = loadSweepFile(sweepFile('config: base.yaml\ngrid:\n  train.epochs: [1]\n  grow.phase_epochs: [2]\n  grow.cycles: [1, 2]\n'), dir);
  t.deepEqual(
    sweepPoints(s).map((p) => p.name),
    ['epochs-1_phase_epochs-2_cycles-1', 'epochs-1_phase_epochs-2_cycles-2'],
  );
});

test('set values fill ${key} and ${sweep}, and relative paths of path keys resolve against the sweep file', (t) => {
  const s = loadSweepFile(sweepFile('config: base.yaml\nout: out/x\nset:\n  grow.reference: ${sweep}/../gn/seed-${seed}\n  data.cache_dir: cache\ngrid:\n  seed: [3]\n'), dir);
  const [p] = sweepPoints(s);
  t.is(p!.values['grow.reference'], path.join(dir, 'out', 'gn', 'seed-3'));
  t.is(p!.values['data.cache_dir'], path.join(dir, 'cache'));
  t.is(s.out, path.join(dir, 'out', 'x'));
});

test('problems name the sweep file, the key, the value and the line, with a suggestion', (t) => {
  const m = problems('config: base.yaml\ncomand: run\ngrid:\n  train.lrr: [1]\n  model: [1]\n  output.dir: [a]\n  seed: [1, 1]\n  train.epochs: 3\nslurm: { cpus_per_task: 0, partition: "a b", sbatch_args: [qos] }\n');
  t.regex(m, /comand is not a key of a sweep file \(did you mean command\?\).*\(line 2\)/);
  t.regex(m, /grid\.train\.lrr is not a config key \(did you mean train\.lr\?\).*\(line 4\)/);
  t.regex(m, /grid\.model is a section of the config, not a key: name its keys \(model\.family/);
  t.regex(m, /grid\.output\.dir cannot be set by a sweep/);
  t.regex(m, /grid\.seed\.1 repeats the value 1/);
  t.regex(m, /grid\.train\.epochs must be a non-empty list of values/);
  t.regex(m, /slurm\.cpus_per_task must be a whole number >= 1, got 0/);
  t.regex(m, /slurm\.partition must be one word/);
  t.regex(m, /slurm\.sbatch_args\.0 must be an sbatch option/);
});

test('a missing base config, a grid key also under set, an unknown template and colliding names are refused', (t) => {
  t.regex(problems('config: nothing.yaml\ngrid: { seed: [1] }\n'), /config names .*nothing\.yaml, which does not exist/);
  t.regex(problems('config: base.yaml\nset: { seed: 1 }\ngrid: { seed: [1] }\n'), /grid\.seed is also under set/);
  t.regex(problems('config: base.yaml\nset: { grow.reference: "x/${method}" }\ngrid: { seed: [1] }\n'), /set\.grow\.reference names \$\{method\}, which is not a grid key \(seed\) nor sweep/);
  t.regex(problems('config: base.yaml\ngrid: { grow.method: ["a b", "a/b"] }\n'), /gives 2 points the folder name method-a-b/);
  t.regex(problems('- a\n'), /must be a mapping with the keys config and grid/);
});

test('the base config copy has absolute paths and keeps comments', (t) => {
  const text = '# mine\ndata:\n  path: ../data # here\n  dataset: cifar10\nseed: 1\n';
  const out = absolutePathsConfigText(text, '/x/configs', 'copied');
  t.regex(out, /path: \/x\/data/);
  t.regex(out, /# here/);
  t.regex(out, /^# copied/);
});

test('job arrays: indices as ranges, and a job script with the sweep file\'s settings', (t) => {
  t.is(integerRanges([5, 0, 1, 2, 3, 7, 8]), '0-3,5,7-8');
  t.is(integerRanges([2, 0, 1, 9], ', '), '0-2, 9');
  t.is(integerRanges([4]), '4');
  const script = jobScript('/s/w', 'w.yaml', { partition: 'gpu', time: '01:00:00', cpus_per_task: 4, mem: '8G', max_running: null, sbatch_args: ['--qos=low'], setup: ['module load nodejs'] });
  for (const line of ['#SBATCH --partition=gpu', '#SBATCH --time=01:00:00', '#SBATCH --cpus-per-task=4', '#SBATCH --mem=8G', '#SBATCH --qos=low', '#SBATCH --requeue', 'module load nodejs']) t.true(script.includes(line), line);
  t.regex(script, /sweep point '\/s\/w' "\$SLURM_ARRAY_TASK_ID" --threads "\$\{SLURM_CPUS_PER_TASK:-4\}"/);
  // the module loads come before the command
  t.true(script.indexOf('module load') < script.indexOf('exec '));
});

test('exclude leaves out the combinations it names; an entry that names no grid key or value, or leaves no point, is refused', (t) => {
  const s = loadSweepFile(sweepFile('config: base.yaml\ngrid:\n  grow.theta_steps: [100, 400]\n  grow.phase_epochs: [2, 4]\n  seed: [0, 1]\nexclude:\n  - { grow.theta_steps: 100, grow.phase_epochs: 2 }\n  - { seed: 1, grow.phase_epochs: 4, grow.theta_steps: 400 }\n'), dir);
  t.deepEqual(
    sweepPoints(s).map((p) => p.name),
    ['theta_steps-100_phase_epochs-4_seed-0', 'theta_steps-100_phase_epochs-4_seed-1', 'theta_steps-400_phase_epochs-2_seed-0', 'theta_steps-400_phase_epochs-2_seed-1', 'theta_steps-400_phase_epochs-4_seed-0'],
  );
  const m = problems('config: base.yaml\ngrid:\n  seed: [0, 1]\n  grow.cycles: [1]\nexclude:\n  - { sead: 0 }\n  - { seed: 2 }\n  - seed\n');
  t.regex(m, /exclude\.0\.sead is not a grid key \(did you mean seed\?\).*\(line 6\)/);
  t.regex(m, /exclude\.1\.seed is 2, not one of grid\.seed's values \(0, 1\): it would leave out nothing/);
  t.regex(m, /exclude\.2 must be a mapping from grid keys/);
  t.regex(problems('config: base.yaml\ngrid: { seed: [0, 1] }\nexclude:\n  - { seed: 0 }\n  - { seed: 1 }\n'), /exclude leaves out all 2 combinations of the grid \(exclude\[0\] \(line 4\), exclude\[1\] \(line 5\)\): no point is left to run; remove or narrow an entry/);
  // what went wrong, when it can be told: a quoted number, a list, yes for true; a grid key refused there is not refused again
  const hints = problems('config: base.yaml\ngrid:\n  seed: [0, 1]\n  grow.uniform_baseline: [true]\n  sed: [1]\nexclude:\n  - { seed: "1" }\n  - { seed: [0, 1] }\n  - { grow.uniform_baseline: yes }\n  - { sed: 1 }\n');
  t.regex(hints, /exclude\.0\.seed is "1", .*: the grid's value is 1, not the string "1"; drop the quotes/);
  t.regex(hints, /exclude\.1\.seed is \[0,1\], .*: an entry takes one value per key; write one entry per value/);
  t.regex(hints, /exclude\.2\.grow\.uniform_baseline is "yes", .*: write true or false/);
  t.notRegex(hints, /exclude\.3/);
  t.regex(hints, /grid\.sed is not a config key/);
  // the points left out, named as the sweep's first lines and --dry-run list them
  const three = loadSweepFile(sweepFile('config: base.yaml\ngrid:\n  seed: [0, 1, 2]\nexclude:\n  - { seed: 1 }\n'), dir);
  t.deepEqual(excludedPoints(three), [{ name: 'seed-1', entry: 0, line: 5 }]);
});
