// A small streaming reader for tar archives (POSIX ustar, with the GNU long-name and pax "path"/"size"
// extensions; links and other special members are reported as type 'other'), optionally gzipped, over node's zlib: enough to read image-folder trees straight out of
// a .tar.gz without unpacking it or adding a dependency.
//
// Layout: each member is a 512-byte header then its data padded to a multiple of 512 bytes; the
// archive ends with (at least) one all-zero block. Header fields used (byte offsets):
//   0 name[100]  124 size[12] (octal text)  148 chksum[8]  156 typeflag  257 magic[6]  345 prefix[155]
import * as fs from 'fs';
import * as zlib from 'zlib';
import { ByteQueue } from './byte-queue';
import { DataError } from './errors';

const BLOCK = 512;

export type TarEntryType = 'file' | 'directory' | 'other';

export interface TarEntry {
  /** Member path as stored, without a leading './'. */
  path: string;
  type: TarEntryType;
  size: number;
  /** The member's bytes (empty unless type is 'file', or when `wanted` declined it). */
  data: Buffer;
}

function cString(buf: Buffer, start: number, len: number): string {
  const end = buf.indexOf(0, start);
  return buf.toString('utf8', start, end >= 0 && end < start + len ? end : start + len);
}

/** A numeric header field: octal text, or GNU base-256 when the high bit of its first byte is set. */
function numberField(buf: Buffer, start: number, len: number): number {
  if (buf[start] & 0x80) {
    let v = buf[start] & 0x7f;
    for (let i = 1; i < len; i++) v = v * 256 + buf[start + i];
    return v;
  }
  const text = cString(buf, start, len).trim();
  return text === '' ? 0 : parseInt(text, 8);
}

function isZeroBlock(buf: Buffer): boolean {
  for (let i = 0; i < BLOCK; i++) if (buf[i] !== 0) return false;
  return true;
}

/** The header checksum: the byte sum of the header with the checksum field itself counted as spaces. */
function headerChecksum(buf: Buffer): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : buf[i];
  return sum;
}

/** Pax extended header records: "<len> <key>=<value>\n" repeated. */
function parsePax(data: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    if (space < 0) break;
    const len = parseInt(data.toString('utf8', pos, space), 10);
    if (!(len > 0)) break;
    const record = data.toString('utf8', space + 1, pos + len - 1); // drop the trailing newline
    const eq = record.indexOf('=');
    if (eq > 0) out.set(record.slice(0, eq), record.slice(eq + 1));
    pos += len;
  }
  return out;
}

/**
 * Reads tar members from a stream of chunks. `wanted(path)` may decline a member's data (it is skipped,
 * not kept). `file` names the archive in errors.
 */
export async function* readTarEntries(
  chunks: AsyncIterable<Buffer>,
  file: string,
  wanted: (path: string) => boolean = () => true,
): AsyncGenerator<TarEntry> {
  const queue = new ByteQueue();
  const iterator = chunks[Symbol.asyncIterator]();
  let ended = false;
  /** Waits until `n` bytes are queued; false when the stream ended first. */
  const fill = async (n: number): Promise<boolean> => {
    while (queue.length < n && !ended) {
      let r: IteratorResult<Buffer>;
      try {
        r = await iterator.next();
      } catch (e) {
        throw new DataError(file, `cannot be read: ${(e as Error).message}`, 'the archive is corrupt or truncated; re-download it');
      }
      if (r.done) ended = true;
      else queue.push(r.value);
    }
    return queue.length >= n;
  };
  const truncated = (where: string) => new DataError(file, `truncated: the archive ends ${where}`, 're-download or re-create the archive');

  let longName: string | null = null;
  let pax: Map<string, string> | null = null;
  let offset = 0;
  try {
    for (;;) {
      if (!(await fill(BLOCK))) {
        if (queue.length === 0 && offset === 0) throw new DataError(file, 'is empty, expected a tar archive');
        throw truncated(`at byte ${offset + queue.length} without its end-of-archive marker`);
      }
      const header = queue.take(BLOCK);
      if (isZeroBlock(header)) return;
      const stored = numberField(header, 148, 8);
      if (stored !== headerChecksum(header)) {
        throw new DataError(file, `bad tar header checksum at byte ${offset}`, offset === 0 ? 'not a tar archive' : 'the archive is corrupt');
      }
      const typeflag = String.fromCharCode(header[156] || 0x30);
      let size = numberField(header, 124, 12);
      if (pax?.has('size')) size = Number(pax.get('size'));
      const isUstar = header.toString('latin1', 257, 263) === 'ustar\0';
      let name = cString(header, 0, 100);
      // In POSIX ustar the prefix field extends the name; GNU tar ("ustar  \0") uses those bytes otherwise.
      if (isUstar) {
        const prefix = cString(header, 345, 155);
        if (prefix) name = `${prefix}/${name}`;
      }
      if (longName !== null) name = longName;
      if (pax?.has('path')) name = pax.get('path')!;
      const headerOffset = offset;
      offset += BLOCK;

      const padded = Math.ceil(size / BLOCK) * BLOCK;
      if (!(await fill(padded))) throw truncated(`inside member '${name}' (header at byte ${headerOffset})`);
      const isMeta = typeflag === 'L' || typeflag === 'K' || typeflag === 'x' || typeflag === 'g';
      const type: TarEntryType = typeflag === '0' || typeflag === '7' ? 'file' : typeflag === '5' ? 'directory' : 'other';
      const keep = isMeta || (type === 'file' && wanted(name.replace(/^\.\//, '')));
      // Kept bodies are copied out so they do not pin the stream's large chunks.
      const body = keep ? Buffer.from(queue.take(size)) : Buffer.alloc(0);
      queue.skip(keep ? padded - size : padded);
      offset += padded;

      if (typeflag === 'L') {
        longName = cString(body, 0, body.length);
        continue;
      }
      if (typeflag === 'x') {
        pax = parsePax(body);
        continue;
      }
      if (typeflag === 'g' || typeflag === 'K') continue; // global pax defaults, GNU long link target: unused
      longName = null;
      pax = null;
      yield { path: name.replace(/^\.\//, ''), type, size, data: body };
    }
  } finally {
    // Stops and closes the underlying stream when the consumer leaves early or an error is thrown.
    await iterator.return?.();
  }
}

/** Streams the bytes of a file, un-gzipping when it starts with the gzip magic. */
export function archiveChunks(file: string): AsyncIterable<Buffer> {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new DataError(file, err.code === 'ENOENT' ? 'file not found' : `cannot be read: ${err.message}`, 'expected a .tar or .tar.gz archive');
  }
  const magic = Buffer.alloc(2);
  fs.readSync(fd, magic, 0, 2, 0);
  const raw = fs.createReadStream('', { fd, start: 0, highWaterMark: 1 << 20 });
  if (!(magic[0] === 0x1f && magic[1] === 0x8b)) return raw;
  const gunzip = zlib.createGunzip({ chunkSize: 1 << 20 });
  raw.on('error', (e) => gunzip.destroy(e));
  return raw.pipe(gunzip);
}
