// `nasgrow export-seeds`: the paper's two seed networks, as `npm run graphs` writes them.
import * as path from 'path';
import { FAMILIES, SEED_WIDTH } from '../../models/arch';
import { checkExportFolder, exportGraphs, exportTarget } from '../export/export';

/** The command line of `nasgrow export-seeds` (see ./command-object.ts). */
export interface ExportSeedsArgs {
  out: string;
  batch?: number;
  seed?: number;
}

/** `nasgrow export-seeds`: write both seed networks' graphs into OUT/<family>-w<width>/ and print the paths. */
export async function runExportSeeds(args: ExportSeedsArgs, out: { write(s: string): unknown } = process.stdout): Promise<void> {
  // every argument and folder is checked before the first graph is written
  const exports = FAMILIES.map((family) => {
    const sub = `${family}-w${SEED_WIDTH[family]}`;
    // exportTarget checks --batch and --seed the same way `nasgrow export` does
    const target = exportTarget({ family, out: args.out, batch: args.batch, seed: args.seed });
    checkExportFolder(args.out);
    return { ...target, outDir: checkExportFolder(path.join(args.out, sub)) };
  });
  for (const e of exports) {
    for (const file of exportGraphs(e)) out.write(file + '\n');
  }
}
