// `nasgrow train CONFIG`: the yargs module; the work is in ./train.ts, loaded when the command runs.
import type { Argv, CommandModule } from 'yargs';
import type { TrainArgs } from '../shared/run-setup';

export const trainCommand: CommandModule<object, TrainArgs> = {
  command: 'train <config>',
  describe: 'Train the architecture a config describes, in a new run folder (or resume one)',
  builder: (y: Argv) =>
    y
      .positional('config', { type: 'string', demandOption: true, describe: 'YAML config file' })
      .option('out', { type: 'string', requiresArg: true, describe: 'run folder (default: output.dir of the config, runs/<config name>)' })
      .option('resume', { type: 'string', requiresArg: true, describe: 'continue the run in this run folder from its last checkpoint' })
      .option('epochs', { type: 'number', requiresArg: true, describe: 'override train.epochs' })
      .option('threads', { type: 'number', requiresArg: true, describe: 'override runtime.threads' })
      .option('device', { choices: ['cpu', 'cuda'] as const, describe: 'override runtime.device' })
      .example('$0 train configs/quickstart.yaml --epochs 2 --out runs/qs-train', 'a short run on the bundled sample')
      .example('$0 train configs/quickstart.yaml --resume runs/qs-train', 'continue it'),
  handler: async (args) => {
    const { runTrain } = await import('./train');
    await runTrain(args);
  },
};
