// The streaming tar reader on archives made by GNU tar in its three formats, gzipped and not, with
// long names, and on broken archives.
import test from 'ava';
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { execFileSync } from 'child_process';
import { ByteQueue } from '../../src/data/byte-queue';
import { DataError } from '../../src/data/errors';
import { archiveChunks, readTarEntries, TarEntry } from '../../src/data/tar';
import { pattern, systemTar, tempDir } from './fixtures';

async function readAll(file: string, wanted?: (p: string) => boolean): Promise<TarEntry[]> {
  const out: TarEntry[] = [];
  for await (const e of readTarEntries(archiveChunks(file), file, wanted)) out.push(e);
  return out;
}

/** A small tree: empty, odd-sized, block-sized and multi-block files, and a name over 100 bytes. */
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
  ];
  for (const [name, bytes, re] of cases) {
    const file = path.join(dir, name);
    fs.writeFileSync(file, bytes);
    const e = await t.throwsAsync(readAll(file), { instanceOf: DataError }, name);
    t.true(e!.message.startsWith(file), e!.message);
    t.regex(e!.message, re, name);
  }
  const missing = path.join(dir, 'missing.tar.gz');
  const e = t.throws(() => archiveChunks(missing), { instanceOf: DataError });
  t.regex(e!.message, /file not found/);
});

test('ByteQueue returns exact byte ranges across chunk boundaries', (t) => {
  const q = new ByteQueue();
  const all = Buffer.from(pattern(1, 1000, 5));
  for (let i = 0; i < 1000; i += 37) q.push(all.subarray(i, Math.min(1000, i + 37)));
  t.is(q.length, 1000);
  t.true(q.take(10).equals(all.subarray(0, 10)));
  q.skip(100);
  t.true(q.take(500).equals(all.subarray(110, 610)));
  t.is(q.length, 390);
  t.throws(() => q.take(391), { instanceOf: RangeError });
  t.true(q.take(390).equals(all.subarray(610)));
});
