// Resuming with other epoch counts than the run's (src/cli/shared/resume-plan.ts): a count below the
// epochs already trained never reaches config.yaml (a finished run has nothing to do, a stopped one is
// refused before anything is written), and a change that makes the result differ from an
// uninterrupted run (the cosine schedule's rates depend on the total) says so, naming the key.
import test from 'ava';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ROOT } from '../helpers/root';

const BIN = path.join(ROOT, 'bin', 'nasgrow');
const SAMPLE = path.join(ROOT, 'data', 'sample', 'fashion-mnist');

function nasgrow(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(BIN, args, { encoding: 'utf8', timeout: 300_000, env: { ...process.env, NO_COLOR: '1', ...env } });
  return { code: r.status, signal: r.signal, out: `${r.stdout}\n${r.stderr}` };
}

/** A config file in a fresh folder: a tiny network on 128 sample images, `train` and `grow` sections as given. */
function sandbox(train: string, grow = ''): { dir: string; cfg: string; write: (name: string, text: string) => string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nasgrow-resume-changes-'));
  const write = (name: string, text: string) => {
    fs.writeFileSync(path.join(dir, name), text);
    return path.join(dir, name);
  };
  const cfg = write(
    'cfg.yaml',
    [
      'seed: 0',
      'model: { family: vgg19, width: 2 }',
      `data: { dataset: fashion-mnist, path: ${SAMPLE}, limit_train: 128, limit_test: 64, augment: { crop: false, flip: false } }`,
      `train: { ${train} }`,
      'runtime: { threads: 1 }',
      grow,
    ].join('\n'),
  );
  return { dir, cfg, write };
}

const configYaml = (run: string) => fs.readFileSync(path.join(run, 'config.yaml'), 'utf8');

