// `nasgrow sweep` with the local backend, end to end on the tiny config: a sweep checked as a whole
// before anything is written; a pool of processes; a point that fails recorded with its error while the
// others run to the end; the sweep killed mid-way (the whole process group, SIGKILL) and started again
// finishes without redoing the points that were done; `sweep status` and `nasgrow table` read it.
import test from 'ava';
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { processAlive } from '../../src/util/process-alive';
import { ROOT } from '../helpers/root';
import { writeTinyConfig } from '../helpers/tiny-config';

const BIN = path.join(ROOT, 'bin', 'nasgrow');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nasgrow-sweep-'));
test.after.always(() => fs.rmSync(dir, { recursive: true, force: true }));
writeTinyConfig(path.join(dir, 'tiny.yaml'));

const nasgrow = (args: string[]) => {
  const r = spawnSync(BIN, args, { cwd: dir, encoding: 'utf8', timeout: 600_000 });
  return { code: r.status, out: `${r.stdout}\n${r.stderr}`, stdout: r.stdout };
};

test.serial('a bad value at any point stops the sweep before anything is written, naming the sweep file, key and value', (t) => {
  fs.writeFileSync(path.join(dir, 'bad.yaml'), 'config: tiny.yaml\ngrid:\n  seed: [1, 2]\n  train.lr: [0.05, -1]\nout: out/bad\n');
  const r = nasgrow(['sweep', 'bad.yaml']);
  t.is(r.code, 1, r.out);
  t.regex(r.out, /bad\.yaml \(grid\.train\.lr\[1\], line 4\): train\.lr must be a number > 0, got -1/);
  t.false(fs.existsSync(path.join(dir, 'out', 'bad')));
  // the command line too: --threads must be a count, and is the local backend's
  const zero = nasgrow(['sweep', 'bad.yaml', '--threads', '0']);
  t.is(zero.code, 1, zero.out);
  t.regex(zero.out, /--threads must be a whole number >= 1, got 0/);
  const slurm = nasgrow(['sweep', 'bad.yaml', '--threads', '1', '--backend', 'slurm']);
  t.is(slurm.code, 1, slurm.out);
  t.regex(slurm.out, /--threads is for the local backend/);
});

test.serial('a start stopped before writing sweep.json is started again as new; a folder holding anything else is refused', (t) => {
  fs.writeFileSync(path.join(dir, 'stopped.yaml'), 'config: tiny.yaml\ngrid: { seed: [1] }\nout: out/stopped\n');
  const out = path.join(dir, 'out', 'stopped');
  // what prepareSweep writes before sweep.json: the lock (of a process that is gone), base.yaml (stale
  // here: the base config changed before the restart), sweep.yaml, and a temporary file of one of them
  fs.mkdirSync(out, { recursive: true });
  const gone = spawnSync('true').pid;
  fs.writeFileSync(path.join(out, '.sweep.lock'), JSON.stringify({ pid: gone, host: os.hostname(), started: '2026-01-01T00:00:00.000Z' }));
  fs.writeFileSync(path.join(out, 'base.yaml'), 'stale: true\n');
  fs.writeFileSync(path.join(out, 'sweep.yaml'), 'stale: true\n');
  fs.writeFileSync(path.join(out, 'base.yaml.123456'), '');
  const r = nasgrow(['sweep', 'stopped.yaml']);
  t.is(r.code, 0, r.out);
  t.regex(r.out, new RegExp(`took over the lock of process ${gone}`));
  t.regex(fs.readFileSync(path.join(out, 'base.yaml'), 'utf8'), /^model:|\nmodel:/);
  t.is(JSON.parse(fs.readFileSync(path.join(out, 'points', 'seed-1.json'), 'utf8')).state, 'done');
  t.false(fs.existsSync(path.join(out, '.sweep.lock')));
  // a folder with anything else in it is someone's: refused, naming what it holds
  const other = path.join(dir, 'out', 'other');
  fs.mkdirSync(other, { recursive: true });
  fs.writeFileSync(path.join(other, 'base.yaml'), 'x: 1\n');
  fs.writeFileSync(path.join(other, 'notes.txt'), 'mine\n');
  fs.writeFileSync(path.join(dir, 'other.yaml'), 'config: tiny.yaml\ngrid: { seed: [1] }\nout: out/other\n');
  const refused = nasgrow(['sweep', 'other.yaml', '--dry-run']);
  t.is(refused.code, 1, refused.out);
  t.regex(refused.out, /is not empty and is not a sweep folder \(no sweep\.json; it holds notes\.txt\): set out to a new folder, or empty it/);
});

