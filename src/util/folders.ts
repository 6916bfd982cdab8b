// Creating the folders nasgrow writes into (run folders, caches, graph folders), with a clear error
// for every place a folder cannot be made. Node's mkdirSync(..., { recursive: true }) never returns
// for a path under /proc (it loops on ENOENT) and reports ENOTDIR without saying which part of the
// path is a file; so folders are made one level at a time from the nearest existing ancestor, after
// checking that ancestor.
import * as fs from 'fs';
import * as path from 'path';
import { UserError } from './errors';

/** Kernel pseudo-filesystems: nothing nasgrow writes belongs there, and some of them hang mkdir. */
const PSEUDO_FILESYSTEMS = ['/proc', '/sys', '/dev'];

/** A folder that cannot be created or written; the message names it and says what to do. */
export class FolderError extends UserError {}

function statOrNull(p: string): fs.Stats | null {
  try {
    return fs.statSync(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw e;
  }
}

/**
 * Check, without writing anything, that `dir` is a folder or can be created as one, and that it is
 * writable. `what` names it in messages ("output.dir", "the run folder").
 * @throws FolderError naming the path and the part of it at fault: a file where a folder is needed, a
 *   folder without write permission, a kernel pseudo-filesystem (/proc, /sys, /dev).
 */
export function checkFolder(dir: string, what: string): void {
  const abs = path.resolve(dir);
  // the nearest existing ancestor (or dir itself)
  let existing = abs;
  let stat = statOrNull(existing);
  while (!stat) {
    const parent = path.dirname(existing);
    if (parent === existing) break;
    existing = parent;
    stat = statOrNull(existing);
  }
  if (!stat) throw new FolderError(`${what} ${abs}: no part of the path exists`);
  if (!stat.isDirectory()) {
    throw new FolderError(`${what} ${abs}: ${existing === abs ? 'it' : existing} is a file, not a folder: choose another folder`);
  }
  const real = fs.realpathSync(existing);
  const pseudo = PSEUDO_FILESYSTEMS.find((p) => real === p || real.startsWith(p + '/'));
  if (pseudo) throw new FolderError(`${what} ${abs} is inside ${pseudo}, a kernel pseudo-filesystem that holds no files of ours: choose another folder`);
  try {
    fs.accessSync(existing, fs.constants.W_OK);
  } catch {
    throw new FolderError(`${what} ${abs}: ${existing} is not writable: choose another folder or fix its permissions`);
  }
}

/**
 * Make `dir` and any missing parents (checkFolder first), one level at a time.
 * @throws FolderError as checkFolder, or when creating a level fails (its path and the system's reason).
 */
export function makeFolder(dir: string, what = 'folder'): void {
  const abs = path.resolve(dir);
  if (statOrNull(abs)?.isDirectory()) return;
  checkFolder(abs, what);
  const missing: string[] = [];
  for (let p = abs; !statOrNull(p); p = path.dirname(p)) missing.unshift(p);
  for (const p of missing) {
    try {
      fs.mkdirSync(p);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'EEXIST' && statOrNull(p)?.isDirectory()) continue;
      throw new FolderError(`${what} ${abs}: cannot create ${p} (${err.code ?? err.message})`);
    }
  }
}

/** Errors of the file system that the user can fix (space, permissions, a file in the way). */
const USER_FS_ERRORS: Record<string, string> = {
  ENOSPC: 'no space left on the device: free some space, or write to another folder (--out)',
  EDQUOT: 'the disk quota is exhausted: free some space, or write to another folder (--out)',
  EROFS: 'the file system is read-only: write to another folder (--out)',
  EACCES: 'permission denied: fix the permissions or write to another folder (--out)',
  EPERM: 'operation not permitted: fix the permissions or write to another folder (--out)',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'a folder is in the way of the file',
  ENAMETOOLONG: 'the path is too long',
};

/**
 * `err` as a UserError naming `file` when it is a file-system error the user can fix (no space,
 * permissions, a file in the way), else `err` itself. `action` is what was being done ("write").
 */
export function userFsError(err: unknown, action: string, file: string): unknown {
  const code = (err as NodeJS.ErrnoException)?.code;
  const why = code ? USER_FS_ERRORS[code] : undefined;
  return why ? new UserError(`cannot ${action} ${file}: ${why} (${code})`) : err;
}
