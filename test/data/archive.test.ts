// The archive reader (src/data/archive.ts, tar-stream underneath) on archives made by GNU tar in its
// three formats and v7, gzipped and not, with long names and a symlink, on broken archives, and
// stopped early.
import test from 'ava';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { execFileSync } from 'child_process';
import { ArchiveEntry, readArchiveEntries } from '../../src/data/archive';
import { DataError } from '../../src/data/errors';
import { pattern, systemTar, tempDir } from './fixtures';

async function readAll(file: string, wanted?: (p: string) => boolean): Promise<ArchiveEntry[]> {
  const out: ArchiveEntry[] = [];
  for await (const e of readArchiveEntries(file, wanted)) out.push(e);
  return out;
}

/**
 * A small tree: empty, odd-sized, block-sized and multi-block files, a name over 100 bytes (the
 * returned map), and a symlink a/link -> one.bin (not in the map).
 */
function makeTree(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>([
    ['a/empty.txt', Buffer.alloc(0)],
    ['a/one.bin', Buffer.from(pattern(1, 1))],
    ['a/block.bin', Buffer.from(pattern(1, 512, 1))],
    ['b/big.bin', Buffer.from(pattern(1, 70001, 2))],
    [`${'d'.repeat(60)}/${'e'.repeat(60)}/${'f'.repeat(70)}.bin`, Buffer.from('long name')],
  ]);
  for (const [p, data] of files) {
    fs.mkdirSync(path.join(dir, path.dirname(p)), { recursive: true });
    fs.writeFileSync(path.join(dir, p), data);
  }
  fs.symlinkSync('one.bin', path.join(dir, 'a', 'link'));
  return files;
}

for (const format of ['ustar', 'gnu', 'pax'] as const) {
  for (const gzip of [true, false]) {
    test(`reads ${format} archives${gzip ? ', gzipped' : ''}: every file, byte for byte`, async (t) => {
      const dir = tempDir(t);
      const src = path.join(dir, 'src');
      const expected = makeTree(src);
      const archive = path.join(dir, gzip ? 'x.tar.gz' : 'x.tar');
      systemTar(src, archive, format, gzip);
      const entries = await readAll(archive);
      const files = entries.filter((e) => e.type === 'file');
      t.deepEqual(files.map((e) => e.path).sort(), [...expected.keys()].sort());
      for (const e of files) t.true(e.data.equals(expected.get(e.path)!), e.path);
      t.true(entries.some((e) => e.type === 'directory' && e.path.replace(/\/$/, '') === 'a'));
      t.deepEqual(entries.filter((e) => e.type === 'other').map((e) => [e.path, e.data.length]), [['a/link', 0]]);
    });
  }
}

test('declined members are skipped without keeping their bytes', async (t) => {
  const dir = tempDir(t);
  makeTree(path.join(dir, 'src'));
  const archive = path.join(dir, 'x.tar.gz');
  systemTar(path.join(dir, 'src'), archive, 'gnu', true);
  const entries = await readAll(archive, (p) => p.startsWith('a/'));
  const big = entries.find((e) => e.path === 'b/big.bin')!;
  t.is(big.size, 70001);
  t.is(big.data.length, 0);
  t.is(entries.find((e) => e.path === 'a/one.bin')!.data.length, 1);
});

/** `tar` with one byte of its second header (at byte 512; the first member, './', has no data) changed. */
function corruptSecondHeader(tarBytes: Buffer): Buffer {
  const out = Buffer.from(tarBytes);
  out[512 + 10] ^= 0x55;
  return out;
}

test('broken archives: truncated gzip, truncated tar, not a tar, missing file; errors name the archive', async (t) => {
  const dir = tempDir(t);
  makeTree(path.join(dir, 'src'));
  const good = path.join(dir, 'good.tar');
  systemTar(path.join(dir, 'src'), good, 'gnu', false);
  const tarBytes = fs.readFileSync(good);
  // One 512-byte file: header block, data block, then the end marker, which is cut off below.
  fs.mkdirSync(path.join(dir, 'one'));
  fs.writeFileSync(path.join(dir, 'one', 'f.bin'), Buffer.alloc(512, 7));
  execFileSync('tar', ['--format=ustar', '-cf', path.join(dir, 'one.tar'), '-C', path.join(dir, 'one'), 'f.bin']);
  const oneFileTar = fs.readFileSync(path.join(dir, 'one.tar'));

  const cases: [string, Buffer, RegExp][] = [
    ['cut.tar.gz', zlib.gzipSync(tarBytes).subarray(0, 2000), /corrupt or truncated|truncated/],
    ['cut.tar', tarBytes.subarray(0, 512 * 3 + 100), /truncated/],
    ['noend.tar', oneFileTar.subarray(0, 1024), /without its end-of-archive marker/],
    ['notatar.tar', Buffer.from(pattern(1, 4096, 9)), /bad tar header checksum at byte 0.*not a tar archive/],
    ['empty.tar', Buffer.alloc(0), /is empty/],
    // Beyond the cases above: where the archive ends, a corrupt header after a good member, gzip
    // magic over garbage.
    ['inmember.tar', oneFileTar.subarray(0, 700), /truncated: the archive ends inside member 'f\.bin' \(header at byte 0\)/],
    ['halfheader.tar', Buffer.concat([oneFileTar.subarray(0, 1024), Buffer.alloc(100, 1)]), /ends at byte 1124 without its end-of-archive marker/],
    ['badheader.tar', corruptSecondHeader(tarBytes), /bad tar header checksum at byte 512 \(the archive is corrupt\)/],
    ['garbage.tar.gz', Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.from(pattern(1, 3000, 4))]), /corrupt gzip data/],
  ];
  for (const [name, bytes, re] of cases) {
    const file = path.join(dir, name);
    fs.writeFileSync(file, bytes);
    const e = await t.throwsAsync(readAll(file), { instanceOf: DataError }, name);
    t.true(e!.message.startsWith(file), e!.message);
    t.regex(e!.message, re, name);
  }
  const missing = path.join(dir, 'missing.tar.gz');
  const e = await t.throwsAsync(readAll(missing), { instanceOf: DataError });
  t.regex(e!.message, /file not found/);
});

