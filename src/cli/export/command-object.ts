// `nasgrow export`: the yargs module; the work is in ./export.ts, loaded when the command runs.
import type { Argv, CommandModule } from 'yargs';
import { FAMILIES } from '../../models/arch';
import type { ExportArgs } from './export';

export const exportCommand: CommandModule<object, ExportArgs> = {
  command: 'export [config]',
  describe: "Write the ONNX graphs of an architecture: a config's, or a seed family at a width",
  builder: (y: Argv) =>
    y
      .positional('config', { type: 'string', describe: 'YAML config whose architecture to export (or use --family)' })
      .option('family', { choices: FAMILIES, describe: 'seed family (instead of a config)' })
      .option('width', { type: 'string', describe: 'with --family: channels per dense layer, N or N,N,... (default: the paper seed, 16 or 32)' })
      .option('input', { type: 'string', describe: 'image shape C,H,W (default 3,32,32; with a config: the dataset\'s)' })
      .option('classes', { type: 'number', requiresArg: true, describe: "class count (default 10; with a config: the dataset's)" })
      .option('out', { type: 'string', requiresArg: true, demandOption: true, describe: 'folder to write the graphs to' })
      .option('batch', { type: 'number', requiresArg: true, describe: 'batch size baked into the graphs (default: train.batch_size, or 64)' })
      .option('seed', { type: 'number', requiresArg: true, describe: 'seed of the initial weights, 0 to 4294967295 like the config seed, recorded in infer.onnx (default: the config seed, or 0)' })
      .example('$0 export --family vgg19 --width 16 --out graphs/vgg19-w16', 'the paper VGG-19 seed')
      .example('$0 export configs/cifar10-vgg19-w16-short.yaml --out /tmp/g', "a config's architecture"),
  handler: async (args) => {
    const { runExport } = await import('./export');
    await runExport(args);
  },
};
