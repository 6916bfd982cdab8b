// The one way nasgrow writes a file whole (checkpoints, graphs, arch.json, report.json, caches, CSVs):
// readers see the old content or the new, never a part, and a write that fails (a full disk, a
// killed process with SIGINT/SIGTERM) leaves no temporary file behind. The work is done by
// write-file-atomic (npm), which writes a temporary file next to the target, fsyncs it and renames it
// over the target; it removes the temporary file when the write fails or the process exits.
import * as fs from 'fs';
import * as path from 'path';
import writeFileAtomicLib from 'write-file-atomic';

/**
 * Write `data` to `file` atomically, creating the file's folder when it does not exist.
 * `data` may be text (UTF-8) or any typed array (its bytes are written as they lie in memory, e.g. a
 * Float32Array in little-endian on our platforms).
 * @throws the file system's error (ENOSPC, EACCES, ENOTDIR, ...) with the target path in its message.
 */
export function writeFileAtomic(file: string, data: string | ArrayBufferView): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  // write-file-atomic writes `data.length` bytes of a typed array, i.e. elements, not bytes: hand it
  // a byte view.
  const bytes = typeof data === 'string' ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  writeFileAtomicLib.sync(file, bytes);
}

/** Write `value` as indented JSON with a final newline (arch.json, report.json, ...), atomically. */
export function writeJsonFile(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}
