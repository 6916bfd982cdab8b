// The one mark of an error the person running nasgrow can fix (bad config, missing data, a run folder
// in the way, a diverged run): the CLI prints its message and exits 1 instead of reporting a bug
// (exit 2). Each layer's errors extend it; the CLI tests `userError` (src/cli/errors.ts).
export class UserError extends Error {
  readonly userError = true;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * A file nasgrow reads back (a checkpoint, a phase state, a run folder's progress or metrics) that is
 * missing, unreadable or damaged. `file` is the path as it was given; `problem` says what is wrong
 * with it, without the path; the message names the file, the problem and what to do.
 */
export class FileError extends UserError {
  constructor(
    readonly file: string,
    readonly problem: string,
    message = `${file}: ${problem}`,
  ) {
    super(message);
  }
}
