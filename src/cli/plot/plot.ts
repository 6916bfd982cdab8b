// `nasgrow plot arch RUN [--phase K]` and `nasgrow plot run RUN`: write figures of a run folder as SVG
// and PNG (default into RUN/figures/). Every argument is checked, and the run folder read, before
// anything is written.
import * as path from 'path';
import { archFigureSvg, estimatedPhases, readRunData, writeSvgAndPng } from '../../report';
import { checkFolder } from '../../util/folders';
import { UsageError } from '../errors';
import { runChartSvg } from '../shared/run-figures';

/** The command line of `nasgrow plot` (see ./command-object.ts). */
export interface PlotArgs {
  what: string;
  run: string;
  phase?: number;
  out?: string;
}

/**
 * `nasgrow plot`: arch writes `arch-phase-NN.{svg,png}` (Figure 2) for phase K or every phase with
 * estimates; run writes `run.{svg,png}`. Prints the files written.
 * @throws RunFolderError (exit 1) naming RUN when it is not a run folder; UsageError naming --phase
 *   when it is not a phase of the run with estimates, or when the run has none (a `train` folder);
 *   RunFileError naming a damaged file; UserError naming a file that cannot be written.
 */
export async function runPlot(args: PlotArgs): Promise<void> {
  const run = readRunData(args.run, 'RUN');
  const out = path.resolve(args.out ?? path.join(run.dir, 'figures'));
  const written: string[] = [];
  if (args.what === 'arch') {
    const phases = estimatedPhases(run).map((p) => p.phase);
    if (phases.length === 0) {
      throw new UsageError(
        `RUN ${args.run} has no phase with an estimates.csv (a \`nasgrow train\` folder, or a run stopped before its first growing phase ended): plot arch needs a \`nasgrow run\` folder; \`nasgrow plot run ${args.run}\` plots its training`,
      );
    }
    let chosen = phases;
    if (args.phase !== undefined) {
      if (!Number.isInteger(args.phase) || !phases.includes(args.phase)) {
        throw new UsageError(`--phase ${args.phase} is not a phase of ${args.run} with estimates: pass one of ${rangeText(phases)}, or leave --phase out to plot every phase`);
      }
      chosen = [args.phase];
    }
    checkFolder(out, '--out');
    for (const k of chosen) {
      const base = path.join(out, `arch-phase-${String(k).padStart(2, '0')}`);
      await writeSvgAndPng(base, archFigureSvg(run, k));
      written.push(`${base}.svg`, `${base}.png`);
    }
  } else {
    if (args.phase !== undefined) throw new UsageError('--phase applies to `nasgrow plot arch` only: `plot run` draws every phase');
    checkFolder(out, '--out');
    const base = path.join(out, 'run');
    await writeSvgAndPng(base, await runChartSvg(run));
    written.push(`${base}.svg`, `${base}.png`);
  }
  for (const f of written) process.stdout.write(`wrote ${f}\n`);
}

/** "1..3" for consecutive phases, "1, 3, 4" otherwise. */
function rangeText(phases: number[]): string {
  const consecutive = phases.every((p, i) => i === 0 || p === phases[i - 1]! + 1);
  return consecutive && phases.length > 2 ? `${phases[0]}..${phases[phases.length - 1]}` : phases.join(', ');
}
