// `nasgrow export-seeds`: the paper's two seed networks, as `npm run graphs` writes them.
import * as path from 'path';
import { FAMILIES } from '../../config';
import { seedArch } from '../../models/arch';
import { exportTarget, loadExporter, SEED_WIDTH } from '../export/export';
import type { ExportSeedsArgs } from './command-object';

export async function runExportSeeds(args: ExportSeedsArgs, out: { write(s: string): unknown } = process.stdout): Promise<void> {
  const exporter = loadExporter();
  for (const family of FAMILIES) {
    const width = SEED_WIDTH[family];
    // exportTarget checks --batch and --seed the same way `nasgrow export` does
    const { batchSize, seed } = exportTarget({ family, out: args.out, batch: args.batch, seed: args.seed });
    const outDir = path.resolve(args.out, `${family}-w${width}`);
    const written = await exporter.exportGraphs({ arch: seedArch(family, width), batchSize, outDir, seed });
    for (const file of written) out.write(file + '\n');
  }
}
