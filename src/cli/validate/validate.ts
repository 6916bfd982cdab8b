// `nasgrow validate`: everything `train` and `run` check before they start — the config, and (unless
// --no-data) the data: both splits readable and alike, labels, class folders, normalisation, and
// whether the network fits at the batch size. Prints the resolved config, with what the data and the
// network turned out to be as a header comment.
import { assertTrainable, loadConfig, renderConfigYaml, resolveArch } from '../../config';
import { macCount, paramCount } from '../../models/params';
import { setupData } from '../../train/data-setup';
import { checkRunLayout } from '../shared/run-setup';

/** The command line of `nasgrow validate` (see ./command-object.ts). */
export interface ValidateArgs {
  config: string;
  /** also read and check the data (default true; --no-data checks the config alone) */
  data?: boolean;
}

/**
 * `nasgrow validate`: print the resolved config.
 * @throws ConfigError (exit 1) listing every problem of the config, or where the run would write
 *   (src/cli/shared/run-setup.ts checkRunLayout); DataError naming the file of a data
 *   problem; ConfigError naming train.batch_size or model.width when the network cannot train.
 */
export async function runValidate(args: ValidateArgs, out: { write(s: string): unknown } = process.stdout): Promise<void> {
  const cfg = loadConfig(args.config);
  checkRunLayout(cfg, args.config, null);
  const header = [`${args.config} is valid; resolved with defaults, paths absolute`];
  if (args.data !== false) {
    const lines: string[] = [];
    const data = await setupData(cfg, (line) => lines.push(line));
    try {
      const arch = resolveArch(cfg, { inputShape: data.train.shape, classes: data.train.classes });
      assertTrainable(arch, cfg.train.batch_size, 'train', args.config);
      header.push(...lines.filter((l) => l.startsWith('data:')));
      header.push(`network: ${arch.family} ${arch.layers.map((l) => l.width).join(',')}, ${paramCount(arch).toLocaleString('en-US')} parameters, ${(macCount(arch) / 1e6).toFixed(2)} MMAC per image`);
    } finally {
      await data.close();
    }
  }
  out.write(renderConfigYaml(cfg, { header }));
}
