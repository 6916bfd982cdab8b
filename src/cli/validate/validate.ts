// `nasgrow validate`: everything `train` and `run` check before they start (src/cli/shared/run-setup.ts
// checkStart, checkStartData) — the config with the command line applied, runtime.device, the output
// folder (or, with --resume, the run folder and the resume rules) and (unless --no-data) the data:
// both splits readable and alike, labels, class folders, normalisation, and whether the network fits at
// the batch size. Prints the resolved config, with what the data and the network turned out to be as a
// header comment; the data's warnings go to stderr, as train prints them.
import * as fs from 'fs';
import { renderConfigYaml } from '../../config';
import { macCount, paramCount } from '../../models/params';
import { readManifest, runFolder } from '../../report';
import { checkStart, checkStartData, TrainArgs } from '../shared/run-setup';

/** The command line of `nasgrow validate` (see ./command-object.ts): train's, and --no-data. */
export interface ValidateArgs extends TrainArgs {
  /** also read and check the data (default true; --no-data checks the config alone) */
  data?: boolean;
}

interface Streams {
  write(s: string): unknown;
}

/**
 * `nasgrow validate`: print the resolved config (stdout) after the checks `train` makes before it
 * starts — `run`'s, when --resume names a run folder of `nasgrow run`. Lines the data setup logs
 * (warnings, decoding progress) go to `err`; its summary line goes into the printed header.
 * @throws ConfigError (exit 1) listing every problem of the config, or where the run would write
 *   (checkRunLayout); UserError for the device or the output folder; DataError naming the file of a data problem; ConfigError naming train.batch_size
 *   or model.width when the network cannot train.
 */
export async function runValidate(args: ValidateArgs, out: Streams = process.stdout, err: Streams = process.stderr): Promise<void> {
  // a resumed run folder says which command made it, and so which checks apply
  const runOf = args.resume !== undefined && fs.existsSync(runFolder(args.resume).config) ? readManifest(args.resume).command : 'train';
  const kind = runOf === 'run' ? 'grow' : 'train';
  // --no-data: the config alone, so data.path need not exist here (a login node without the data)
  const plan = checkStart(args, kind, { data: args.data !== false });
  for (const n of plan.notes) err.write(n + '\n');
  const header = [`${args.config} is valid; resolved with defaults, paths absolute`];
  if (args.data !== false) {
    const { data, arch } = await checkStartData(plan, args.config, kind, (line) => {
      if (line.startsWith('data:') || line.startsWith('model.uniform_match')) header.push(line);
      else err.write(line + '\n');
    });
    await data.close();
    header.push(`network: ${arch.family} ${arch.layers.map((l) => l.width).join(',')}, ${paramCount(arch).toLocaleString('en-US')} parameters, ${(macCount(arch) / 1e6).toFixed(2)} MMAC per image`);
  }
  out.write(renderConfigYaml(plan.cfg, { header }));
}
