// Run folders, metrics files and progress output.
import test from 'ava';
import { tempDir } from '../helpers/temp-dir';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { writeJsonFile } from '../../src/util/atomic-write';
import { UserError } from '../../src/util/errors';
import { enospc, withWriteSync } from '../helpers/disk-faults';
import {
  MetricsWriter,
  ProgressReporter,
  RunFolderError,
  RunLog,
  formatDuration,
  formatNumber,
  parseCsvLine,
  prepareRunFolder,
  runFolder,
} from '../../src/report';

function tmp(): string {
  return tempDir('nasgrow-report-');
}

/** A stream that records what is written to it. */
function sink(isTTY: boolean, columns = 120) {
  const chunks: string[] = [];
  return { chunks, isTTY, columns, write: (s: string) => chunks.push(s), text: () => chunks.join('') };
}

/** A clock advanced by hand (milliseconds). */
function clock() {
  let t = 0;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

test('CSV appended by two writers (a resumed run) has its header once', (t) => {
  const dir = tmp();
  const a = new MetricsWriter(dir, 'metrics', { onWarning: () => {} });
  a.write({ epoch: 1, train_loss: 2.25, train_acc: 0.125, lr: 0.1 });
  a.write({ epoch: 2, train_loss: 1.5, train_acc: 0.5, lr: 0.1 });
  // the resumed run writes its keys in another order: the CSV keeps the file's column order
  const b = new MetricsWriter(dir, 'metrics', { onWarning: () => {} });
  t.deepEqual(b.csvColumns, ['epoch', 'train_loss', 'train_acc', 'lr']);
  b.write({ lr: 0.01, epoch: 3, train_acc: 0.75, train_loss: 1 });

  const csv = fs.readFileSync(path.join(dir, 'metrics.csv'), 'utf8');
  t.is(csv, 'epoch,train_loss,train_acc,lr\n1,2.25,0.125,0.1\n2,1.5,0.5,0.1\n3,1,0.75,0.01\n');
  t.is(csv.split('\n').filter((l) => l.startsWith('epoch')).length, 1);
  const jsonl = fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n');
  t.is(jsonl.length, 3);
  t.deepEqual(JSON.parse(jsonl[2]!), { lr: 0.01, epoch: 3, train_acc: 0.75, train_loss: 1 });
  t.deepEqual(b.readAll().map((r) => r.epoch), [1, 2, 3]);
});

test('keys outside the CSV columns go to the JSONL only, with one warning', (t) => {
  const dir = tmp();
  const warnings: string[] = [];
  const w = new MetricsWriter(dir, 'm', { onWarning: (m) => warnings.push(m) });
  w.write({ epoch: 1, loss: 1 });
  w.write({ epoch: 2, loss: 0.5, extra: 'x' });
  w.write({ epoch: 3, extra: 'y' });
  t.is(warnings.length, 1);
  t.regex(warnings[0]!, /"extra" is not one of its columns/);
  t.is(fs.readFileSync(path.join(dir, 'm.csv'), 'utf8'), 'epoch,loss\n1,1\n2,0.5\n3,\n');
  t.is(w.readAll()[2]!.extra, 'y');
});

test('fixed columns, quoting, null and non-finite values', (t) => {
  const dir = tmp();
  const w = new MetricsWriter(dir, 'q', { columns: ['phase', 'note', 'loss', 'ok'] });
  t.is(fs.readFileSync(path.join(dir, 'q.csv'), 'utf8'), 'phase,note,loss,ok\n');
  w.write({ phase: 'grow', note: 'a, "b"', loss: NaN, ok: true });
  w.write({ phase: 'train', note: null, loss: -Infinity, ok: false });
  const lines = fs.readFileSync(path.join(dir, 'q.csv'), 'utf8').trim().split('\n');
  t.is(lines[1], 'grow,"a, ""b""",NaN,true');
  t.is(lines[2], 'train,,-Infinity,false');
  t.deepEqual(parseCsvLine(lines[1]!), ['grow', 'a, "b"', 'NaN', 'true']);
  t.deepEqual(w.readAll()[0], { phase: 'grow', note: 'a, "b"', loss: 'NaN', ok: true });
});

test('a line cut short by a crash is dropped on reopening', (t) => {
  const dir = tmp();
  const w = new MetricsWriter(dir);
  w.write({ epoch: 1, loss: 1 });
  fs.appendFileSync(w.jsonlPath, '{"epoch":2,"lo');
  fs.appendFileSync(w.csvPath, '2,0.');
  const again = new MetricsWriter(dir);
  again.write({ epoch: 2, loss: 0.5 });
  t.is(fs.readFileSync(w.csvPath, 'utf8'), 'epoch,loss\n1,1\n2,0.5\n');
  t.deepEqual(again.readAll(), [
    { epoch: 1, loss: 1 },
    { epoch: 2, loss: 0.5 },
  ]);
});

test('retain() drops records after a resumed checkpoint from both files', (t) => {
  const dir = tmp();
  const w = new MetricsWriter(dir);
  for (let e = 1; e <= 5; e++) w.write({ epoch: e, loss: 1 / e });
  t.is(w.retain((r) => (r.epoch as number) <= 3), 2);
  t.is(fs.readFileSync(w.csvPath, 'utf8'), 'epoch,loss\n1,1\n2,0.5\n3,0.3333333333333333\n');
  t.is(w.readAll().length, 3);
  w.write({ epoch: 4, loss: 0.25 });
  t.is(fs.readFileSync(w.csvPath, 'utf8').split('\n').length, 6);
});

test('numbers print reproducibly and briefly', (t) => {
  t.is(formatNumber(0.1), '0.1');
  t.is(formatNumber(Math.fround(0.1)), '0.1'); // float32 from ORT: shortest float32 form
  t.is(formatNumber(Math.fround(2.3025851)), '2.3025851');
  t.is(formatNumber(1 / 3), '0.3333333333333333');
  t.is(formatNumber(3e-7), '3e-7');
  t.is(formatNumber(-0), '0');
  t.is(formatNumber(42), '42');
  t.is(formatNumber(Infinity), 'Infinity');
  t.is(Math.fround(Number(formatNumber(Math.fround(0.7132)))), Math.fround(0.7132));
  t.is(formatDuration(3725), '1:02:05');
  t.is(formatDuration(65), '1:05');
});

test('progress without a terminal: one plain line per epoch, no control characters', (t) => {
  const err = sink(false);
  const out = sink(false);
  const c = clock();
  const p = new ProgressReporter({ stream: err, logStream: out, now: c.now });
  t.false(p.interactive);
  for (let epoch = 1; epoch <= 2; epoch++) {
    p.start(`epoch ${epoch}/2`, 3);
    for (let b = 0; b < 3; b++) {
      c.advance(500);
      p.update({ size: 10, loss: 1 + b, correct: 5 });
      if (b === 1) p.log('a log line');
    }
    const stats = p.end(epoch === 2 ? 'test acc 51.00%' : undefined);
    t.is(stats.images, 30);
    t.is(stats.loss, 2);
    t.is(stats.accuracy, 0.5);
    t.is(stats.seconds, 1.5);
    t.is(stats.imagesPerSecond, 20);
  }
  const text = err.text();
  t.false(/[\x00-\x09\x0b-\x1f\x7f]/.test(text), JSON.stringify(text));
  t.deepEqual(text.split('\n'), [
    'epoch 1/2: 3 batches, 30 images in 0:02 (20 img/s), loss 2.0000, acc 50.00%',
    'epoch 2/2: 3 batches, 30 images in 0:02 (20 img/s), loss 2.0000, acc 50.00%  test acc 51.00%',
    '',
  ]);
  t.is(out.text(), 'a log line\na log line\n');
});

test('progress of steps without an accuracy (growing) prints no acc', (t) => {
  const err = sink(false);
  const c = clock();
  const p = new ProgressReporter({ stream: err, logStream: sink(false), now: c.now });
  p.start('grow', 2);
  for (let b = 0; b < 2; b++) {
    c.advance(500);
    p.update({ size: 10, loss: 1 });
  }
  t.true(Number.isNaN(p.end().accuracy));
  t.is(err.text(), 'grow: 2 batches, 20 images in 0:01 (20 img/s), loss 1.0000\n');
});

test('progress on a terminal: a bar redrawn in place, then the summary line', (t) => {
  const err = sink(true, 200);
  const out = sink(true);
  const c = clock();
  const p = new ProgressReporter({ stream: err, logStream: out, now: c.now, redrawMs: 0 });
  t.true(p.interactive);
  p.start('epoch 1/1', 4);
  for (let b = 0; b < 4; b++) {
    c.advance(250);
    p.update({ size: 8, loss: 0.5, correct: 8 });
    if (b === 1) p.log('checkpoint saved');
  }
  p.end();
  const text = err.text();
  t.true(text.includes('\r'));
  t.regex(text, /epoch 1\/1 █{10}░{10} 2\/4 {2}32 img\/s {2}loss 0\.5000 {2}acc 100\.00% {2}ETA 0:01/);
  t.true(text.endsWith('\repoch 1/1: 4 batches, 32 images in 0:01 (32 img/s), loss 0.5000, acc 100.00%\x1b[K\n'));
  // the log line was written after the bar was cleared, and the bar redrawn after it
  t.is(out.text(), 'checkpoint saved\n');
  t.true(err.chunks.includes('\r\x1b[K'));
});

test('silent progress still computes statistics', (t) => {
  const err = sink(true);
  const p = new ProgressReporter({ stream: err, silent: true });
  p.start('x', 1);
  p.update({ size: 4, loss: 1, correct: 1 });
  t.is(p.end().accuracy, 0.25);
  t.is(err.text(), '');
  t.throws(() => p.update({ size: 1, loss: 0, correct: 0 }), { message: /outside start/ });
});

test('a run folder is created with its layout and the config', (t) => {
  const dir = path.join(tmp(), 'runs', 'a');
  const run = prepareRunFolder(dir, { resume: false, configYaml: 'seed: 0\n' });
  const { lock, undoStart, ...paths } = run;
  t.deepEqual(paths, runFolder(dir));
  // the commands make the subfolders they fill (a grow run has no top-level checkpoints/ or graphs/)
  t.false(fs.existsSync(run.checkpoints));
  t.is(fs.readFileSync(run.config, 'utf8'), 'seed: 0\n');
  t.is(path.basename(run.arch), 'arch.json');
  t.is(path.basename(run.metricsCsv), 'metrics.csv');
  writeJsonFile(run.arch, { family: 'vgg19' });
  t.is(fs.readFileSync(run.arch, 'utf8'), '{\n  "family": "vgg19"\n}\n');
  t.deepEqual(fs.readdirSync(run.dir).sort(), ['.lock', 'arch.json', 'config.yaml']);
  lock.release();
  t.deepEqual(fs.readdirSync(run.dir).sort(), ['arch.json', 'config.yaml']);
});

test('a run folder is locked while a process writes it: a second writer is refused naming the PID, a dead holder is taken over', (t) => {
  const dir = path.join(tmp(), 'locked');
  const first = prepareRunFolder(dir, { resume: false, configYaml: 'seed: 0\n' });
  const err = t.throws(() => prepareRunFolder(dir, { resume: true, configYaml: 'seed: 0\n' }), { instanceOf: RunFolderError });
  t.regex(err!.message, new RegExp(`is in use by process ${process.pid} \\(since `));
  first.lock.release();
  // a lock left by a process that is gone (SIGKILL) is taken over, with a note
  const gone = spawnSync(process.execPath, ['-e', 'process.pid']).pid!;
  fs.writeFileSync(path.join(dir, '.lock'), JSON.stringify({ pid: gone, host: os.hostname(), started: 'earlier' }));
  const notes: string[] = [];
  const second = prepareRunFolder(dir, { resume: true, configYaml: 'seed: 0\n', log: (l) => notes.push(l) });
  t.deepEqual(notes, [`took over the lock of process ${gone} (since earlier), which no longer runs`]);
  t.is(JSON.parse(fs.readFileSync(path.join(dir, '.lock'), 'utf8')).pid, process.pid);
  second.lock.release();
  t.false(fs.existsSync(path.join(dir, '.lock')));
});

test('resuming removes the temporary files of interrupted atomic writes, and nothing else', (t) => {
  const dir = path.join(tmp(), 'leftovers');
  prepareRunFolder(dir, { resume: false, configYaml: 'seed: 0\n' }).lock.release();
  const keep = ['checkpoints/epoch-0001.safetensors', 'metrics.jsonl', 'phases/phase-01/state.safetensors', 'notes.2024'];
  const stale = ['checkpoints/epoch-0002.safetensors.2864016321', 'metrics.csv.77', 'phases/phase-01/grow.onnx.123456', 'report.json.tmp-4242'];
  for (const f of [...keep, ...stale]) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), 'x');
  }
  const notes: string[] = [];
  prepareRunFolder(dir, { resume: true, configYaml: 'seed: 0\n', log: (l) => notes.push(l) }).lock.release();
  for (const f of keep) t.true(fs.existsSync(path.join(dir, f)), f);
  for (const f of stale) t.false(fs.existsSync(path.join(dir, f)), f);
  t.regex(notes[0]!, /^removed 4 temporary files a killed process left behind/);
});

