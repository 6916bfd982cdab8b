// `nasgrow validate CONFIG`: the yargs module; the work is in ./validate.ts.
import type { Argv, CommandModule } from 'yargs';
import type { ValidateArgs } from './validate';

export const validateCommand: CommandModule<object, ValidateArgs> = {
  command: 'validate <config>',
  describe: 'Check a config and print it resolved (defaults filled, paths absolute) as YAML',
  builder: (y: Argv) => y.positional('config', { type: 'string', demandOption: true, describe: 'YAML config file' }),
  handler: async (args) => {
    const { runValidate } = await import('./validate');
    runValidate(args);
  },
};
