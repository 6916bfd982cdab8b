// Reading a whole data file into memory, transparently un-gzipping it. Whether a file is gzipped is
// decided by its first two bytes (the gzip magic 1f 8b), not by its name, so a renamed file still loads.
import * as fs from 'fs';
import * as zlib from 'zlib';
import { DataError } from './errors';

/** Whether `bytes` start with gzip's magic number (1f 8b): decided by content, not by file name. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** The file's bytes; a missing or unreadable file becomes a DataError that says so. */
export function readFileBytes(file: string, hint?: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') throw new DataError(file, 'file not found', hint);
    if (err.code === 'EISDIR') throw new DataError(file, 'is a folder, expected a file', hint);
    throw new DataError(file, `cannot be read: ${err.message}`, hint);
  }
}

/** The file's contents, un-gzipped when the file is gzip data. */
export function readMaybeGzipped(file: string, hint?: string): Buffer {
  const raw = readFileBytes(file, hint);
  if (!isGzip(raw)) return raw;
  try {
    return zlib.gunzipSync(raw);
  } catch (e) {
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
