// Members of a .tar or .tar.gz archive, read as a stream, so image-folder trees load straight out of an
// archive like cifar10-jpeg.tar.gz without unpacking it. The tar format itself (ustar, GNU and pax
// headers, GNU long names, pax paths and sizes, base-256 numbers) is parsed by tar-stream (npm); gunzip
// is node's zlib. This adapter adds what the loaders need on top: gzip detected by its magic bytes
// (not the file name), only the wanted members' bytes kept, the file closed when the reader stops
// early, and every failure turned into a DataError that names the archive and says what is wrong.
import * as fs from 'fs';
import * as zlib from 'zlib';
import * as tar from 'tar-stream';
import { DataError } from './errors';
import { regularFileSize } from './read-bytes';

/** Tar's unit: every header is one block, every member's data is padded to whole blocks. */
const BLOCK = 512;

export type ArchiveEntryType = 'file' | 'directory' | 'other';

export interface ArchiveEntry {
  /** Member path as stored (directories end in '/'), without a leading './'. */
  path: string;
  /** 'other': links, devices, FIFOs and member types tar-stream does not know. */
  type: ArchiveEntryType;
  /** The member's size in bytes as its header states it. */
  size: number;
  /** The member's bytes: empty unless type is 'file' and `wanted` accepted it. */
  data: Buffer;
}

/** Opens `file` and returns its bytes as a stream, gunzipped when they start with the gzip magic. */
function openArchive(file: string): { raw: fs.ReadStream; gunzip: zlib.Gunzip | null } {
  // Before opening: a FIFO would block the open, and a link to /dev/zero reads zero blocks forever.
  // No size limit: an archive is read as a stream, and only the wanted members are kept.
  regularFileSize(file, 'expected a .tar or .tar.gz archive', Infinity);
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new DataError(file, err.code === 'ENOENT' ? 'file not found' : `cannot be read: ${err.message}`, 'expected a .tar or .tar.gz archive');
  }
  const magic = Buffer.alloc(2);
  try {
    fs.readSync(fd, magic, 0, 2, 0);
  } catch (e) {
    fs.closeSync(fd);
    throw new DataError(file, `cannot be read: ${(e as Error).message}`, 'expected a .tar or .tar.gz archive');
  }
  const raw = fs.createReadStream('', { fd, start: 0, highWaterMark: 1 << 20 });
  const gzipped = magic[0] === 0x1f && magic[1] === 0x8b;
  return { raw, gunzip: gzipped ? zlib.createGunzip({ chunkSize: 1 << 20 }) : null };
}

/**
 * The members of the tar archive `file` (gzipped or not), in archive order. `wanted(path)` decides
 * which files' bytes are kept (path as in ArchiveEntry); declined and non-file members come with empty
 * `data`, their bytes are read past and dropped. Leaving the loop early closes the file.
 * @throws DataError naming `file`: file not found or unreadable, or not a regular file (a FIFO, a
 *   link to a device: regularFileSize in read-bytes.ts); empty ("is empty, expected a tar
 *   archive"); corrupt gzip data; a header with a bad checksum ("bad tar header checksum at byte N",
 *   N where the headers of the member after the last good one begin, "not a tar archive" when that
 *   is byte 0); truncated ("the archive ends inside member ..." or "... without its end-of-archive
 *   marker").
 */
export async function* readArchiveEntries(file: string, wanted: (path: string) => boolean = () => true): AsyncGenerator<ArchiveEntry> {
  const { raw, gunzip } = openArchive(file);
  const tarBytes = gunzip ?? raw;
  // allowUnknownFormat: pre-POSIX (v7) headers, which have no magic, are read too. The option is
  // tar-stream's, missing from its WritableOptions type.
  const extract = tar.extract({ allowUnknownFormat: true } as Parameters<typeof tar.extract>[0]);
  // tar-stream reports its own failures as bare messages without positions; these let the errors
  // below say where: tar bytes handed to the parser, and the last member seen.
  let received = 0;
  let end = 0; // where the last member's padded data ends, i.e. where the next headers begin
  let last: { path: string; at: number } | null = null;
  const truncated = (where: string) => new DataError(file, `truncated: the archive ends ${where}`, 're-download or re-create the archive');

  raw.on('error', (e) => extract.destroy(new DataError(file, `cannot be read: ${e.message}`)));
  gunzip?.on('error', (e) => extract.destroy(new DataError(file, `corrupt gzip data: ${e.message}`, 'the archive is corrupt or truncated; re-download it')));
  if (gunzip) raw.pipe(gunzip);
  // tar-stream's Extract is a streamx Writable: node's pipe() drives it (write/drain/end), but its
  // type is not node's.
  tarBytes.pipe(extract as unknown as NodeJS.WritableStream);
  tarBytes.on('data', (chunk: Buffer) => {
    received += chunk.length;
  });

  try {
    for await (const member of extract) {
      const { name, size, type: kind } = member.header;
      const path = name.replace(/^\.\//, '');
      const type: ArchiveEntryType = kind === 'file' || kind === 'contiguous-file' ? 'file' : kind === 'directory' ? 'directory' : 'other';
      // tar-stream's base-256 reader (headers.js, parse256) gives null for a size field whose first
      // byte is 0x81..0xfe, which passes its own `size >= 0` check and then stalls the parse for good.
      if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
        throw new DataError(file, `bad size field in the header of member '${path}' at byte ${member.offset}`, 'the archive is corrupt; re-download or re-create it');
      }
      // tar-stream streams a member's data only when its size is > 0 and it is not a directory
      // (node_modules/tar-stream/extract.js, _unlock): a directory's size is ignored, its next header
      // read right after it, and its body stream never ends when that size is not 0 (a corrupt
      // header). Such bodies are not read here, or the loop would wait forever.
      const streamed = size > 0 && kind !== 'directory';
      last = { path, at: member.offset };
      end = member.offset + BLOCK + (streamed ? Math.ceil(size / BLOCK) * BLOCK : 0);
      const keep = type === 'file' && wanted(path);
      // The member must be read to its end before tar-stream parses the next header.
      const parts: Buffer[] = [];
      if (streamed) for await (const chunk of member) if (keep) parts.push(chunk as Buffer);
      // concat copies, so a kept body does not pin the stream's 1 MiB chunks.
      yield { path, type, size, data: keep ? Buffer.concat(parts) : Buffer.alloc(0) };
    }
    // tar-stream reads past all-zero blocks to the end of the input; an archive that stops right
    // after its last member (no zero block) parses cleanly but was cut off.
    if (received === 0) throw new DataError(file, 'is empty, expected a tar archive');
    if (received <= end) throw truncated(`at byte ${received} without its end-of-archive marker`);
  } catch (e) {
    if (e instanceof DataError) throw e;
    const message = (e as Error).message;
    if (message === 'Unexpected end of data') {
      throw last && received < end
        ? truncated(`inside member '${last.path}' (header at byte ${last.at})`)
        : truncated(`at byte ${received} without its end-of-archive marker`);
    }
    if (message.startsWith('Invalid tar header')) {
      throw new DataError(file, `bad tar header checksum at byte ${end}`, end === 0 ? 'not a tar archive' : 'the archive is corrupt');
    }
    throw new DataError(file, `is not a readable tar archive: ${message}`, 'the archive is corrupt');
  } finally {
    // Stops the parse and closes the file, also when the consumer leaves early or an error is thrown.
    extract.destroy();
    gunzip?.destroy();
    raw.destroy();
    if (!raw.closed) await new Promise<void>((resolve) => raw.once('close', () => resolve()));
  }
}
