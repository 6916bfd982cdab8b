// `nasgrow export-seeds`: the yargs module; the work is in ./export-seeds.ts.
import type { Argv, CommandModule } from 'yargs';
import type { ExportSeedsArgs } from './export-seeds';

export const exportSeedsCommand: CommandModule<object, ExportSeedsArgs> = {
  command: 'export-seeds',
  describe: "Write the graphs of the paper's seed networks (VGG-19 w=16, MobileNetV1 w=32, CIFAR shape) into OUT/<family>-w<width>/",
  builder: (y: Argv) =>
    y
      .option('out', { type: 'string', requiresArg: true, demandOption: true, describe: 'folder to write into' })
      .option('batch', { type: 'number', requiresArg: true, describe: 'batch size baked into the graphs (default 64)' })
      .option('seed', { type: 'number', requiresArg: true, describe: 'seed of the initial weights (default 0)' }),
  handler: async (args) => {
    const { runExportSeeds } = await import('./export-seeds');
    await runExportSeeds(args);
  },
};
