// `nasgrow plot arch|run RUN`: the yargs module; the work is in ./plot.ts (the figures: src/report).
import type { Argv, CommandModule } from 'yargs';
import type { PlotArgs } from './plot';

export const plotCommand: CommandModule<object, PlotArgs> = {
  command: 'plot <what> <run>',
  describe:
    "Draw figures of a run folder as SVG and PNG: arch — the paper's Figure 2 for a phase (a column per layer, a cell per channel coloured by its split/prune tradeoff margin, applied morphisms marked, widths per phase); run — loss, test accuracy, parameters and MACs per epoch and the widths across phases",
  builder: (y: Argv) =>
    y
      .positional('what', { choices: ['arch', 'run'] as const, demandOption: true, describe: 'which figure' })
      .positional('run', { type: 'string', demandOption: true, describe: 'run folder (what nasgrow run or train wrote)' })
      .option('phase', { type: 'number', requiresArg: true, describe: 'plot arch: the phase (1-based, as phases/phase-NN counts) to draw (default: every phase with estimates)' })
      .option('out', { type: 'string', describe: 'folder for the figures (default: RUN/figures)' }),
  handler: async (args) => {
    const { runPlot } = await import('./plot');
    await runPlot(args);
  },
};
