// `nasgrow run CONFIG`: the yargs module; the work is in ./run.ts, loaded when the command runs.
import type { Argv, CommandModule } from 'yargs';
import type { TrainArgs } from '../shared/run-setup';

export const runCommand: CommandModule<object, TrainArgs> = {
  command: 'run <config>',
  describe: 'Grow a network from the seed a config describes (training and growing phases), then retrain it from scratch',
  builder: (y: Argv) =>
    y
      .positional('config', { type: 'string', demandOption: true, describe: 'YAML config file (its grow: section)' })
      .option('out', { type: 'string', requiresArg: true, describe: 'run folder (default: output.dir of the config, runs/<config name>)' })
      .option('resume', { type: 'string', requiresArg: true, describe: 'continue the run in this folder after its last completed phase' })
      .option('threads', { type: 'number', requiresArg: true, describe: 'override runtime.threads' })
      .option('device', { choices: ['cpu', 'cuda'] as const, describe: 'override runtime.device' })
      .example('$0 run configs/quickstart.yaml', 'a short real grow on the bundled sample')
      .example('$0 run configs/quickstart.yaml --resume runs/quickstart', 'continue a killed run'),
  handler: async (args) => {
    const { runRun } = await import('./run');
    await runRun(args);
  },
};
