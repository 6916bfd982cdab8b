// `nasgrow experiment gn-accuracy CONFIG`: the yargs module; the work is in src/grow/experiment-gn-accuracy.ts.
import type { Argv, CommandModule } from 'yargs';

export interface ExperimentArgs {
  name: string;
  config: string;
  out?: string;
  granularity?: 'batch' | 'sample';
  'eval-batches'?: number;
  'final-batches'?: number;
}

export const experimentCommand: CommandModule<object, ExperimentArgs> = {
  command: 'experiment <name> <config>',
  describe: "Run a measurement: gn-accuracy compares every morphism's Gauss-Newton estimate with its true ΔL (the paper's Appendix B)",
  builder: (y: Argv) =>
    y
      .positional('name', { choices: ['gn-accuracy'] as const, demandOption: true, describe: 'which experiment' })
      .positional('config', { type: 'string', demandOption: true, describe: 'YAML config (model, data, train and grow sections)' })
      .option('out', { type: 'string', describe: 'folder for gn-accuracy.csv and .json (default runs/<config name>-gn-accuracy)' })
      .option('granularity', { choices: ['batch', 'sample'] as const, describe: 'override grow.granularity' })
      .option('eval-batches', { type: 'number', default: 8, describe: 'test batches in each of the two evaluation sets' })
      .option('final-batches', { type: 'number', default: 20, describe: 'training batches of the final pass with θ fixed' }),
  handler: async (args) => {
    const { runExperiment } = await import('./experiment');
    await runExperiment(args);
  },
};