test.serial('--backend slurm without SLURM\'s tools stops before the sweep folder is made, saying what is missing', (t) => {
  fs.writeFileSync(path.join(dir, 'noslurm.yaml'), 'config: tiny.yaml\ngrid: { seed: [1] }\nout: out/noslurm\n');
  const r = spawnSync(process.execPath, [path.join(ROOT, 'dist', 'src', 'cli', 'main.js'), 'sweep', 'noslurm.yaml', '--backend', 'slurm'], { cwd: dir, encoding: 'utf8', env: { ...process.env, PATH: '/nonexistent' } });
  t.is(r.status, 1, r.stderr);
  t.regex(r.stderr, /sbatch not found on PATH/);
  t.false(fs.existsSync(path.join(dir, 'out', 'noslurm')));
});

test.serial('a failed point is recorded with its error and the others run to the end; status and table read the sweep', (t) => {
  // lr 1e6 diverges: a user error (exit 1) at run time, after validation passed
  fs.writeFileSync(path.join(dir, 'mixed.yaml'), 'config: tiny.yaml\ngrid:\n  train.lr: [0.05, 1.0e+6]\n  seed: [1, 2]\nout: out/mixed\n');
  const r = nasgrow(['sweep', 'mixed.yaml', '--jobs', '2']);
  t.is(r.code, 1, r.out);
  t.regex(r.out, /2 of 4 points failed \(the other points went on without them\)/);
  t.regex(r.out, /lr-1000000_seed-1: .*(diverged|not finite)/i);
  const status = nasgrow(['sweep', 'status', 'out/mixed']);
  t.is(status.code, 0, status.out);
  t.regex(status.stdout, /lr-0\.05_seed-1\s+done\s+2 phases, retrained\s+test error/);
  t.regex(status.stdout, /lr-1000000_seed-2\s+failed/);
  t.regex(status.stdout, /4 points: 2 done, 2 failed/);
  // a long error is cut in the table (the point's status file has it whole)
  const statusFile = path.join(dir, 'out', 'mixed', 'points', 'lr-1000000_seed-2.json');
  const failedStatus = JSON.parse(fs.readFileSync(statusFile, 'utf8'));
  fs.writeFileSync(statusFile, JSON.stringify({ ...failedStatus, error: `error: ${'a very long message '.repeat(20)}\nsecond line` }));
  const cut = nasgrow(['sweep', 'status', 'out/mixed']);
  t.regex(cut.stdout, /lr-1000000_seed-2\s+failed\s+.*error: a very long message .{60,}… \(points\/lr-1000000_seed-2\.json\)/);
  for (const l of cut.stdout.split('\n')) t.true(l.length < 220, l);
  fs.writeFileSync(statusFile, JSON.stringify(failedStatus));
  const table = nasgrow(['table', 'out/mixed', '--paper', 'none']);
  t.is(table.code, 0, table.out);
  t.regex(table.stdout, /\| gauss-newton \| nasgrow \| 2 \(seeds 1, 2\) \|/);
  t.regex(table.out, /left out the unfinished run/);
  // the sweep file where its folder is wanted: named as such, with the folder
  const file = nasgrow(['sweep', 'status', 'mixed.yaml']);
  t.is(file.code, 1, file.out);
  t.regex(file.out, /error: mixed\.yaml is a sweep file; `nasgrow sweep status` takes its sweep folder: `nasgrow sweep status out\/mixed`/);
});

