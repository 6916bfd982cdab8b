// Bad input and faults through the CLI, each kind with an example that used to fail: a problem the
// user can fix exits 1 with a message naming the file, folder, key or value — before anything is
// written, so that the same command runs once it is fixed — and nothing is lost.
import test from 'ava';
import { execFileSync, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { onnx } from 'onnx-proto';
import sharp from 'sharp';
import { writePng } from '../data/fixtures';
import { ROOT } from '../helpers/root';

const BIN = path.join(ROOT, 'bin', 'nasgrow');
const SAMPLE = path.join(ROOT, 'data', 'sample', 'fashion-mnist');

function nasgrow(args: string[], timeout = 300_000) {
  const r = spawnSync(BIN, args, { encoding: 'utf8', timeout, env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, signal: r.signal, out: `${r.stdout}\n${r.stderr}` };
}

function sandbox(extra = '', limitTrain = 64): { dir: string; cfg: string; out: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nasgrow-faults-'));
  const cfg = path.join(dir, 'cfg.yaml');
  fs.writeFileSync(
    cfg,
    [
      'seed: 3',
      'model: { family: vgg19, width: 2 }',
      `data: { dataset: fashion-mnist, path: ${SAMPLE}, limit_train: ${limitTrain}, limit_test: 32 }`,
      'train: { epochs: 2, batch_size: 16, lr: 0.05, schedule: cosine }',
      'runtime: { threads: 1 }',
      extra,
    ].join('\n'),
  );
  return { dir, cfg, out: path.join(dir, 'run') };
}

test('user errors before any work leave no run folder, so the same command runs once they are fixed', (t) => {
  // the CUDA provider missing (when it is), data missing, a network that cannot train at this batch
  const { dir, cfg, out } = sandbox();
  const cuda = nasgrow(['train', cfg, '--out', out, '--device', 'cuda']);
  if (cuda.code !== 0) {
    t.is(cuda.code, 1, cuda.out);
    t.regex(cuda.out, /ONNXRUNTIME_NODE_INSTALL=cuda12/);
    t.false(fs.existsSync(out), 'a failed --device cuda start left a run folder');
  }
  const empty = path.join(dir, 'empty-data');
  fs.mkdirSync(empty);
  const noData = path.join(dir, 'nodata.yaml');
  fs.writeFileSync(noData, fs.readFileSync(cfg, 'utf8').replace(SAMPLE, empty));
  const r = nasgrow(['train', noData, '--out', out]);
  t.is(r.code, 1, r.out);
  t.regex(r.out, /train-images-idx3-ubyte\.gz: train images file not found/);
  t.false(fs.existsSync(out), 'a data error left a run folder');
  // a limit above what the data hold would record a size the run never had
  const tooMany = path.join(dir, 'toomany.yaml');
  fs.writeFileSync(tooMany, fs.readFileSync(cfg, 'utf8').replace('limit_test: 32', 'limit_test: 1001'));
  const over = nasgrow(['train', tooMany, '--out', out]);
  t.is(over.code, 1, over.out);
  t.regex(over.out, /fashion-mnist: data\.limit_test 1001 is more than the 1000 test images it holds \(set data\.limit_test to at most 1000, or remove it to use them all\)/);
  t.false(fs.existsSync(out), 'a limit error left a run folder');
  const ok = nasgrow(['train', cfg, '--out', out]);
  t.is(ok.code, 0, ok.out);
  // the class names in label order, in the run folder and in the inference model's metadata
  const names = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
  t.deepEqual(JSON.parse(fs.readFileSync(path.join(out, 'classes.json'), 'utf8')), names);
  const meta = onnx.ModelProto.decode(fs.readFileSync(path.join(out, 'graphs', 'infer.onnx'))).metadataProps;
  t.deepEqual(JSON.parse(meta.find((p) => p.key === 'nasgrow.classes')!.value!), names);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('output folders that cannot be: a file in the path, /dev/null, /proc (no hang), --out naming a file', (t) => {
  const { dir, cfg } = sandbox();
  const file = path.join(dir, 'a-file');
  fs.writeFileSync(file, '');
  for (const [out, why] of [
    [path.join(file, 'run'), /a-file is a file, not a folder/],
    ['/dev/null/run', /\/dev\/null is a file, not a folder|inside \/dev/],
    ['/proc/nasgrow-run', /inside \/proc, a kernel pseudo-filesystem/],
  ] as const) {
    const r = nasgrow(['train', cfg, '--out', out], 60_000);
    t.is(r.signal, null, `${out}: the command hung`);
    t.is(r.code, 1, `${out}:\n${r.out}`);
    t.regex(r.out, why);
    t.notRegex(r.out, /internal error/);
  }
  for (const cmd of [['export', '--family', 'vgg19', '--width', '2', '--out', file], ['export-seeds', '--out', file]]) {
    const r = nasgrow(cmd);
    t.is(r.code, 1, `${cmd.join(' ')}:\n${r.out}`);
    t.regex(r.out, /is a file, not a folder/);
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

test('validate refuses what cannot train: one BatchNorm value per channel, a network beyond the memory', (t) => {
  const a = sandbox('', 64);
  fs.writeFileSync(a.cfg, fs.readFileSync(a.cfg, 'utf8').replace('batch_size: 16', 'batch_size: 1'));
  const r = nasgrow(['validate', a.cfg]);
  t.is(r.code, 1, r.out);
  t.regex(r.out, /train\.batch_size is 1, so the conv13 BN \(on 1x1 maps\) would normalise 1 value per channel/);
  const b = sandbox('', 64);
  fs.writeFileSync(b.cfg, fs.readFileSync(b.cfg, 'utf8').replace('width: 2', 'width: 100000'));
  const w = nasgrow(['validate', b.cfg]);
  t.is(w.code, 1, w.out);
  t.regex(w.out, /model\.width gives a network of [\d,]+ parameters whose training step needs at least [\d.]+ GiB/);
  fs.rmSync(a.dir, { recursive: true, force: true });
  fs.rmSync(b.dir, { recursive: true, force: true });
});

test('validate makes the checks train makes before it starts: output folder, device, an existing run; and prints the data warnings train prints', async (t) => {
  const { dir, cfg } = sandbox();
  const text = fs.readFileSync(cfg, 'utf8');
  const variant = (name: string, extra: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, `${text}\n${extra}\n`);
    return file;
  };
  const file = path.join(dir, 'a-file');
  fs.writeFileSync(file, '');
  const existing = path.join(dir, 'existing-run');
  fs.mkdirSync(existing);
  fs.writeFileSync(path.join(existing, 'config.yaml'), text);
  const cases = [
    [variant('in-file.yaml', `output: { dir: ${path.join(file, 'run')} }`), /error: output\.dir .*a-file\/run: .*a-file is a file, not a folder/],
    [variant('dev-null.yaml', 'output: { dir: /dev/null }'), /error: output\.dir \/dev\/null: it is a file, not a folder/],
    [variant('proc.yaml', 'output: { dir: /proc/nasgrow-run }'), /error: output\.dir \/proc\/nasgrow-run is inside \/proc, a kernel pseudo-filesystem/],
    [variant('existing.yaml', `output: { dir: ${existing} }`), /error: the run folder .*existing-run already exists and is not empty: use --resume/],
  ] as const;
  for (const [config, why] of cases) {
    const v = nasgrow(['validate', config], 60_000);
    const tr = nasgrow(['train', config], 60_000);
    t.is(v.code, 1, `validate ${path.basename(config)}:\n${v.out}`);
    t.regex(v.out, why);
    t.is(tr.code, 1, `train ${path.basename(config)}:\n${tr.out}`);
    t.regex(tr.out, why);
  }
  // runtime.device cuda: refused by both where the provider is missing
  const cudaCfg = path.join(dir, 'cuda.yaml');
  fs.writeFileSync(cudaCfg, `${text.replace('runtime: { threads: 1 }', 'runtime: { threads: 1, device: cuda }')}\noutput: { dir: ${path.join(dir, 'cuda-run')} }\n`);
  const cuda = nasgrow(['validate', cudaCfg]);
  const cudaTrain = nasgrow(['train', cudaCfg]);
  if (cudaTrain.code !== 0) {
    t.is(cuda.code, 1, cuda.out);
    t.regex(cuda.out, /runtime\.device is 'cuda' but the CUDA execution provider is not installed/);
  }
  // an image folder whose class c has no training images, with a file that is not an image
  const root = path.join(dir, 'images');
  let id = 0;
  for (const [split, cls, n] of [['train', 'a', 2], ['train', 'b', 2], ['test', 'a', 1], ['test', 'b', 1], ['test', 'c', 1]] as const) {
    for (let i = 0; i < n; i++) await writePng(path.join(root, split, cls, `${i}.png`), id++, 32, 32);
  }
  fs.writeFileSync(path.join(root, 'train', 'a', 'notes.txt'), 'not an image');
  const img = path.join(dir, 'images.yaml');
  fs.writeFileSync(
    img,
    [`data: { dataset: image-folder, path: ${root} }`, 'model: { family: vgg19, width: 2 }', 'train: { epochs: 1, batch_size: 2 }', `output: { dir: ${path.join(dir, 'img-run')} }`, 'runtime: { threads: 1 }'].join('\n'),
  );
  const warnings = (out: string) => out.split('\n').filter((l) => l.startsWith('warning:'));
  const v = nasgrow(['validate', img]);
  t.is(v.code, 0, v.out);
  const tr = nasgrow(['train', img]);
  t.is(tr.code, 0, tr.out);
  t.true(warnings(tr.out).some((w) => /class 'c' has no training images/.test(w)), tr.out);
  t.true(warnings(tr.out).some((w) => /skipped 1 file that is not a \.jpg\/\.jpeg\/\.png image/.test(w)), tr.out);
  t.deepEqual(warnings(v.out), warnings(tr.out));
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a full disk is the user\'s error naming the file, and leaves no temporary file', (t) => {
  const { dir, cfg } = sandbox('', 640);
  const mnt = path.join(dir, 'small-disk');
  fs.mkdirSync(mnt);
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=300k', 'tmpfs', mnt]);
  if (m.status !== 0) {
    t.log(`cannot mount a tmpfs here (${m.stderr}): the full-disk case is not checked`);
    t.pass();
    return;
  }
  try {
    const r = nasgrow(['train', cfg, '--out', path.join(mnt, 'run'), '--epochs', '3']);
    t.is(r.code, 1, r.out);
    t.regex(r.out, /error: cannot (write|append to) .*small-disk\/run\/.*: no space left on the device/);
    const leftovers: string[] = [];
    const walk = (p: string) => fs.readdirSync(p, { withFileTypes: true }).forEach((e) => (e.isDirectory() ? walk(path.join(p, e.name)) : /\.\d+$|\.tmp/.test(e.name) && leftovers.push(e.name)));
    walk(mnt);
    t.deepEqual(leftovers, []);
    t.regex(fs.readFileSync(path.join(mnt, 'run', 'train.log'), 'utf8'), /stopped: cannot/);
  } finally {
    spawnSync('umount', [mnt]);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a start that fails on a full disk leaves no folder, so the same command runs once there is space', (t) => {
  const { dir, cfg } = sandbox();
  const mnt = path.join(dir, 'small-disk');
  fs.mkdirSync(mnt);
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mnt]);
  if (m.status !== 0) {
    t.log(`cannot mount a tmpfs here (${m.stderr}): the full-disk start is not checked`);
    t.pass();
    return;
  }
  try {
    const out = path.join(mnt, 'run');
    const filler = path.join(mnt, 'filler');
    // a page (4 KiB) each for the lock, run.json, config.yaml and train.log: 8 KiB left stop the start
    // at config.yaml, 12 KiB at train.log
    for (const [free, fails] of [[8192, /cannot write .*small-disk\/run\/config\.yaml/], [12288, /cannot append to .*small-disk\/run\/train\.log/]] as const) {
      try {
        fs.writeFileSync(filler, Buffer.alloc(8 << 20));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
      }
      fs.truncateSync(filler, fs.statSync(filler).size - free);
      const full = nasgrow(['train', cfg, '--out', out, '--epochs', '1']);
      t.is(full.code, 1, full.out);
      t.regex(full.out, new RegExp(`error: ${fails.source}: no space left on the device`));
      t.false(fs.existsSync(out), `a failed start left ${fs.existsSync(out) ? fs.readdirSync(out).join(', ') : ''}`);
      fs.rmSync(filler);
    }
    const ok = nasgrow(['train', cfg, '--out', out, '--epochs', '1']);
    t.is(ok.code, 0, ok.out);
  } finally {
    spawnSync('umount', [mnt]);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a run folder in use is refused naming the PID; the other command\'s folder is refused naming the command', async (t) => {
  const { dir, cfg, out } = sandbox('', 4000);
  fs.writeFileSync(cfg, fs.readFileSync(cfg, 'utf8').replace('epochs: 2', 'epochs: 30'));
  const child = spawn(BIN, ['train', cfg, '--out', out], { stdio: 'ignore' });
  const lock = path.join(out, '.lock');
  const started = Date.now();
  while (!fs.existsSync(path.join(out, 'train.log')) && Date.now() - started < 120_000) await new Promise((r) => setTimeout(r, 20));
  const second = nasgrow(['train', cfg, '--resume', out]);
  child.kill('SIGKILL');
  await new Promise((r) => child.on('exit', r));
  t.is(second.code, 1, second.out);
  t.regex(second.out, new RegExp(`is in use by process ${child.pid} \\(since `));
  // refused before it says it resumes or reads the data: its only line is the error
  t.notRegex(second.out, /resuming|decoded|loaded/);
  t.true(fs.existsSync(lock), 'the killed process left its lock (as SIGKILL does)');
  const grow = nasgrow(['run', cfg, '--resume', out]);
  t.is(grow.code, 1, grow.out);
  t.regex(grow.out, /is a run of `nasgrow train`: resume it with `nasgrow train /);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a diverged run names the likely cause, logs it, leaves no infer.onnx, and resumes at a lower lr', (t) => {
  const { dir, cfg, out } = sandbox();
  fs.writeFileSync(cfg, fs.readFileSync(cfg, 'utf8').replace('lr: 0.05', 'lr: 1.0e+30'));
  const r = nasgrow(['train', cfg, '--out', out]);
  t.is(r.code, 1, r.out);
  t.regex(r.out, /the training loss became (NaN|Infinity)/);
  t.regex(r.out, /likely cause: train\.lr 1e\+30 is too large/);
  t.regex(fs.readFileSync(path.join(out, 'train.log'), 'utf8'), /stopped: epoch 1\/2: the training loss became/);
  t.false(fs.existsSync(path.join(out, 'graphs', 'infer.onnx')), 'a stopped run left an infer.onnx');
  fs.writeFileSync(cfg, fs.readFileSync(cfg, 'utf8').replace('lr: 1.0e+30', 'lr: 0.01'));
  const resumed = nasgrow(['train', cfg, '--resume', out]);
  t.is(resumed.code, 0, resumed.out);
  t.regex(resumed.out, /train\.lr lowered from 1e\+30 to 0\.01 on resume/);
  t.true(fs.existsSync(path.join(out, 'graphs', 'infer.onnx')));
  const wd = sandbox();
  fs.writeFileSync(wd.cfg, fs.readFileSync(wd.cfg, 'utf8').replace('lr: 0.05', 'lr: 0.05, weight_decay: 1.0e+9'));
  const w = nasgrow(['train', wd.cfg, '--out', wd.out]);
  t.is(w.code, 1, w.out);
  t.regex(w.out, /Likely cause: train\.weight_decay 1000000000 × lr 0\.05 = 50000000 ≥ 1/);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(wd.dir, { recursive: true, force: true });
});

test('data files that are FIFOs or links to /dev/zero, and a CIFAR path naming one .bin, are refused naming the file (no hang)', (t) => {
  const { dir, cfg, out } = sandbox();
  // Fashion-MNIST with its training images file a named pipe: opening it used to wait forever
  const fifoData = path.join(dir, 'fifo-data');
  fs.cpSync(SAMPLE, fifoData, { recursive: true });
  const fifo = path.join(fifoData, 'train-images-idx3-ubyte.gz');
  fs.rmSync(fifo);
  execFileSync('mkfifo', [fifo]);
  // an image-folder archive linked to /dev/zero: endless empty tar blocks
  const zero = path.join(dir, 'images.tar');
  fs.symlinkSync('/dev/zero', zero);
  // one CIFAR-10 batch file: it used to be both the training and the test set
  const batches = path.join(dir, 'cifar-10-batches-bin');
  fs.mkdirSync(batches);
  const batch = path.join(batches, 'data_batch_1.bin');
  fs.writeFileSync(batch, Buffer.alloc(4 * 3073));
  const base = fs.readFileSync(cfg, 'utf8');
  for (const [name, data, why] of [
    ['fifo.yaml', `dataset: fashion-mnist, path: ${fifoData}`, `${fifo}: is a FIFO (named pipe), not a regular file`],
    ['zero.yaml', `dataset: image-folder, path: ${zero}`, `${zero}: is a device, not a regular file`],
    ['bin.yaml', `dataset: cifar10, path: ${batch}`, `${batch}: is a single file; data.path must be the folder holding all the cifar-10-batches-bin files`],
  ] as const) {
    const file = path.join(dir, name);
    fs.writeFileSync(file, base.replace(`dataset: fashion-mnist, path: ${SAMPLE}`, data));
    for (const args of [['validate', file], ['train', file, '--out', out]]) {
      const r = nasgrow(args, 60_000);
      t.is(r.signal, null, `${args.join(' ')}: hung`);
      t.is(r.code, 1, r.out);
      t.true(r.out.includes(why), r.out);
    }
    t.false(fs.existsSync(out), `${name} left a run folder`);
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a normalize that makes the inputs infinite is refused at the start naming data.normalize, not blamed on the lr later', (t) => {
  // the adversarial tester's two: both trained, diverged at once, and advised lowering train.lr
  for (const normalize of ['[[0.5], [1.0e-300]]', '[[1.0e+300], [1]]']) {
    const { dir, cfg, out } = sandbox();
    fs.writeFileSync(cfg, fs.readFileSync(cfg, 'utf8').replace('limit_test: 32 }', `limit_test: 32, normalize: ${normalize} }`));
    for (const args of [['validate', cfg], ['train', cfg, '--out', out]]) {
      const r = nasgrow(args);
      t.is(r.code, 1, r.out);
      t.regex(r.out, /cfg\.yaml: data\.normalize\[[01]\]\[0\] is a (std|mean) of 1e[-+]300/);
      t.regex(r.out, /data\.normalize is in units of pixel values scaled to \[0, 1\]/);
      t.notRegex(r.out, /train\.lr/);
    }
    t.false(fs.existsSync(out), 'a refused normalize left a run folder');
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a greyscale image folder trains as one channel with data.channels: 1; a one-channel normalize without it is refused at the start', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nasgrow-faults-'));
  const images = path.join(dir, 'images');
  for (const split of ['train', 'test']) {
    for (const [label, cls] of ['dark', 'light'].entries()) {
      fs.mkdirSync(path.join(images, split, cls), { recursive: true });
      for (let i = 0; i < (split === 'train' ? 8 : 2); i++) {
        const grey = Buffer.from(Array.from({ length: 32 * 32 }, (_, k) => (label * 128 + ((k * 7 + i * 13) & 0x7f)) & 0xff));
        await sharp(grey, { raw: { width: 32, height: 32, channels: 1 } }).png().toFile(path.join(images, split, cls, `${i}.png`));
      }
    }
  }
  const write = (name: string, data: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, `seed: 3\nmodel: { family: vgg19, width: 2 }\ndata: { dataset: image-folder, path: images, augment: { crop: false, flip: false }, normalize: [[0.5], [0.25]]${data} }\ntrain: { epochs: 1, batch_size: 4, lr: 0.05 }\nruntime: { threads: 1 }\n`);
    return file;
  };
  const out = path.join(dir, 'run');
  const refused = nasgrow(['train', write('rgb.yaml', ''), '--out', out]);
  t.is(refused.code, 1, refused.out);
  t.regex(refused.out, /rgb\.yaml: data\.normalize has 1 channel\(s\), but the image folder is read with 3 \(data\.channels null: RGB\): give 3 means and 3 stds, or set data\.channels: 1 to read the images as greyscale/);
  t.false(fs.existsSync(out));
  const r = nasgrow(['train', write('grey.yaml', ', channels: 1'), '--out', out]);
  t.is(r.code, 0, r.out);
  t.regex(r.out, /data: 16 training and 4 test images of 1x32x32, 2 classes/);
  const input = onnx.ModelProto.decode(fs.readFileSync(path.join(out, 'graphs', 'infer.onnx'))).graph!.input![0]!;
  t.is(input.type!.tensorType!.shape!.dim![1]!.dimValue!.toString(), '1');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a resume that trains a finished run on removes its earlier result first, and a divergence then says so (train and run)', (t) => {
  // weight_decay × lr = 3 multiplies every weight by −2 each step whatever the data, so when the
  // weights overflow depends on the step count alone: 8 steps (an epoch of 128 images) train, 80 do not
  const { dir, cfg, out } = sandbox('grow: { cycles: 1, phase_epochs: 1, theta_steps: 2, retrain_epochs: 1, uniform_baseline: true, lambda_p: 1.0e-5 }', 128);
  fs.writeFileSync(cfg, fs.readFileSync(cfg, 'utf8').replace('schedule: cosine', 'schedule: constant, momentum: 0, nesterov: false, weight_decay: 60'));
  t.is(nasgrow(['train', cfg, '--out', out, '--epochs', '1']).code, 0);
  const infer = path.join(out, 'graphs', 'infer.onnx');
  t.true(fs.existsSync(infer));
  const r = nasgrow(['train', cfg, '--resume', out, '--epochs', '10']);
  t.is(r.code, 1, r.out);
  t.regex(r.out, /train\.epochs 10 trains this run on after epoch 1: removed graphs\/infer\.onnx and report\.html, which showed the run's earlier end as its result; they are written again when the run ends/);
  const note = "Before training on, this resume removed graphs/infer.onnx and report.html (the run's earlier end), so the folder holds no result now; a resume that trains to the end writes them again, and the checkpoints keep the earlier weights.";
  t.regex(r.out, /error: epoch \d+\/10: the training loss became NaN/);
  t.true(r.out.includes(`${note}\n`), r.out);
  t.true(fs.readFileSync(path.join(out, 'train.log'), 'utf8').includes(note));
  t.false(fs.existsSync(infer), 'the 1-epoch model is left beside a config.yaml that says 10 epochs');
  t.false(fs.existsSync(path.join(out, 'report.html')), "the 1-epoch run's report page is left");
  t.regex(fs.readFileSync(path.join(out, 'config.yaml'), 'utf8'), /^ {2}epochs: 10$/m);

  // nasgrow run: the report and the retraining's and baseline's models go; the run is no longer finished
  const grown = path.join(dir, 'grown');
  t.is(nasgrow(['run', cfg, '--out', grown]).code, 0);
  const results = ['report.json', 'report.html', 'retrain/graphs/infer.onnx', 'uniform-baseline/graphs/infer.onnx'].map((f) => path.join(grown, f));
  t.deepEqual(results.map((f) => fs.existsSync(f)), [true, true, true, true]);
  const longer = path.join(dir, 'longer.yaml');
  fs.writeFileSync(longer, fs.readFileSync(cfg, 'utf8').replace('retrain_epochs: 1', 'retrain_epochs: 10'));
  const g = nasgrow(['run', longer, '--resume', grown]);
  t.is(g.code, 1, g.out);
  t.true(
    g.out.includes(
      'this finished run goes on (the retraining goes on after epoch 1 to grow.retrain_epochs 10; the uniform baseline goes on after epoch 1): ' +
        "removed report.json, report.html, retrain/graphs/infer.onnx and uniform-baseline/graphs/infer.onnx, which showed the run's earlier end as its result; they are written again when the run ends",
    ),
    g.out,
  );
  t.regex(g.out, /error: retrain \d+\/10: the training loss became NaN .* Before training on, this resume removed report\.json, report\.html, retrain\/graphs\/infer\.onnx and uniform-baseline\/graphs\/infer\.onnx \(the run's earlier end\), .* writes them again/);
  t.deepEqual(results.map((f) => fs.existsSync(f)), [false, false, false, false]);
  // and it is not taken for finished: going back to 1 retraining epoch is refused, not "nothing to do"
  const back = nasgrow(['run', cfg, '--resume', grown]);
  t.is(back.code, 1, back.out);
  t.regex(back.out, /error: cannot resume .* with grow\.retrain_epochs 1: the run has retrained \d+ epochs already/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a moved run folder and moved data resume (the data are checked by content); other data are refused', (t) => {
  const { dir, cfg, out } = sandbox();
  t.is(nasgrow(['train', cfg, '--out', out, '--epochs', '1']).code, 0);
  const moved = path.join(dir, 'moved', 'run');
  fs.mkdirSync(path.dirname(moved));
  fs.renameSync(out, moved);
  // the same data at another path
  const copy = path.join(dir, 'data-copy');
  fs.cpSync(SAMPLE, copy, { recursive: true });
  const copied = path.join(dir, 'copied.yaml');
  fs.writeFileSync(copied, fs.readFileSync(cfg, 'utf8').replace(SAMPLE, copy));
  const r = nasgrow(['train', copied, '--resume', moved]);
  t.is(r.code, 0, r.out);
  t.regex(r.out, /resuming after epoch 1/);
  // other data at that path: one training label changed
  const labels = path.join(copy, 'train-labels-idx1-ubyte.gz');
  const raw = zlib.gunzipSync(fs.readFileSync(labels));
  raw[8] = (raw[8]! + 1) % 10;
  fs.writeFileSync(labels, zlib.gzipSync(raw));
  const o = nasgrow(['train', copied, '--resume', moved, '--epochs', '3']);
  t.is(o.code, 1, o.out);
  t.regex(o.out, /the train data now read from .* is not the data the run started with \(fingerprint [0-9a-f]{16}, the run's [0-9a-f]{16}\)/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('test images of another shape than the training images stop the run before any folder, naming both files', (t) => {
  const { dir, cfg, out } = sandbox();
  const data = path.join(dir, 'padded');
  fs.cpSync(SAMPLE, data, { recursive: true });
  // the test images zero-padded from 28x28 to 32x32 (an IDX file: magic, count, rows, cols, pixels)
  const file = path.join(data, 't10k-images-idx3-ubyte.gz');
  const raw = zlib.gunzipSync(fs.readFileSync(file));
  const n = raw.readUInt32BE(4);
  const padded = Buffer.alloc(16 + n * 32 * 32);
  raw.copy(padded, 0, 0, 16);
  padded.writeUInt32BE(32, 8);
  padded.writeUInt32BE(32, 12);
  for (let i = 0; i < n; i++) for (let y = 0; y < 28; y++) raw.copy(padded, 16 + i * 1024 + (y + 2) * 32 + 2, 16 + i * 784 + y * 28, 16 + i * 784 + y * 28 + 28);
  fs.writeFileSync(file, zlib.gzipSync(padded));
  fs.writeFileSync(cfg, fs.readFileSync(cfg, 'utf8').replace(SAMPLE, data));
  const r = nasgrow(['train', cfg, '--out', out]);
  t.is(r.code, 1, r.out);
  t.regex(r.out, /1x32x32/);
  t.regex(r.out, /1x28x28/);
  t.regex(r.out, /t10k-images-idx3-ubyte\.gz/);
  t.regex(r.out, /train-images-idx3-ubyte\.gz/);
  t.false(fs.existsSync(out));
  const v = nasgrow(['validate', cfg]);
  t.is(v.code, 1, v.out);
  fs.rmSync(dir, { recursive: true, force: true });
});