test('pre-POSIX (v7) archives, which have no magic, are read too', async (t) => {
  const dir = tempDir(t);
  fs.mkdirSync(path.join(dir, 'src'));
  fs.writeFileSync(path.join(dir, 'src', 'x.bin'), Buffer.from(pattern(1, 1000, 3)));
  const archive = path.join(dir, 'v7.tar');
  execFileSync('tar', ['--format=v7', '-cf', archive, '-C', path.join(dir, 'src'), 'x.bin']);
  const entries = await readAll(archive);
  t.deepEqual(entries.map((e) => [e.path, e.type, e.size]), [['x.bin', 'file', 1000]]);
  t.true(entries[0].data.equals(Buffer.from(pattern(1, 1000, 3))));
});

/** The paths the process's open file descriptors point at (Linux). */
function openFiles(): string[] {
  return fs.readdirSync('/proc/self/fd').flatMap((fd) => {
    try {
      return [fs.readlinkSync(path.join('/proc/self/fd', fd))];
    } catch {
      return []; // closed since the listing (e.g. the listing's own descriptor)
    }
  });
}

test('leaving the loop early closes the archive', async (t) => {
  if (!fs.existsSync('/proc/self/fd')) return t.pass('no /proc/self/fd on this system');
  const dir = tempDir(t);
  fs.mkdirSync(path.join(dir, 'src'));
  fs.writeFileSync(path.join(dir, 'src', 'first.bin'), Buffer.from('first'));
  // 8 MiB that gzip cannot shrink: the file stays open past the first member either way.
  fs.writeFileSync(path.join(dir, 'src', 'big.bin'), crypto.randomBytes(8 << 20));
  for (const gzip of [true, false]) {
    const archive = path.join(dir, gzip ? 'x.tar.gz' : 'x.tar');
    systemTar(path.join(dir, 'src'), archive, 'gnu', gzip, ['first.bin', 'big.bin']);
    const seen: string[] = [];
    for await (const e of readArchiveEntries(archive)) {
      seen.push(e.path);
      t.true(openFiles().includes(archive), 'open while reading');
      break;
    }
    t.deepEqual(seen, ['first.bin']);
    t.false(openFiles().includes(archive), `${archive} still open`);
  }
});

/** Sets a header field of the member whose header is at `at` and repairs that header's checksum. */
function setHeaderField(tarBytes: Buffer, at: number, offset: number, value: Buffer): Buffer {
  const out = Buffer.from(tarBytes);
  value.copy(out, at + offset);
  out.fill(0x20, at + 148, at + 156);
  let sum = 0;
  for (let i = at; i < at + 512; i++) sum += out[i];
  out.write(`${sum.toString(8).padStart(6, '0')}\0 `, at + 148, 'latin1');
  return out;
}

/** `readAll(file)`, or a rejection after `ms` (these archives used to stall the reader for good). */
function readAllWithin(file: string, ms = 10_000): Promise<ArchiveEntry[]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${file}: no result after ${ms} ms`)), ms);
  });
  return Promise.race([readAll(file), timeout]).finally(() => clearTimeout(timer));
}

test('headers that stalled tar-stream (found by test/data/fuzz.test.ts) end in a result or a DataError', async (t) => {
  const dir = tempDir(t);
  fs.mkdirSync(path.join(dir, 'src', 'd'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'src', 'd', 'x.bin'), Buffer.from(pattern(1, 700, 5)));
  const good = path.join(dir, 'good.tar');
  execFileSync('tar', ['--format=ustar', '-cf', good, '-C', path.join(dir, 'src'), 'd']);
  const bytes = fs.readFileSync(good); // header of d/ at 0, of d/x.bin at 512

  // A directory whose size field says 1: tar-stream ignores the size but never ends the body stream.
  const dirSize = path.join(dir, 'dirsize.tar');
  fs.writeFileSync(dirSize, setHeaderField(bytes, 0, 124, Buffer.from('00000000001\0', 'latin1')));
  const entries = await readAllWithin(dirSize);
  t.deepEqual(entries.map((e) => [e.path, e.type]), [['d/', 'directory'], ['d/x.bin', 'file']]);
  t.true(entries[1].data.equals(Buffer.from(pattern(1, 700, 5))));

  // A size field in base-256 with a first byte other than 0x80 / 0xff: tar-stream reads it as null.
  const badSize = path.join(dir, 'badsize.tar');
  fs.writeFileSync(badSize, setHeaderField(bytes, 512, 124, Buffer.from([0x81, 0])));
  const e = await t.throwsAsync(readAllWithin(badSize), { instanceOf: DataError });
  t.true(e!.message.startsWith(badSize), e!.message);
  t.regex(e!.message, /bad size field in the header of member 'd\/x\.bin' at byte 512/);
});
