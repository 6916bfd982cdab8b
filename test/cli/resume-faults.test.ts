// Through the CLI: resuming from a damaged checkpoint, phase state or progress.json exits 1 (a user
// error) with a message that names the file and what to do, never 2 (an internal error).
import test from 'ava';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadConfig, renderConfigYaml } from '../../src/config';
import { vgg19 } from '../../src/models/arch';
import { macCount, paramCount, uniformMatch } from '../../src/models/params';
import { prepareRunFolder } from '../../src/report';
import { ROOT } from '../helpers/root';

const BIN = path.join(ROOT, 'bin', 'nasgrow');

function config(dir: string, grow: boolean): string {
  const file = path.join(dir, grow ? 'grow.yaml' : 'train.yaml');
  fs.writeFileSync(
    file,
    [
      'seed: 2',
      'model: { family: vgg19, width: 2 }',
      'data:',
      '  dataset: fashion-mnist',
      `  path: ${path.join(ROOT, 'data', 'sample', 'fashion-mnist')}`,
      '  limit_train: 128',
      '  limit_test: 64',
      'train: { epochs: 1, batch_size: 32, lr: 0.05 }',
      ...(grow ? ['grow: { cycles: 2, phase_epochs: 1 }'] : []),
      'runtime: { threads: 1 }',
    ].join('\n'),
  );
  return file;
}

