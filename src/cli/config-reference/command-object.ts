// `nasgrow config-reference`: the yargs module; the work is in ./config-reference.ts.
import type { CommandModule } from 'yargs';

export const configReferenceCommand: CommandModule<object, object> = {
  command: 'config-reference',
  describe: 'Print every config key (type, default, description) as a Markdown table',
  handler: async () => {
    const { runConfigReference } = await import('./config-reference');
    runConfigReference();
  },
};
