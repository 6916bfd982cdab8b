// The one atomic-write helper: the new content appears whole, a typed array is written byte for byte,
// and a write that fails leaves the old content and no temporary file behind; an append goes in whole
// or not at all.
import test from 'ava';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { MetricsWriter, RunLog } from '../../src/report';
import { appendFileWhole, writeFileAtomic, writeJsonFile } from '../../src/util/atomic-write';
import { UserError } from '../../src/util/errors';
import { enospc, partThen, withWriteSync } from '../helpers/disk-faults';
import { tempDir } from '../helpers/temp-dir';

const tmp = () => tempDir('nasgrow-atomic-');

test('writes text, JSON and typed arrays (their bytes, not their element count), creating the folder', (t) => {
  const dir = tmp();
  const f = path.join(dir, 'a', 'b', 'x.bin');
  const data = Float32Array.from([1, -2.5, 3e-7]);
  writeFileAtomic(f, data);
  t.deepEqual(new Float32Array(new Uint8Array(fs.readFileSync(f)).buffer), data);
  writeJsonFile(path.join(dir, 'r.json'), { a: [1, 2] });
  t.is(fs.readFileSync(path.join(dir, 'r.json'), 'utf8'), '{\n  "a": [\n    1,\n    2\n  ]\n}\n');
  t.deepEqual(fs.readdirSync(dir).sort(), ['a', 'r.json']);
});

test('a failed write keeps the old content and leaves no temporary file', (t) => {
  const dir = tmp();
  const f = path.join(dir, 'state.json');
  writeFileAtomic(f, 'old');
  // the rename over a folder fails after the temporary file was written
  const blocked = path.join(dir, 'blocked');
  fs.mkdirSync(path.join(blocked, 'inside'), { recursive: true });
  t.throws(() => writeFileAtomic(blocked, 'new'));
  t.is(fs.readFileSync(f, 'utf8'), 'old');
  t.deepEqual(fs.readdirSync(dir).sort(), ['blocked', 'state.json']);
});

// write(2) may take fewer bytes than asked: a nearly full disk takes what still fits. write-file-atomic
// wrote once and renamed the short file over the target (a truncated infer.onnx, exit 0).

test.serial('short writes are written on until every byte is in', (t) => {
  const dir = tmp();
  const f = path.join(dir, 'w.bin');
  writeFileAtomic(f, 'old');
  const data = Float32Array.from({ length: 2500 }, (_, i) => i / 7);
  let calls = 0;
  // at most 1000 bytes a call, as a disk that takes part of each write
  withWriteSync((real, fd, buf, off, len) => (calls++, real(fd, buf, off, Math.min(len, 1000))), () => writeFileAtomic(f, data));
  t.true(calls >= 10);
  t.deepEqual(new Float32Array(new Uint8Array(fs.readFileSync(f)).buffer), data);
  t.deepEqual(fs.readdirSync(dir), ['w.bin']);
});

test.serial('a disk that takes part of the bytes and then none: a UserError naming the file, the old content kept', (t) => {
  const dir = tmp();
  const f = path.join(dir, 'state.json');
  writeFileAtomic(f, 'old');
  const data = 'x'.repeat(10_000);
  // part of the bytes, then ENOSPC (a full disk); part, then 0 bytes taken
  for (const then of [enospc, () => 0]) {
    const err = t.throws(() => withWriteSync(partThen((len) => len >> 1, then), () => writeFileAtomic(f, data)), { instanceOf: UserError });
    t.regex(err!.message, /^cannot write .*state\.json: (no space left on the device|the file system took 5000 of 10000 bytes and then no more)/);
    t.is(fs.readFileSync(f, 'utf8'), 'old');
    t.deepEqual(fs.readdirSync(dir), ['state.json']);
  }
});

test.serial('an append the disk takes only part of leaves the file as it was', (t) => {
  const f = path.join(tmp(), 'metrics.jsonl');
  appendFileWhole(f, '{"epoch":1}\n');
  const err = t.throws(() => withWriteSync(partThen(() => 3, enospc), () => appendFileWhole(f, '{"epoch":2}\n')), { instanceOf: UserError });
  t.regex(err!.message, /^cannot append to .*metrics\.jsonl: no space left on the device/);
  t.is(fs.readFileSync(f, 'utf8'), '{"epoch":1}\n');
});

/**
 * A tmpfs with `free` bytes left (after `old` was written as `name` with the atomic writer), or null
 * when this machine cannot mount one (not root).
 */
function nearlyFullDisk(t: { log(s: string): void }, name: string, old: string, free: number): { dir: string; file: string; done(): void } | null {
  const dir = tmp();
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', dir]);
  if (m.status !== 0) {
    t.log(`cannot mount a tmpfs here (${m.stderr}): the short write of a real disk is not checked`);
    return null;
  }
  const file = path.join(dir, name);
  writeFileAtomic(file, old);
  const filler = path.join(dir, 'filler');
  try {
    fs.writeFileSync(filler, Buffer.alloc(1 << 20));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  }
  fs.truncateSync(filler, fs.statSync(filler).size - free);
  return { dir, file, done: () => spawnSync('umount', [dir]) };
}

test.serial('a real nearly full disk (tmpfs): the new file is refused whole, the old one kept; appends too', (t) => {
  const disk = nearlyFullDisk(t, 'infer.onnx', 'old model', 20_480);
  if (!disk) return t.pass();
  try {
    // the first write(2) takes the 20 KiB that fit, the second fails
    t.throws(() => writeFileAtomic(disk.file, Buffer.alloc(40_000, 1)), { instanceOf: UserError, message: /^cannot write .*infer\.onnx: no space left on the device/ });
    t.is(fs.readFileSync(disk.file, 'utf8'), 'old model');
    t.deepEqual(fs.readdirSync(disk.dir).sort(), ['filler', 'infer.onnx']);
    const log = new RunLog(path.join(disk.dir, 'train.log'));
    log.write('epoch 1');
    const before = fs.readFileSync(log.file, 'utf8');
    t.throws(() => log.write('x'.repeat(40_000)), { instanceOf: UserError, message: /^cannot append to .*train\.log: no space left on the device/ });
    t.is(fs.readFileSync(log.file, 'utf8'), before);
    const metrics = new MetricsWriter(disk.dir);
    t.throws(() => metrics.write({ epoch: 1, note: 'x'.repeat(40_000) }), { instanceOf: UserError });
    t.is(fs.readFileSync(path.join(disk.dir, 'metrics.jsonl'), 'utf8'), '');
  } finally {
    disk.done();
  }
});
