// Errors raised while reading data files. Every message names the file and says what is wrong and,
// where there is one, what to do about it: data problems are usually fixed by the person running the
// CLI (re-download, point at the right folder), so the message has to be enough on its own.

import { UserError } from '../util/errors';

/** A data file or folder that cannot be used; the message names it, says what is wrong and what to do. */
export class DataError extends UserError {
  /** The file or folder the problem is in. */
  readonly file: string;

  constructor(file: string, problem: string, hint?: string) {
    super(`${file}: ${problem}${hint ? ` (${hint})` : ''}`);
    this.file = file;
  }
}
