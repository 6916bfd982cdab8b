// The one way nasgrow writes a file whole (checkpoints, graphs, arch.json, report.json, caches, CSVs)
// or appends to one (metrics, train.log): readers see the old content or the new, never a part, and a
// write that fails (a full disk, SIGINT/SIGTERM) leaves the old content and no temporary file behind.
//
// A whole file is written to a temporary file next to the target (`<file>.<digits>`, the name
// src/report/run-folder.ts removeLeftovers knows), fsynced and renamed over the target. This used to
// be write-file-atomic (npm), but it calls write(2) once and ignores how many bytes were written:
// on a nearly full disk a short write is fsynced and renamed over the target, so a truncated
// checkpoint or graph appeared under its final name and the command exited 0 (7.0.1 and 8.0.0 alike;
// `atomically` has the same flaw). Here every write(2) is repeated until all bytes are in, the size is
// checked before the rename, and signal-exit (the library write-file-atomic used for the same) removes
// the temporary file when a signal ends the process.
import * as fs from 'fs';
import * as path from 'path';
import { onExit } from 'signal-exit';
import { UserError } from './errors';
import { faultPoint } from './fault-injection';
import { makeFolder, userFsError } from './folders';

/**
 * Write `data` to `file` atomically, creating the file's folder when it does not exist. A symbolic
 * link at `file` is written through (its target is replaced); an existing file keeps its owner (as far as allowed) and mode.
 * `data` may be text (UTF-8) or any typed array (its bytes are written as they lie in memory, e.g. a
 * Float32Array in little-endian on our platforms).
 * @throws UserError naming the file when the file system refuses and the user can fix it (no space,
 *   also a disk that takes only part of the bytes; permissions; a file where a folder should be:
 *   src/util/folders.ts); the system's error otherwise. Either way `file` keeps its old content.
 */
export function writeFileAtomic(file: string, data: string | ArrayBufferView): void {
  makeFolder(path.dirname(file));
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  faultPoint('atomic-write', () => leaveHalfWritten(file, bytes));
  let target = file;
  try {
    target = fs.realpathSync(file);
  } catch {
    /* a new file */
  }
  let tmp = '';
  let fd: number | null = null;
  let renamed = false;
  // a signal during the write ends the process only once this function has returned (Node runs the
  // handler between turns of the event loop), and the handler then removes a temporary file still there
  const removeOnExit = onExit(() => {
    if (tmp && !renamed) fs.rmSync(tmp, { force: true });
  });
  try {
    const old = statOrNull(target);
    [tmp, fd] = openTemporary(target, old ? old.mode & 0o7777 : 0o666);
    writeAll(fd, bytes, file);
    fs.fsyncSync(fd);
    // the bytes the file now holds, not the bytes we meant to write, decide whether it replaces the target
    const size = fs.fstatSync(fd).size;
    if (size !== bytes.length) throw new UserError(`cannot write ${file}: the file system kept ${size} of its ${bytes.length} bytes: free some space, or write to another folder (--out)`);
    if (old) keepOwnerAndMode(fd, old);
    fs.closeSync(fd);
    fd = null;
    fs.renameSync(tmp, target);
    renamed = true;
  } catch (e) {
    throw e instanceof UserError ? e : userFsError(e, 'write', file);
  } finally {
    if (fd !== null) closeQuietly(fd);
    if (tmp && !renamed) fs.rmSync(tmp, { force: true });
    removeOnExit();
  }
}

/**
 * Append `text` to `file` (created when missing) as one piece: every byte of it, or — when the file
 * system refuses part of it — none, the file cut back to its old length.
 * @throws UserError naming the file as writeFileAtomic does (a full disk, permissions); the system's
 *   error otherwise.
 */
export function appendFileWhole(file: string, text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  let fd: number | null = null;
  let before = 0;
  try {
    fd = fs.openSync(file, 'a');
    before = fs.fstatSync(fd).size;
    writeAll(fd, bytes, file);
  } catch (e) {
    // a line cut short would be read back as damage (metrics.jsonl) or a garbled log line
    if (fd !== null) {
      try {
        fs.ftruncateSync(fd, before);
      } catch {
        /* nothing more can be done; the error below says what went wrong */
      }
    }
    throw e instanceof UserError ? e : userFsError(e, 'append to', file);
  } finally {
    if (fd !== null) closeQuietly(fd);
  }
}

/**
 * Write all of `bytes` at `fd`'s current offset. write(2) may take fewer bytes than asked (a nearly
 * full disk takes what still fits); the rest is written again, which on a full disk fails with ENOSPC.
 * @throws UserError naming `file` when a write takes no byte at all; the system's error of a write.
 */
function writeAll(fd: number, bytes: Buffer, file: string): void {
  for (let done = 0; done < bytes.length; ) {
    const n = fs.writeSync(fd, bytes, done, bytes.length - done);
    if (!(n > 0)) throw new UserError(`cannot write ${file}: the file system took ${done} of ${bytes.length} bytes and then no more: free some space, or write to another folder (--out)`);
    done += n;
  }
}

function statOrNull(file: string): fs.Stats | null {
  try {
    return fs.statSync(file);
  } catch {
    return null;
  }
}

/** Give the file at `fd` the owner and permission bits of `old`, the file it replaces (as far as allowed). */
function keepOwnerAndMode(fd: number, old: fs.Stats): void {
  try {
    fs.fchownSync(fd, old.uid, old.gid);
  } catch {
    /* not ours to give away (not root): the new file is the writer's, as any new file */
  }
  fs.fchmodSync(fd, old.mode & 0o7777); // the umask may have narrowed it at open
}

/** Close `fd` when an error is already on its way: a failing close must not hide that error. */
function closeQuietly(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    /* see above */
  }
}

/** Create a new temporary file next to `target` (`<target>.<digits>`, never an existing one): [path, fd]. */
function openTemporary(target: string, mode: number): [string, number] {
  for (;;) {
    const tmp = `${target}.${1_000_000 + Math.floor(Math.random() * 1e9)}`;
    try {
      return [tmp, fs.openSync(tmp, 'wx', mode)];
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

/** What a process killed in the middle of writing `file` leaves: a temporary file with part of the data. */
function leaveHalfWritten(file: string, bytes: Buffer): void {
  fs.writeFileSync(`${file}.${1000000 + Math.floor(Math.random() * 1e9)}`, bytes.subarray(0, bytes.length >> 1));
}

/** Write `value` as indented JSON with a final newline (arch.json, report.json, ...), atomically. */
export function writeJsonFile(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}
