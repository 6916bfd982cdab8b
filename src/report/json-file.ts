// Reading back a JSON file nasgrow wrote whole (progress.json of `nasgrow run`): every way it can be
// broken is a RunFileError (a user error) that names the file, says what is wrong and what to do.
//
// Such files are written through src/util/atomic-write.ts (writeJsonFile): a reader sees the old
// content or the new, so a crash of nasgrow cannot leave one empty or half-written. An empty,
// truncated or non-JSON file was therefore changed outside nasgrow (an edit, a copy or sync that
// stopped, a disk error), and the message says so rather than blaming a crash.
import * as fs from 'fs';
import { FileError } from '../util/errors';

/** A file of a run folder that is unreadable or damaged: a user error naming the file and what to do. */
export class RunFileError extends FileError {}

const NOT_A_CRASH = 'nasgrow replaces this file atomically, so no crash leaves it like this: it was changed outside nasgrow (an edit, an interrupted copy or sync, a disk error)';

/**
 * The JSON value of `file` (one nasgrow wrote with writeJsonFile), accepted by `check`, or null when the
 * file does not exist. `what` names the file's role in messages ("the progress file of this run");
 * `check` returns what is wrong with a parsed value, or null when it is fine; `remedy` says what to do.
 * @throws RunFileError naming the file when it cannot be read, is empty, is not UTF-8 JSON, or `check`
 *   finds a problem.
 */
export function readJsonFile<T>(file: string, what: string, check: (value: unknown) => string | null, remedy: string): T | null {
  const fail = (problem: string, why = ''): never => {
    throw new RunFileError(file, problem, `${file}: ${what} ${problem}${why ? `; ${why}` : ''}. ${remedy}`);
  };
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') return null;
    return fail(`cannot be read (${err.code ?? err.message})`);
  }
  if (bytes.length === 0) fail('is empty (0 bytes)', NOT_A_CRASH);
  let text = '';
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    fail('is not UTF-8 text', NOT_A_CRASH);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    fail(`is not valid JSON (${(e as Error).message})`, NOT_A_CRASH);
  }
  const problem = check(value);
  if (problem !== null) fail(`is damaged: ${problem}`, NOT_A_CRASH);
  return value as T;
}