test.serial('a sweep killed mid-way and started again finishes without redoing its done points', async (t) => {
  fs.writeFileSync(path.join(dir, 'seeds.yaml'), 'config: tiny.yaml\ngrid:\n  seed: [1, 2, 3]\nout: out/seeds\n');
  const out = path.join(dir, 'out', 'seeds');
  const status = (name: string) => path.join(out, 'points', `${name}.json`);
  // the whole process group (the sweep and its points) is killed once the first point is done
  const child = spawn(BIN, ['sweep', 'seeds.yaml'], { cwd: dir, detached: true, stdio: 'ignore' });
  const deadline = Date.now() + 300_000;
  while (!(fs.existsSync(status('seed-1')) && JSON.parse(fs.readFileSync(status('seed-1'), 'utf8')).state === 'done')) {
    if (Date.now() > deadline) t.fail('the first point did not finish in 5 minutes');
    await new Promise((r) => setTimeout(r, 100));
  }
  // let the second point start before the kill
  while (!fs.existsSync(status('seed-2')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  process.kill(-child.pid!, 'SIGKILL');
  await new Promise((r) => child.on('close', r));
  // the point's process goes a moment after the sweep's
  const pointPid = JSON.parse(fs.readFileSync(status('seed-2'), 'utf8')).pid as number;
  while (processAlive(pointPid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const before = fs.readFileSync(status('seed-1'), 'utf8');
  const reportBefore = fs.statSync(path.join(out, 'seed-1', 'report.json')).mtimeMs;
  const mid = nasgrow(['sweep', 'status', 'out/seeds']);
  t.regex(mid.stdout, /seed-1\s+done/);
  t.regex(mid.stdout, /seed-2\s+interrupted/);
  t.regex(mid.stdout, /seed-3\s+not started/);

  // (restarted with --threads: the points get that many threads, not the cores shared out)
  const again = nasgrow(['sweep', 'seeds.yaml', '--threads', '1']);
  t.is(again.code, 0, again.out);
  t.regex(again.out, /3 points \(seed × 3\) in .*; 1 done, 2 to run/);
  t.regex(again.out, /running 2 points, 1 at a time with 1 thread each/);
  t.notRegex(again.out, /\[seed-1\] started/);
  t.is(fs.readFileSync(status('seed-1'), 'utf8'), before);
  t.is(fs.statSync(path.join(out, 'seed-1', 'report.json')).mtimeMs, reportBefore);
  for (const name of ['seed-2', 'seed-3']) t.is(JSON.parse(fs.readFileSync(status(name), 'utf8')).state, 'done');
  // a third start has nothing to do
  const third = nasgrow(['sweep', 'seeds.yaml']);
  t.regex(third.out, /3 done, 0 to run/);
  t.regex(third.out, /every point is done/);
  // points the file no longer runs, left out by exclude or gone from the grid, are kept and said so
  fs.writeFileSync(path.join(dir, 'seeds.yaml'), 'config: tiny.yaml\ngrid:\n  seed: [1, 2, 3]\nexclude:\n  - { seed: 3 }\nout: out/seeds\n');
  const excluded = nasgrow(['sweep', 'seeds.yaml', '--dry-run']);
  t.is(excluded.code, 0, excluded.out);
  t.regex(excluded.out, /2 points \(seed × 3, 1 left out by exclude\) in .*; 2 done, 0 to run/);
  t.regex(excluded.out, /1 point of the sweep folder is now left out by exclude: seed-3; its run folder is kept, and `nasgrow sweep status` and `nasgrow table` of the sweep folder still show it/);
  t.regex(excluded.out, /left out seed-3 \(exclude\[0\], line 5\)/);
  // the sweep's own lines are its output, on stdout (`--dry-run | grep "to run"`)
  t.regex(excluded.stdout, /left out seed-3/);
  fs.writeFileSync(path.join(dir, 'seeds.yaml'), 'config: tiny.yaml\ngrid:\n  seed: [1, 2]\nout: out/seeds\n');
  const gone = nasgrow(['sweep', 'seeds.yaml', '--dry-run']);
  t.regex(gone.out, /1 point of the sweep folder is not in the sweep file's grid any more: seed-3; its run folder is kept/);
  // a done point run again by hand finds its run finished: its record still describes the attempt that did the work
  const point = nasgrow(['sweep', 'point', 'out/seeds', 'seed-1', '--threads', '1']);
  t.is(point.code, 0, point.out);
  t.is(fs.readFileSync(status('seed-1'), 'utf8'), before);
  // the sweep file may not change what its points are
  fs.writeFileSync(path.join(dir, 'seeds.yaml'), 'config: tiny.yaml\nset: { train.lr: 0.1 }\ngrid:\n  seed: [1, 2, 3]\nout: out/seeds\n');
  const changed = nasgrow(['sweep', 'seeds.yaml']);
  t.is(changed.code, 1, changed.out);
  t.regex(changed.out, /its point seed-1 sets other values than seeds\.yaml now does\n\s+train\.lr: null in the sweep, 0\.1 now/);
  // its base config may change where and how fast the points run, not what they compute
  const base = fs.readFileSync(path.join(dir, 'tiny.yaml'), 'utf8');
  fs.writeFileSync(path.join(dir, 'moved.yaml'), base.replace('runtime: { threads: 1 }', 'runtime: { threads: 2 }'));
  fs.writeFileSync(path.join(dir, 'seeds.yaml'), 'config: moved.yaml\ngrid:\n  seed: [1, 2, 3]\nout: out/seeds\n');
  const moved = nasgrow(['sweep', 'seeds.yaml']);
  t.is(moved.code, 0, moved.out);
  t.regex(moved.out, /the base config's runtime\.threads changed .*base\.yaml rewritten/);
  t.regex(fs.readFileSync(path.join(out, 'base.yaml'), 'utf8'), /threads: 2/);
  fs.writeFileSync(path.join(dir, 'other.yaml'), base.replace('lr: 0.05', 'lr: 0.07'));
  fs.writeFileSync(path.join(dir, 'seeds.yaml'), 'config: other.yaml\ngrid:\n  seed: [1, 2, 3]\nout: out/seeds\n');
  const other = nasgrow(['sweep', 'seeds.yaml']);
  t.is(other.code, 1, other.out);
  t.regex(other.out, /its base config \(.*base\.yaml\) differs from .*other\.yaml\n\s+train\.lr: 0\.05 in the sweep, 0\.07 now\nonly runtime\.device, runtime\.threads, data\.cache_dir, output\.dir may differ/);
});

test.serial('a sweep started twice is refused at once, and a running point run by hand is refused, both leaving its record alone', async (t) => {
  fs.writeFileSync(path.join(dir, 'twice.yaml'), 'config: tiny.yaml\ngrid:\n  seed: [1]\nout: out/twice\n');
  const out = path.join(dir, 'out', 'twice');
  const child = spawn(BIN, ['sweep', 'twice.yaml'], { cwd: dir, stdio: 'ignore' });
  const deadline = Date.now() + 300_000;
  // the point holds its run folder's lock; stopped there, it stays "running" while the others try
  while (!fs.existsSync(path.join(out, 'seed-1', '.lock')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const statusFile = path.join(out, 'points', 'seed-1.json');
  const pointPid = JSON.parse(fs.readFileSync(statusFile, 'utf8')).pid as number;
  process.kill(pointPid, 'SIGSTOP');
  try {
    const record = fs.readFileSync(statusFile, 'utf8');
    const second = nasgrow(['sweep', 'twice.yaml']);
    t.is(second.code, 1, second.out);
    t.regex(second.out, new RegExp(`the sweep folder .*out/twice is in use by process ${child.pid} \\(since .*\\): wait for it to finish or stop it, then run the sweep again`));
    t.notRegex(second.out, /\[seed-1\]/);
    const byHand = nasgrow(['sweep', 'point', 'out/twice', 'seed-1']);
    t.is(byHand.code, 1, byHand.out);
    t.regex(byHand.out, new RegExp(`the run folder .*seed-1 is in use by process ${pointPid}`));
    t.is(fs.readFileSync(statusFile, 'utf8'), record);
  } finally {
    process.kill(pointPid, 'SIGCONT');
  }
  const code = await new Promise((r) => child.on('close', r));
  t.is(code, 0);
  t.is(JSON.parse(fs.readFileSync(statusFile, 'utf8')).state, 'done');
  t.false(fs.existsSync(path.join(out, '.sweep.lock')), 'the sweep released its folder');
});

test.serial('a `command: train` sweep retrains what another sweep found; status counts its epochs, and table pairs its arms by seed', (t) => {
  // the multi-seed study's *-retrain12-* sweeps: model.arch reaches into the other sweep's folder
  // through ${sweep}; one arm trains the found architectures, the other their controls matched by MACs
  const retrain = (name: string, extra: string) =>
    fs.writeFileSync(path.join(dir, `${name}.yaml`), `config: tiny.yaml\ncommand: train\nset:\n  model.arch: \${sweep}/../seeds/seed-\${seed}/arch.json\n${extra}  train.epochs: 2\ngrid:\n  seed: [1, 2]\nout: out/${name}\n`);
  retrain('grown', '');
  retrain('macs', '  model.uniform_match: macs\n');
  for (const name of ['grown', 'macs']) {
    const r = nasgrow(['sweep', `${name}.yaml`]);
    t.is(r.code, 0, r.out);
  }
  const status = nasgrow(['sweep', 'status', 'out/macs']);
  t.is(status.code, 0, status.out);
  t.regex(status.stdout, /seed-1\s+done\s+2 of 2 epochs done\s+test error [\d.]+% \(train, epoch 2, [\d,]+ params, uniform matched by MACs\)/);
  const table = nasgrow(['table', 'out/grown', 'out/macs', '--paper', 'none']);
  t.is(table.code, 0, table.out);
  t.regex(table.stdout, /\| uniform \(matched MACs\) \(both retrained 2 epochs\) \| 2 \(1, 2\) \|/);
});
