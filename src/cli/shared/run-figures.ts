// What `plot`, `report` and the end of `run` / `train` share: the figures of a run folder, with the
// MAC counts only src/models can compute (the report layer reads architectures as plain JSON).
import { ArchState, validateArch } from '../../models/arch';
import { macCount, uniformMatch } from '../../models/params';
import { archFigureSvg, estimatedPhases, MetricRecord, renderVegaLite, ReportFigures, RunData, runChartSpec } from '../../report';

/** MACs per image of an architecture read from a run folder, or null when it is not a valid one. */
export function macsOfJson(json: unknown): number | null {
  try {
    return macCount(validateArch(json as ArchState));
  } catch {
    return null;
  }
}

/**
 * For each epoch record of `run`, the MACs per image of the architecture it trained: a phase's record
 * that phase's arch.json, the retraining the found arch.json, the uniform baseline the uniform network
 * matched to it, a `train` record the run's arch.json.
 */
export function macsOfRecords(run: RunData): (r: MetricRecord) => number | null {
  const byPhase = new Map(run.phases.map((p) => [p.phase, macsOfJson(p.arch.json)]));
  const final = run.arch ? macsOfJson(run.arch.json) : null;
  let baseline: number | null = null;
  try {
    baseline = run.arch ? macCount(uniformMatch(validateArch(run.arch.json as ArchState))) : null;
  } catch {
    baseline = null;
  }
  return (r) => {
    if (r.kind === 'train' || r.kind === 'grow') return typeof r.phase === 'number' ? (byPhase.get(r.phase) ?? null) : final;
    if (r.kind === 'retrain') return final;
    if (r.kind === 'baseline') return baseline;
    return final;
  };
}

/** The SVG text of the `plot run` chart of `run`. */
export async function runChartSvg(run: RunData): Promise<string> {
  return renderVegaLite(runChartSpec(run, macsOfRecords(run)));
}

/** Every figure of `run`: the run chart and Figure 2 of each phase with estimates. */
export async function runFigures(run: RunData): Promise<ReportFigures> {
  return { run: await runChartSvg(run), arch: estimatedPhases(run).map((p) => ({ phase: p.phase, svg: archFigureSvg(run, p.phase) })) };
}