test('train --resume with fewer epochs than trained: a finished run does nothing and keeps its config, a stopped one is refused; a longer cosine schedule warns', (t) => {
  const { dir, cfg } = sandbox('epochs: 1, batch_size: 16, lr: 0.05, schedule: cosine');
  const run = path.join(dir, 'run');
  t.is(nasgrow(['train', cfg, '--out', run, '--epochs', '3']).code, 0);
  const last = fs.readFileSync(path.join(run, 'checkpoints', 'epoch-0003.safetensors'));
  // fewer epochs on a finished run: nothing to train, and config.yaml still says what the run did
  for (const [flags, from] of [[['--epochs', '2'], '--epochs'], [[], cfg]] as const) {
    const r = nasgrow(['train', cfg, '--resume', run, ...flags]);
    t.is(r.code, 0, r.out);
    t.true(r.out.includes(`train.epochs ${flags.length ? 2 : 1} (from ${from}) is fewer than the 3 epochs this finished run has trained: nothing to train; config.yaml keeps train.epochs 3`), r.out);
    t.regex(r.out, /done: 3 epochs in the run/);
    t.regex(configYaml(run), /^ {2}epochs: 3$/m);
  }
  t.true(fs.readFileSync(path.join(run, 'checkpoints', 'epoch-0003.safetensors')).equals(last));
  // a run stopped after epoch 2 (its epoch-3 checkpoint not written): fewer than 2 is refused, before
  // anything is written
  fs.rmSync(path.join(run, 'checkpoints', 'epoch-0003.safetensors'));
  const before = configYaml(run);
  const log = fs.readFileSync(path.join(run, 'train.log'), 'utf8');
  const refused = nasgrow(['train', cfg, '--resume', run]);
  t.is(refused.code, 1, refused.out);
  t.regex(refused.out, /error: cannot resume .* with train\.epochs 1 \(from .*cfg\.yaml\): the run has trained 2 epochs already \(checkpoints\/epoch-0002\.safetensors\), .* resume with --epochs 3 \(the run's train\.epochs\) or any number from 2 up/);
  t.is(configYaml(run), before);
  t.is(fs.readFileSync(path.join(run, 'train.log'), 'utf8'), log);
  // more epochs: epochs 1-2 ran at the 3-epoch cosine rates, so the 5-epoch result is not an
  // uninterrupted run's, and the log says so
  const longer = nasgrow(['train', cfg, '--resume', run, '--epochs', '5']);
  t.is(longer.code, 0, longer.out);
  t.regex(longer.out, /warning: train\.epochs changed from 3 to 5 after 2 epochs: those ran on the 3-epoch cosine schedule, not the 5-epoch one, .* so the result differs from an uninterrupted 5-epoch run/);
  const finished = nasgrow(['train', cfg, '--resume', run, '--epochs', '6']);
  t.regex(finished.out, /warning: train\.epochs changed from 5 to 6 after 5 epochs: those ran on the 5-epoch cosine schedule, which they had completed \(the last at lr [\d.e-]+\)/);
  // a constant schedule does not depend on the total: extending it is the uninterrupted run, no warning
  const flat = sandbox('epochs: 2, batch_size: 16, lr: 0.05, schedule: constant');
  const flatRun = path.join(flat.dir, 'run');
  t.is(nasgrow(['train', flat.cfg, '--out', flatRun]).code, 0);
  const extended = nasgrow(['train', flat.cfg, '--resume', flatRun, '--epochs', '3']);
  t.is(extended.code, 0, extended.out);
  t.regex(extended.out, /train\.epochs changed from 2 to 3 on resume/);
  t.notRegex(extended.out, /warning/);
  // resumed on a CPU of another NCHWc block (as if run.json came from one): the numbers go another way, said so
  const manifestFile = path.join(flatRun, 'run.json');
  const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
  const here = manifest.hardware.nchwcBlock as number;
  fs.writeFileSync(manifestFile, JSON.stringify({ ...manifest, hardware: { ...manifest.hardware, nchwcBlock: here === 8 ? 16 : 8 } }));
  const moved = nasgrow(['train', flat.cfg, '--resume', flatRun, '--epochs', '4']);
  t.is(moved.code, 0, moved.out);
  t.regex(moved.out, new RegExp(`warning: .*run started on a CPU whose NCHWc block is ${here === 8 ? 16 : 8} \\(run\\.json\\), this one's is ${here}: .* will not match an uninterrupted run`));
  fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(flat.dir, { recursive: true, force: true });
});

test('run --resume: fewer retraining epochs or no baseline on a finished run change nothing, on a stopped one fewer is refused; a longer cosine retraining warns', (t) => {
  const grow = (retrain: number, baseline: boolean) => `grow: { cycles: 1, phase_epochs: 1, theta_steps: 2, retrain_epochs: ${retrain}, uniform_baseline: ${baseline}, lambda_p: 1.0e-5 }`;
  const { dir, cfg, write } = sandbox('batch_size: 16, lr: 0.05, schedule: cosine', grow(3, true));
  const text = fs.readFileSync(cfg, 'utf8');
  const variant = (retrain: number, baseline: boolean) => write(`r${retrain}-${baseline}.yaml`, text.replace(grow(3, true), grow(retrain, baseline)));
  const run = path.join(dir, 'run');
  // killed after the second retraining epoch (epochs: the phase's, then the retraining's)
  const killed = nasgrow(['run', cfg, '--out', run], { NASGROW_FAULT_KILL: 'epoch:3' });
  t.is(killed.signal, 'SIGKILL', killed.out);
  const before = configYaml(run);
  const refused = nasgrow(['run', variant(1, true), '--resume', run]);
  t.is(refused.code, 1, refused.out);
  t.regex(refused.out, /error: cannot resume .* with grow\.retrain_epochs 1: the run has retrained 2 epochs already, .* resume with grow\.retrain_epochs 3 \(the run's\) or any number from 2 up/);
  t.is(configYaml(run), before);
  const resumed = nasgrow(['run', cfg, '--resume', run]);
  t.is(resumed.code, 0, resumed.out);
  // it says where the retraining goes on; the baseline had not started
  t.regex(resumed.out, /retrain: resuming after epoch 2 of 3 from .*retrain\/checkpoints\/epoch-0002\.safetensors/);
  t.notRegex(resumed.out, /uniform baseline: resuming/);
  const report = fs.readFileSync(path.join(run, 'report.json'), 'utf8');
  // finished: fewer retraining epochs, none, or no baseline: nothing to do, config.yaml keeps the run's
  for (const [retrain, baseline, note] of [
    [2, true, /grow\.retrain_epochs 2 is fewer than the 3 epochs this finished run has retrained: nothing to retrain; config\.yaml keeps grow\.retrain_epochs 3/],
    [0, true, /grow\.retrain_epochs 0 is fewer than the 3 epochs .* config\.yaml keeps grow\.retrain_epochs 3/],
    [3, false, /grow\.uniform_baseline false: this finished run has trained its uniform baseline, .* config\.yaml keeps grow\.uniform_baseline true/],
  ] as const) {
    const r = nasgrow(['run', variant(retrain, baseline), '--resume', run]);
    t.is(r.code, 0, r.out);
    t.regex(r.out, note);
    t.regex(r.out, /is finished .*: nothing to do/);
    t.regex(r.out, /done: 1 growing cycle and 3 retraining epochs/);
    t.regex(configYaml(run), /^ {2}retrain_epochs: 3$/m);
    t.regex(configYaml(run), /^ {2}uniform_baseline: true$/m);
    t.is(fs.readFileSync(path.join(run, 'report.json'), 'utf8'), report);
  }
  // more retraining epochs after the retraining's cosine schedule ended: not an uninterrupted run's result
  const longer = nasgrow(['run', variant(4, true), '--resume', run]);
  t.is(longer.code, 0, longer.out);
  t.regex(longer.out, /warning: grow\.retrain_epochs changed from 3 to 4 after 3 epochs: those ran on the 3-epoch cosine schedule, which they had completed .* differs from an uninterrupted 4-epoch run/);
  t.regex(longer.out, /retrain: resuming after epoch 3 of 4 /);
  t.regex(longer.out, /uniform baseline: resuming after epoch 3 of 4 /);
  t.regex(configYaml(run), /^ {2}retrain_epochs: 4$/m);
  fs.rmSync(dir, { recursive: true, force: true });
});
