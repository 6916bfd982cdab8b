// `nasgrow table RUN|DIR...`: the yargs module; the work is in ./table.ts, loaded when the command runs.
import type { Argv, CommandModule } from 'yargs';
import type { TableArgs } from './table';

export const tableCommand: CommandModule<object, TableArgs> = {
  command: 'table <paths..>',
  describe: "nasgrow's results from run folders (mean ± std over seeds) beside the paper's Tables 1 and 2, as Markdown or CSV",
  builder: (y: Argv) =>
    y
      .positional('paths', { type: 'string', array: true, demandOption: true, describe: 'run folders, or folders searched for run folders (a sweep)' })
      .option('format', { choices: ['markdown', 'csv'] as const, describe: 'output format (default: markdown on stdout; with --out, csv unless FILE ends in .md)' })
      .option('out', { type: 'string', describe: 'write the table to FILE instead of stdout' })
      .option('paper', { choices: ['all', 'ours', 'none'] as const, default: 'all' as const, describe: "published rows: every row of Tables 1 and 2, only the paper's method's, or none" })
      .example('$0 table runs/', 'every finished run under runs/, with the paper\'s rows')
      .example('$0 table runs/sweep --out table.csv', 'the same as CSV'),
  handler: async (args) => {
    const { runTable } = await import('./table');
    await runTable(args);
  },
};
