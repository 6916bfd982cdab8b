// Config errors: every problem names its source (the file, or the command-line flag that set the
// value), the full key path, the bad value and what is expected.

import { UserError } from '../util/errors';
export interface ConfigProblem {
  /** the config file as the user named it, or a command-line flag such as "--epochs" */
  source: string;
  /** dotted key path ("train.lr", "train.milestones[1]"); empty for file-level problems */
  key: string;
  /** what follows the key: "must be a number > 0, got \"fast\"" */
  problem: string;
  /** 1-based line in the file, when known */
  line?: number;
}

/** One problem as the user reads it: "<source>: <key> <problem> (line N)". */
export function formatProblem(p: ConfigProblem): string {
  const where = p.line !== undefined ? ` (line ${p.line})` : '';
  return p.key === '' ? `${p.source}: ${p.problem}${where}` : `${p.source}: ${p.key} ${p.problem}${where}`;
}

/** The config is unusable; the message has one line per problem. An error in user input (exit 1). */
export class ConfigError extends UserError {
  constructor(readonly problems: ConfigProblem[]) {
    super(problems.map(formatProblem).join('\n'));
  }
}
