// `nasgrow validate CONFIG`: the yargs module; the work is in ./validate.ts.
import type { Argv, CommandModule } from 'yargs';
import type { ValidateArgs } from './validate';

export const validateCommand: CommandModule<object, ValidateArgs> = {
  command: 'validate <config>',
  describe: 'Check a config and its data as train and run do before they start (with the same --out/--resume/--epochs/--threads/--device), and print the config resolved (defaults filled, paths absolute) as YAML',
  builder: (y: Argv) =>
    y
      .positional('config', { type: 'string', demandOption: true, describe: 'YAML config file' })
      .option('data', { type: 'boolean', default: true, describe: 'also read and check the data (--no-data: the config alone)' })
      .option('out', { type: 'string', describe: 'the run folder train or run would write (default: output.dir)' })
      .option('resume', { type: 'string', describe: 'check resuming the run in this folder' })
      .option('epochs', { type: 'number', requiresArg: true, describe: 'override train.epochs' })
      .option('threads', { type: 'number', requiresArg: true, describe: 'override runtime.threads' })
      .option('device', { choices: ['cpu', 'cuda'] as const, describe: 'override runtime.device' }),
  handler: async (args) => {
    const { runValidate } = await import('./validate');
    await runValidate(args);
  },
};
