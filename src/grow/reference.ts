// A reference run folder (grow.reference): what the baselines read from a finished (or at least fully
// grown) Gauss-Newton run of `nasgrow run`, so that their results pair with it.
//
//   random splitting: per phase k and layer, how many splits and prunes the reference applied
//                     (phases/phase-NN/estimates.csv: rows with applied = 1, by `chosen`), and the
//                     architecture it started phase k from (phases/phase-NN/arch.json), which the
//                     random run must match phase by phase (it applies the same counts, so it does)
//   slimming:         the parameter count of the reference's found architecture (arch.json at the
//                     top of the folder), the default parameter target
//
// Every problem is a ConfigError naming the config file, the key grow.reference and the folder.
import * as fs from 'fs';
import * as path from 'path';
import { parse as parseYaml } from 'yaml';
import { ConfigError, loadArchFile } from '../config';
import { ArchState } from '../models/arch';
import { paramCount } from '../models/params';
import type { LayerCounts } from '../morphisms';
import { EstimateRow, phaseDir, readEstimates } from '../report';

export interface ReferenceRun {
  dir: string;
  /** per phase (index 0 = phase 1): the architecture the phase started from */
  archs: ArchState[];
  /** per phase: layer → splits and prunes applied */
  counts: Map<string, LayerCounts>[];
  /** parameters of the found architecture (top-level arch.json), or null while the run is not finished */
  finalParams: number | null;
}


/**
 * Read the reference run folder `dir` for the config file `source` (named in errors).
 * @returns its phases' starting architectures and applied counts, and its final parameter count.
 * @throws ConfigError (key grow.reference) when `dir` holds no phase, a phase lacks arch.json or
 *   estimates.csv, a CSV row is malformed, or the folder's config.yaml names a grow.method other than
 *   gauss-newton.
 */
export function readReference(dir: string, source: string): ReferenceRun {
  const fail = (problem: string): never => {
    throw new ConfigError([{ source, key: 'grow.reference', problem: `is ${dir}, ${problem}` }]);
  };
  const cfgFile = path.join(dir, 'config.yaml');
  if (fs.existsSync(cfgFile)) {
    let method: unknown;
    try {
      method = (parseYaml(fs.readFileSync(cfgFile, 'utf8')) as { grow?: { method?: unknown } } | null)?.grow?.method ?? 'gauss-newton';
    } catch (e) {
      fail(`whose config.yaml cannot be read (${(e as Error).message})`);
    }
    if (method !== 'gauss-newton') fail(`a run of grow.method ${JSON.stringify(method)}: the reference must be a gauss-newton run`);
  }
  const archs: ArchState[] = [];
  const counts: Map<string, LayerCounts>[] = [];
  for (let n = 1; fs.existsSync(path.join(phaseDir(dir, n), 'estimates.csv')); n++) {
    const pd = phaseDir(dir, n);
    let arch: ArchState;
    try {
      arch = loadArchFile(path.join(pd, 'arch.json'));
    } catch (e) {
      return fail(`whose phase ${n} has no usable arch.json (${(e as Error).message})`);
    }
    const csv = path.join(pd, 'estimates.csv');
    // the one reader of estimates.csv (src/report/run-data.ts): a row per channel of every layer
    let rows: EstimateRow[];
    try {
      rows = readEstimates(csv, { layers: arch.layers, json: arch });
    } catch (e) {
      return fail(`whose phase ${n} estimates cannot be used (${(e as Error).message})`);
    }
    const c = new Map<string, LayerCounts>(arch.layers.map((l) => [l.name, { splits: 0, prunes: 0 }]));
    rows.forEach((r, i) => {
      if (!r.applied) return;
      const lc = c.get(r.layer);
      if (!lc || r.chosen === null) fail(`whose ${csv} row ${i + 2} is not an applied split or prune of a layer of phase ${n}'s arch.json`);
      if (r.chosen === 'split') lc!.splits++;
      else lc!.prunes++;
    });
    archs.push(arch);
    counts.push(c);
  }
  if (archs.length === 0) fail(`which holds no phases/phase-01/estimates.csv: name the folder of a nasgrow run (grow.method gauss-newton) that finished its growing phases`);
  const finalFile = path.join(dir, 'arch.json');
  const finalParams = fs.existsSync(finalFile) ? paramCount(loadArchFile(finalFile)) : null;
  return { dir, archs, counts, finalParams };
}

/**
 * The reference for random splitting and steepest descent, checked against the run about to start: as many phases as
 * grow.cycles, and phase 1 starting from the same architecture as `seed` (family, input, classes,
 * widths), so that every phase's counts fit.
 * @throws ConfigError naming grow.reference otherwise.
 */
export function checkReferenceFor(ref: ReferenceRun, seed: ArchState, cycles: number, source: string): void {
  const fail = (problem: string): never => {
    throw new ConfigError([{ source, key: 'grow.reference', problem: `is ${ref.dir}, ${problem}` }]);
  };
  if (ref.archs.length !== cycles) fail(`a run of ${ref.archs.length} growing phase(s), but grow.cycles is ${cycles}: the baseline copies the reference's counts phase by phase`);
  const first = ref.archs[0]!;
  if (first.family !== seed.family) fail(`a run of family ${first.family}, but model.family is ${seed.family}`);
  const describe = (a: ArchState) => `input ${a.inputShape.join('x')}, ${a.classes} classes, widths ${a.layers.map((l) => l.width).join(',')}`;
  if (canonical(first) !== canonical(seed)) fail(`whose seed network (${describe(first)}) is not this config's (${describe(seed)})`);
}

/** JSON with object keys sorted at every level: equal for equal data whatever order the keys were written in. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x,
  );
}
