// `nasgrow report RUN`: the yargs module; the work is in ./report.ts.
import type { Argv, CommandModule } from 'yargs';
import type { ReportArgs } from './report';

export const reportCommand: CommandModule<object, ReportArgs> = {
  command: 'report <run>',
  describe: "Write RUN/report.html: the run's config, result, figures, estimator statistics and links to its files, in one page that opens offline in any browser (run and train write it when they finish)",
  builder: (y: Argv) => y.positional('run', { type: 'string', demandOption: true, describe: 'run folder (what nasgrow run or train wrote)' }),
  handler: async (args) => {
    const { runReport } = await import('./report');
    await runReport(args);
  },
};
