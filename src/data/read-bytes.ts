// Reading a whole data file into memory, transparently un-gzipping it. Whether a file is gzipped is
// decided by its first two bytes (the gzip magic 1f 8b), not by its name, so a renamed file still loads.
import * as fs from 'fs';
import * as zlib from 'zlib';
import { DataError } from './errors';

/** Whether `bytes` start with gzip's magic number (1f 8b): decided by content, not by file name. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Most bytes one data file (or its un-gzipped content) may hold: node cannot read more into one buffer
 * (fs.readFileSync's limit), and the largest file of a supported dataset is far below it (CIFAR-100's
 * train.bin: 154 MB).
 */
export const MAX_DATA_FILE_BYTES = 2 ** 31 - 1;

/**
 * The size of `file`, which must be a regular file (symbolic links followed) of at most `maxBytes`
 * (Infinity for files read as a stream). Checked before the file is opened: opening a FIFO waits for
 * a writer forever, and reading /dev/zero never ends, so either would hang the loader without a word.
 * @throws DataError naming `file`: missing, a folder, not a regular file (FIFO, device, socket), too
 *   large, or unreadable.
 */
export function regularFileSize(file: string, hint?: string, maxBytes = MAX_DATA_FILE_BYTES): number {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') throw new DataError(file, 'file not found', hint);
    throw new DataError(file, `cannot be read: ${err.message}`, hint);
  }
  if (st.isDirectory()) throw new DataError(file, 'is a folder, expected a file', hint);
  if (!st.isFile()) {
    const kind = st.isFIFO() ? 'a FIFO (named pipe)' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : st.isSocket() ? 'a socket' : 'not a regular file';
    throw new DataError(file, `is ${kind}, not a regular file, so it cannot be read as data`, 'replace it with the data file itself; a symbolic link to a regular file is fine');
  }
  if (st.size > maxBytes) {
    throw new DataError(file, `is ${st.size} bytes, more than a data file can be (at most ${maxBytes})`, hint ?? 'is it the right file?');
  }
  return st.size;
}

/** The file's bytes; a missing, unreadable or non-regular file becomes a DataError that says so. */
export function readFileBytes(file: string, hint?: string): Buffer {
  regularFileSize(file, hint);
  try {
    return fs.readFileSync(file);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') throw new DataError(file, 'file not found', hint);
    if (err.code === 'EISDIR') throw new DataError(file, 'is a folder, expected a file', hint);
    throw new DataError(file, `cannot be read: ${err.message}`, hint);
  }
}

/** The file's contents, un-gzipped when the file is gzip data (at most MAX_DATA_FILE_BYTES of them). */
export function readMaybeGzipped(file: string, hint?: string): Buffer {
  const raw = readFileBytes(file, hint);
  if (!isGzip(raw)) return raw;
  try {
    return zlib.gunzipSync(raw, { maxOutputLength: MAX_DATA_FILE_BYTES });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new DataError(file, `un-gzips to more than ${MAX_DATA_FILE_BYTES} bytes, more than a data file can be`, 'is it the right file?');
    }
    throw new DataError(file, `gzip data is corrupt or truncated (${(e as Error).message})`, 're-download or re-extract the file');
  }
}

/** The first of `candidates` that exists, or a DataError listing every name tried. */
export function findFirstExisting(candidates: string[], what: string, hint?: string): string {
  for (const c of candidates) if (fs.existsSync(c)) return c;
  throw new DataError(candidates[0], `${what} not found (also tried ${candidates.slice(1).join(', ') || 'nothing else'})`, hint);
}

/**
 * `view` itself when it spans (nearly) all of its buffer, else a copy: keeps a dataset from pinning a
 * much larger file buffer, while not paying for a copy (and its page faults) of a big array for nothing.
 */
export function compactView(view: Uint8Array): Uint8Array {
  if (view.buffer.byteLength - view.byteLength <= 4096) return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  return new Uint8Array(view);
}