test('an existing empty folder may become a run folder', (t) => {
  const dir = tmp();
  t.notThrows(() => prepareRunFolder(dir, { resume: false, configYaml: '' }).lock.release());
});

test('a non-empty run folder is not overwritten unless resuming', (t) => {
  const dir = path.join(tmp(), 'r');
  prepareRunFolder(dir, { resume: false, configYaml: 'seed: 0\n' }).lock.release();
  const err = t.throws(() => prepareRunFolder(dir, { resume: false, configYaml: 'seed: 1\n' }), { instanceOf: RunFolderError });
  t.is(err!.message, `the run folder ${dir} already exists and is not empty: use --resume ${dir} to continue that run, or choose a new --out`);
  t.true(err!.userError);
  t.is(fs.readFileSync(path.join(dir, 'config.yaml'), 'utf8'), 'seed: 0\n');
  t.notThrows(() => prepareRunFolder(dir, { resume: true, configYaml: 'seed: 0\n' }).lock.release());
});

// A start that fails used to leave run.json alone in the folder: the same command then said "already
// exists" and --resume "no config.yaml".
test.serial('a new run whose start fails (config.yaml on a full disk) leaves no folder; the same call then works', (t) => {
  const base = tmp();
  const dir = path.join(base, 'runs', 'new');
  const manifest = { command: 'train' as const, nasgrow: '0', data: { train: 'a', test: 'b' }, arch: null };
  const fullForConfig = (real: (fd: number, b: Buffer, o: number, l: number) => number, fd: number, buf: Buffer, off: number, len: number) =>
    buf.toString('utf8').startsWith('seed:') ? enospc() : real(fd, buf, off, len);
  const err = t.throws(() => withWriteSync(fullForConfig, () => prepareRunFolder(dir, { resume: false, configYaml: 'seed: 0\n', manifest })), { instanceOf: UserError });
  t.regex(err!.message, /cannot write .*config\.yaml: no space left on the device/);
  t.deepEqual(fs.readdirSync(base), [], 'the folders this start made are gone');
  // a folder that existed (empty) before stays, empty
  fs.mkdirSync(dir, { recursive: true });
  t.throws(() => withWriteSync(fullForConfig, () => prepareRunFolder(dir, { resume: false, configYaml: 'seed: 0\n', manifest })), { instanceOf: UserError });
  t.deepEqual(fs.readdirSync(dir), []);
  // a failure after it returned (train.log cannot be written) is undone the same way
  const run = prepareRunFolder(dir, { resume: false, configYaml: 'seed: 0\n', manifest });
  fs.writeFileSync(run.log, 'started\n');
  run.undoStart();
  t.deepEqual(fs.readdirSync(dir), []);
  prepareRunFolder(dir, { resume: false, configYaml: 'seed: 0\n', manifest }).lock.release();
  t.deepEqual(fs.readdirSync(dir).sort(), ['config.yaml', 'run.json']);
  // undoing a resumed start keeps the run
  prepareRunFolder(dir, { resume: true, configYaml: 'seed: 0\n' }).undoStart();
  t.deepEqual(fs.readdirSync(dir).sort(), ['config.yaml', 'run.json']);
});