function nasgrow(args: string[]) {
  const r = spawnSync(BIN, args, { encoding: 'utf8', timeout: 300_000, env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('nasgrow train --resume from a checkpoint with a flipped bit: exit 1, the file and what to do', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nasgrow-resume-faults-'));
  const cfg = config(dir, false);
  const out = path.join(dir, 'run');
  const first = nasgrow(['train', cfg, '--out', out]);
  t.is(first.code, 0, first.stderr);
  const ckpt = path.join(out, 'checkpoints', 'epoch-0001.safetensors');
  const buf = fs.readFileSync(ckpt);
  buf[buf.length - 100]! ^= 0x01;
  fs.writeFileSync(ckpt, buf);
  const r = nasgrow(['train', cfg, '--resume', out]);
  t.is(r.code, 1, r.stderr);
  t.is(
    r.stderr.split('\n')[0],
    `error: checkpoint ${ckpt} is damaged: its content does not match its checksum: the file changed after it was written (a disk, copy or transfer error, or an edit); remove it to resume from the checkpoint before it (or from the beginning, when it is the only one), or start a new run`,
  );
  fs.writeFileSync(ckpt, Buffer.alloc(0));
  const empty = nasgrow(['train', cfg, '--resume', out]);
  t.is(empty.code, 1, empty.stderr);
  t.regex(empty.stderr, /is damaged: the file is empty \(0 bytes\)/);
  fs.rmSync(dir, { recursive: true, force: true });
});

// A finished run that a resume extends removes its earlier result (report, infer.onnx) before training
// on; a damaged checkpoint is found before that, so the refused resume leaves the folder as it was.
test('extending a finished run from a damaged checkpoint is refused before anything in the folder changes', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nasgrow-resume-faults-'));
  const snapshot = (out: string) =>
    Object.fromEntries(
      (fs.readdirSync(out, { recursive: true }) as string[])
        .filter((f) => fs.statSync(path.join(out, f)).isFile() && f !== '.lock' && f !== 'train.log')
        .sort()
        .map((f) => [f, fs.readFileSync(path.join(out, f)).toString('base64')]),
    );
  const flip = (file: string) => {
    const buf = fs.readFileSync(file);
    buf[buf.length - 100]! ^= 0x01;
    fs.writeFileSync(file, buf);
  };

  const trainCfg = config(dir, false);
  const trained = path.join(dir, 'train');
  t.is(nasgrow(['train', trainCfg, '--out', trained]).code, 0);
  const ckpt = path.join(trained, 'checkpoints', 'epoch-0001.safetensors');
  flip(ckpt);
  const before = snapshot(trained);
  t.true('graphs/infer.onnx' in before && 'report.html' in before && 'config.yaml' in before);
  const r = nasgrow(['train', trainCfg, '--resume', trained, '--epochs', '2']);
  t.is(r.code, 1, r.stderr);
  t.true(r.stderr.startsWith(`error: checkpoint ${ckpt} is damaged: its content does not match its checksum`), r.stderr);
  t.deepEqual(snapshot(trained), before);

  const growCfg = config(dir, true);
  const grown = path.join(dir, 'grow');
  t.is(nasgrow(['run', growCfg, '--out', grown]).code, 0);
  const retrained = path.join(grown, 'retrain', 'checkpoints', 'epoch-0002.safetensors');
  flip(retrained);
  const longer = path.join(dir, 'grow-longer.yaml');
  fs.writeFileSync(longer, fs.readFileSync(growCfg, 'utf8').replace('grow: { cycles: 2, phase_epochs: 1 }', 'grow: { cycles: 2, phase_epochs: 1, retrain_epochs: 3 }'));
  const grownBefore = snapshot(grown);
  t.true('report.json' in grownBefore && 'retrain/graphs/infer.onnx' in grownBefore);
  const g = nasgrow(['run', longer, '--resume', grown]);
  t.is(g.code, 1, g.stderr);
  t.true(g.stderr.startsWith(`error: checkpoint ${retrained} is damaged: its content does not match its checksum`), g.stderr);
  t.deepEqual(snapshot(grown), grownBefore);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('nasgrow run --resume with a damaged progress.json or a missing phase state: exit 1, the file and what to do', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nasgrow-resume-faults-'));
  const cfgFile = config(dir, true);
  const out = path.join(dir, 'run');
  const cfg = loadConfig(cfgFile, { overrides: [{ key: 'output.dir', value: out, origin: '--out' }] });
  prepareRunFolder(out, { resume: false, configYaml: renderConfigYaml(cfg, { relativeTo: out }) }).lock.release();
  const progress = path.join(out, 'progress.json');

  fs.writeFileSync(progress, '{"completedPhases": "x", "retrainDone": false, "seconds": 3}\n');
  const r = nasgrow(['run', cfgFile, '--resume', out]);
  t.is(r.code, 1, r.stderr);
  t.true(r.stderr.startsWith(`error: ${progress}: the progress file of this run is damaged: "completedPhases" must be a whole number >= 0, not "x"`), r.stderr);

  fs.writeFileSync(progress, '');
  const empty = nasgrow(['run', cfgFile, '--resume', out]);
  t.is(empty.code, 1, empty.stderr);
  t.regex(empty.stderr, /progress\.json: the progress file of this run is empty \(0 bytes\); nasgrow replaces this file atomically/);

  fs.writeFileSync(progress, '{"completedPhases": 1, "retrainDone": false, "seconds": 3}\n');
  const state = path.join(out, 'phases', 'phase-01', 'state.safetensors');
  const missing = nasgrow(['run', cfgFile, '--resume', out]);
  t.is(missing.code, 1, missing.stderr);
  t.is(missing.stderr.split('\n')[0], `error: checkpoint ${state} does not exist; to redo phase 1 from the state before it, set "completedPhases" to 0 in ${progress} and resume, or start a new run`);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('nasgrow run --resume without its progress.json, once past phase 1: exit 1 naming it and what to write; written so, the run ends as it did', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nasgrow-resume-faults-'));
  const cfgFile = config(dir, true);
  const out = path.join(dir, 'run');
  const first = nasgrow(['run', cfgFile, '--out', out]);
  t.is(first.code, 0, first.stderr);
  // the rows without their wall-time columns, and the report without its wall time
  const metrics = () => {
    const rows = fs.readFileSync(path.join(out, 'metrics.csv'), 'utf8').trim().split('\n').map((l) => l.split(','));
    const keep = rows[0]!.map((h) => !/seconds|per_s/.test(h));
    return rows.map((r) => r.filter((_, i) => keep[i]).join(','));
  };
  const report = () => ({ ...JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')), wall_seconds: 0 });
  const rows = metrics();
  const result = report();
  t.true(rows.some((r) => r.includes('retrain')), rows.join('\n'));
  const progress = path.join(out, 'progress.json');
  fs.rmSync(progress);
  const r = nasgrow(['run', cfgFile, '--resume', out]);
  t.is(r.code, 1, r.stderr);
  t.is(
    r.stderr.split('\n')[0],
    `error: cannot resume ${out}: its progress.json is missing, but the folder holds the work of later steps (phases/phase-02, retrain, report.json); resuming without it would redo the phases and lose the retraining's records. ` +
      'Restore progress.json, or write it as {"completedPhases": 2, "retrainDone": false, "seconds": 0} (2: the phases/phase-NN folders from phase-01 on that hold a state.safetensors) and resume, or start a new run',
  );
  t.deepEqual(metrics(), rows);
  fs.writeFileSync(progress, '{"completedPhases": 2, "retrainDone": false, "seconds": 0}\n');
  const resumed = nasgrow(['run', cfgFile, '--resume', out]);
  t.is(resumed.code, 0, resumed.stderr);
  t.deepEqual(metrics(), rows);
  t.deepEqual(report(), result);
  fs.rmSync(dir, { recursive: true, force: true });
});

// A uniform control (model.uniform_match) is the control of the architecture model.arch names; two
// architectures can have the same control, so run.json records which one, and a resume whose model.arch
// names another is refused although the network it describes is the same. A moved file is accepted.
test('model.uniform_match: run.json and train.log say what the control was matched to; a resume naming another architecture with the same control is refused', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nasgrow-resume-faults-'));
  const a = vgg19([3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2], [1, 28, 28], 10);
  const b = vgg19([2, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2], [1, 28, 28], 10);
  t.deepEqual(uniformMatch(a, 'macs'), uniformMatch(b, 'macs'), 'the test needs two architectures with one control');
  const width = uniformMatch(a, 'macs').layers[0]!.width;
  for (const [name, arch] of [['a', a], ['b', b], ['moved-a', a]] as const) fs.writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(arch));
  const cfgFor = (archFile: string, epochs: number) => {
    const file = path.join(dir, `train-${path.basename(archFile, '.json')}.yaml`);
    const text = fs.readFileSync(config(dir, false), 'utf8').replace('model: { family: vgg19, width: 2 }', `model: { arch: ${archFile}, uniform_match: macs }`);
    fs.writeFileSync(file, text.replace('epochs: 1,', `epochs: ${epochs},`));
    return file;
  };
  const out = path.join(dir, 'run');
  const first = nasgrow(['train', cfgFor('a.json', 1), '--out', out]);
  t.is(first.code, 0, first.stderr);
  const manifest = JSON.parse(fs.readFileSync(path.join(out, 'run.json'), 'utf8'));
  t.deepEqual(manifest.matched, { by: 'macs', of: a });
  t.deepEqual(manifest.arch, uniformMatch(a, 'macs'));
  t.regex(fs.readFileSync(path.join(out, 'train.log'), 'utf8'), new RegExp(`model\\.uniform_match macs: width ${width}, the narrowest uniform vgg19 with at least the [0-9.]+ MMAC per image of .*a\\.json \\(widths 3,2,2,`));
  // what the control has against the architecture, and a note when one width step overshoots the target
  const control = uniformMatch(a, 'macs');
  const macs = (macCount(control) / macCount(a)).toFixed(2);
  t.true(Number(macs) > 1.1, `the test wants a coarse match, got ${macs}x`);
  const has = `it has ${(macCount(control) / 1e6).toFixed(2)} MMAC (${macs}x) and ${paramCount(control).toLocaleString('en-US')} parameters (${(paramCount(control) / paramCount(a)).toFixed(2)}x); note: ${macs}x the MACs it is matched to`;
  t.true(fs.readFileSync(path.join(out, 'train.log'), 'utf8').includes(has), has);

  const other = nasgrow(['train', cfgFor('b.json', 2), '--resume', out]);
  t.is(other.code, 1, other.stderr);
  t.regex(other.stderr, /cannot resume .*run: its network is the uniform control of another architecture than .*b\.json \(run\.json's "matched"\): point model\.arch at the arch\.json it was matched to, or start a new run/);
  t.is(JSON.parse(fs.readFileSync(path.join(out, 'run.json'), 'utf8')).matched.of.layers[0].width, 3, 'run.json unchanged');
  // the same architecture from another place (a moved run folder) resumes
  const moved = nasgrow(['train', cfgFor('moved-a.json', 2), '--resume', out]);
  t.is(moved.code, 0, moved.stderr);
  t.regex(moved.stdout + moved.stderr, /resuming after epoch 1/);

  // a damaged "matched" is named, not dropped (a resume relies on it)
  fs.writeFileSync(path.join(out, 'run.json'), JSON.stringify({ ...manifest, matched: { by: 'flops', of: a } }));
  const damaged = nasgrow(['train', cfgFor('moved-a.json', 3), '--resume', out]);
  t.is(damaged.code, 1, damaged.stderr);
  t.regex(damaged.stderr, /run\.json is damaged \("matched" is not what the run's uniform control was matched to\)/);
  fs.rmSync(dir, { recursive: true, force: true });
});
