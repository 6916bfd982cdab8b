// The one way nasgrow writes a file whole (checkpoints, graphs, arch.json, report.json, caches, CSVs):
// readers see the old content or the new, never a part, and a write that fails (a full disk, a
// killed process with SIGINT/SIGTERM) leaves no temporary file behind. The work is done by
// write-file-atomic (npm), which writes a temporary file next to the target, fsyncs it and renames it
// over the target; it removes the temporary file when the write fails or the process exits.
import * as fs from 'fs';
import * as path from 'path';
import writeFileAtomicLib from 'write-file-atomic';
import { faultPoint } from './fault-injection';
import { makeFolder, userFsError } from './folders';

/**
 * Write `data` to `file` atomically, creating the file's folder when it does not exist.
 * `data` may be text (UTF-8) or any typed array (its bytes are written as they lie in memory, e.g. a
 * Float32Array in little-endian on our platforms).
 * @throws UserError naming the file when the file system refuses and the user can fix it (no space,
 *   permissions, a file where a folder should be: src/util/folders.ts); the system's error otherwise.
 */
export function writeFileAtomic(file: string, data: string | ArrayBufferView): void {
  makeFolder(path.dirname(file));
  // write-file-atomic writes `data.length` bytes of a typed array, i.e. elements, not bytes: hand it
  // a byte view.
  const bytes = typeof data === 'string' ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  faultPoint('atomic-write', () => leaveHalfWritten(file, bytes));
  try {
    writeFileAtomicLib.sync(file, bytes);
  } catch (e) {
    throw userFsError(e, 'write', file);
  }
}

/** What a process killed in the middle of writing `file` leaves: a temporary file with part of the data. */
function leaveHalfWritten(file: string, bytes: string | Buffer): void {
  const half = typeof bytes === 'string' ? bytes.slice(0, bytes.length >> 1) : bytes.subarray(0, bytes.length >> 1);
  fs.writeFileSync(`${file}.${1000000 + Math.floor(Math.random() * 1e9)}`, half);
}

/** Write `value` as indented JSON with a final newline (arch.json, report.json, ...), atomically. */
export function writeJsonFile(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}