test('the folder of a start killed before config.yaml is taken by the same command; --resume says so', (t) => {
  const dir = path.join(tmp(), 'killed-start');
  fs.mkdirSync(dir);
  const gone = spawnSync(process.execPath, ['-e', 'process.pid']).pid!;
  fs.writeFileSync(path.join(dir, '.lock'), JSON.stringify({ pid: gone, host: os.hostname(), started: 'earlier' }));
  fs.writeFileSync(path.join(dir, 'run.json'), '{"command":"train"}');
  fs.writeFileSync(path.join(dir, 'config.yaml.123456789'), 'seed');
  const err = t.throws(() => prepareRunFolder(dir, { resume: true, configYaml: 'seed: 0\n' }), { instanceOf: RunFolderError });
  t.is(err!.message, `cannot resume ${dir}: its start did not finish (it has no config.yaml), so there is nothing to resume: start the run again with --out ${dir} instead of --resume`);
  prepareRunFolder(dir, { resume: false, configYaml: 'seed: 1\n' }).lock.release();
  t.deepEqual(fs.readdirSync(dir), ['config.yaml']);
  // anything else in a folder without config.yaml is not ours to replace
  const other = path.join(tmp(), 'other');
  fs.mkdirSync(other);
  fs.writeFileSync(path.join(other, 'run.json'), '{}');
  fs.writeFileSync(path.join(other, 'notes.txt'), '');
  t.throws(() => prepareRunFolder(other, { resume: false, configYaml: '' }), { message: /already exists and is not empty/ });
});

test('resuming needs an existing run folder', (t) => {
  const base = tmp();
  t.throws(() => prepareRunFolder(path.join(base, 'nope'), { resume: true, configYaml: '' }), { message: /cannot resume .*nope: the folder does not exist/ });
  fs.writeFileSync(path.join(base, 'stray.txt'), '');
  t.throws(() => prepareRunFolder(base, { resume: true, configYaml: '' }), { message: /not a nasgrow run folder \(it has no config\.yaml\)/ });
  t.throws(() => prepareRunFolder(path.join(base, 'stray.txt'), { resume: false, configYaml: '' }), { message: /is not a folder/ });
});

test('RunLog time-stamps and appends lines', (t) => {
  const file = path.join(tmp(), 'train.log');
  const log = new RunLog(file);
  log.write('one');
  log.write('two\nthree');
  const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
  t.is(lines.length, 3);
  for (const l of lines) t.regex(l, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (one|two|three)$/);
});
