// The one place that turns an error into output and an exit code.
//
//   exit 1: a user error — anything the person running nasgrow can fix (a bad config or argument, data
//           that cannot be read, a run folder in the way or in use, a full disk, a diverged run, a
//           damaged file read back on resume): the message says what to fix. Such errors extend
//           UserError (src/util/errors.ts), which marks them with `userError: true`; UsageError
//           below also carries yargs' complaints about arguments.
//   exit 2: an internal error (a bug, or a part not built yet): the message, and the stack with
//           --verbose.
import { UserError } from '../util/errors';

/** A wrong or missing command-line argument. */
export class UsageError extends UserError {}

/**
 * A command-line flag's value as a whole number >= min (`fallback` when the flag is absent).
 * @throws UsageError naming the flag and the value.
 */
export function wholeNumber(value: number | undefined, flag: string, min: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min) throw new UsageError(`${flag} must be a whole number >= ${min}, got ${value}`);
  return value;
}

/** Whether an error is the user's to fix (exit 1) rather than a bug (exit 2). */
export function isUserError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { userError?: unknown; name?: unknown };
  return e.userError === true;
}

export interface ErrorOutput {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

/**
 * Print an error: its message's first line as a title, the other lines below it, and the stack
 * (with causes) only when `verbose`. Returns the exit code (1 user error, 2 internal error).
 */
export function reportError(err: unknown, verbose: boolean, out: ErrorOutput): number {
  const e = err instanceof Error ? err : new Error(typeof err === 'string' ? err : `non-Error thrown: ${String(err)}`);
  const user = isUserError(e);
  const color = out.isTTY === true && !process.env.NO_COLOR;
  const red = (s: string) => (color ? `\x1b[1;31m${s}\x1b[0m` : s);
  const bold = (s: string) => (color ? `\x1b[1m${s}\x1b[0m` : s);

  const [title, ...rest] = (e.message || e.name || 'unknown error').split('\n');
  const lines = [`${red(user ? 'error' : 'internal error')}: ${bold(title!)}`, ...rest];
  if (!user && !verbose) lines.push('(run again with --verbose for the stack trace)');
  if (verbose) lines.push('', ...stackOf(e));
  out.write(lines.join('\n') + '\n');
  return user ? 1 : 2;
}

function stackOf(e: Error, depth = 0): string[] {
  const frames = (e.stack ?? '').split('\n').filter((l) => /^\s+at /.test(l));
  const out = [depth === 0 ? `${e.name}: stack` : `caused by ${e.name}: ${e.message.split('\n')[0]}`, ...frames];
  if (e.cause instanceof Error && depth < 5) out.push(...stackOf(e.cause, depth + 1));
  return out;
}
