// Comparisons paired by seed (README "Claims carry their uncertainty"): each method's test error minus
// Gauss-Newton's on the same seed network, data, λ_p and seed, averaged over the seeds both have, with a
// 95% t-interval. Pairing removes the seed-to-seed spread (~0.3-0.6 points at the short CIFAR budget,
// 2-3 points at the multi-seed study's) that two unpaired means carry; an interval that includes 0 says
// the runs cannot tell the methods apart. Methods are matched by parameters (the uniform control, the
// baselines' budgets), not by compute: the MMAC ratio says how far apart their compute is. The one
// control matched by compute is MACS_MATCHED, a `nasgrow train` with model.uniform_match.
import { integerRanges } from '../util/ranges';
import { meanInterval95 } from '../util/stats';
import { MACS_MATCHED, RunResult, budgetText, lambdaText } from './results-table';

/** One method's results in one setting (dataset, seed network, λ_p, retraining epochs), by seed. */
export interface MethodSetting {
  datasetLabel: string;
  seedNetwork: string;
  lambdaP: number | null;
  method: string;
  /** both sides are a run's architectures trained again for this many epochs (null: the runs' own results) */
  retrainedEpochs: number | null;
  /** the seeds: for a PairedRow those both ran, for UnpairedResults those Gauss-Newton did not */
  seeds: number[];
}

/** One method against Gauss-Newton, over the seeds both ran. */
export interface PairedRow extends MethodSetting {
  /** test error of `method` − Gauss-Newton's, percentage points: mean and 95% interval */
  diff: { mean: number; low: number; high: number };
  /** seeds on which Gauss-Newton's error is lower, equal, higher */
  gnBetter: number;
  ties: number;
  /** mean ratio of the method's parameters to Gauss-Newton's */
  paramsRatio: number;
  /** mean ratio of the method's multiply-accumulates per image to Gauss-Newton's */
  mmacRatio: number;
  /** the growing networks at the end of their last training phase: error − Gauss-Newton's, points
   *  (null when a pair lacks it) */
  grownDiff: { mean: number; low: number; high: number } | null;
  /** every pair has the same error and parameters: the same retrained network (random and steepest
   *  baselines end at their reference's widths and retrain from the same initial weights) */
  identical: boolean;
  /** Gauss-Newton's budget as the table shows it, e.g. "12 (2×(2+2) + 4, growing phases ≤ 100 θ steps)":
   *  what tells apart rows of settings that differ in more than the columns show */
  budget: string;
}

// the run's own results pair with each other; a run's architectures trained again by `nasgrow train`
// (retrainedEpochs) pair among themselves, per number of epochs
// (and only within the rest of their setting, RunResult.pairing: Gauss-Newton runs with other θ steps
// are another setting, each paired with its own controls)
const key = (r: RunResult) => JSON.stringify([r.datasetLabel, r.family, r.width, r.lambdaP, r.retrainedEpochs ?? null, r.pairing ?? null]);

/**
 * Pair every non-Gauss-Newton result with the Gauss-Newton result of the same dataset, seed network,
 * λ_p, retraining epochs, rest of the setting (RunResult.pairing) and seed. `seedNetwork` names a
 * family and width as the table shows them.
 */
export function pairedRows(groups: RunResult[][], seedNetwork: (r: RunResult) => string): PairedRow[] {
  const gn = gaussNewtonBySetting(groups);
  const rows: PairedRow[] = [];
  for (const g of groups) {
    const first = g[0];
    if (!first || first.method === 'gauss-newton' || first.method === 'train') continue;
    const ref = gn.get(key(first));
    if (!ref) continue;
    const pairs = g.filter((r) => ref.has(r.seed)).sort((a, b) => a.seed - b.seed);
    if (pairs.length === 0) continue;
    const diffs = pairs.map((r) => 100 * (r.testError - ref.get(r.seed)!.testError));
    const ci = meanInterval95(diffs);
    const grown = pairs.map((r) => [r.grownError, ref.get(r.seed)!.grownError] as const);
    const grownCi = grown.every(([x, y]) => typeof x === 'number' && typeof y === 'number') ? meanInterval95(grown.map(([x, y]) => 100 * (x! - y!))) : null;
    rows.push({
      ...methodSetting(first, seedNetwork, pairs.map((r) => r.seed)),
      diff: { mean: ci.mean, low: ci.low, high: ci.high },
      grownDiff: grownCi && { mean: grownCi.mean, low: grownCi.low, high: grownCi.high },
      gnBetter: diffs.filter((d) => d > 0).length,
      ties: diffs.filter((d) => d === 0).length,
      paramsRatio: pairs.reduce((s, r) => s + r.params / ref.get(r.seed)!.params, 0) / pairs.length,
      mmacRatio: pairs.reduce((s, r) => s + r.mmacPerImage / ref.get(r.seed)!.mmacPerImage, 0) / pairs.length,
      identical: pairs.every((r) => r.testError === ref.get(r.seed)!.testError && r.params === ref.get(r.seed)!.params),
      budget: budgetText(ref.get(pairs[0]!.seed)!),
    });
  }
  return rows;
}

/** The setting of result `r`'s group, with `seeds`. */
const methodSetting = (r: RunResult, seedNetwork: (r: RunResult) => string, seeds: number[]): MethodSetting => ({
  datasetLabel: r.datasetLabel,
  seedNetwork: seedNetwork(r),
  lambdaP: r.lambdaP,
  method: r.method,
  retrainedEpochs: r.retrainedEpochs ?? null,
  seeds,
});

/** Gauss-Newton's results by setting (key) and seed. */
function gaussNewtonBySetting(groups: RunResult[][]): Map<string, Map<number, RunResult>> {
  const gn = new Map<string, Map<number, RunResult>>();
  for (const g of groups) for (const r of g) if (r.method === 'gauss-newton') gn.set(key(r), new Map([...(gn.get(key(r)) ?? new Map()), [r.seed, r]]));
  return gn;
}

/** Results of one method and setting that pairedRows could not pair: no Gauss-Newton result has their
 *  seed in their setting. */
export interface UnpairedResults extends MethodSetting {
  /** the seeds (of `seeds`) whose Gauss-Newton results are there in the same setting but for the
   *  retraining: the runs' own retraining (null) or `nasgrow train` runs of another length (epochs) */
  otherRetraining: { seeds: number[]; retrainedEpochs: Array<number | null> };
  /** the seeds (of `seeds`, not in otherRetraining) whose Gauss-Newton results are there with the same
   *  retraining but in another setting (config keys beyond the method differ: RunResult.pairing) */
  otherSetting: number[];
}

// the setting but for the retraining epochs
const keyBesidesRetraining = (r: RunResult) => JSON.stringify([r.datasetLabel, r.family, r.width, r.lambdaP]);

/**
 * The results pairedRows leaves out, so that a table can say which seeds are missing from its n and
 * why, rather than drop them silently (a control trained for other epochs than the found
 * architecture, a seed whose run is not tabulated, a table of controls without their Gauss-Newton
 * runs). `nasgrow train` runs of a config's own network ('train') pair with nothing and are not listed.
 */
export function unpairedResults(groups: RunResult[][], seedNetwork: (r: RunResult) => string): UnpairedResults[] {
  const gn = gaussNewtonBySetting(groups);
  const gnAll = groups.flat().filter((r) => r.method === 'gauss-newton');
  const out: UnpairedResults[] = [];
  for (const g of groups) {
    const first = g[0];
    if (!first || first.method === 'gauss-newton' || first.method === 'train') continue;
    const ref = gn.get(key(first));
    const seeds = g.filter((r) => !ref?.has(r.seed)).map((r) => r.seed).sort((a, b) => a - b);
    if (seeds.length === 0) continue;
    const near = gnAll.filter((r) => keyBesidesRetraining(r) === keyBesidesRetraining(first) && seeds.includes(r.seed));
    const sameRetraining = (r: RunResult) => (r.retrainedEpochs ?? null) === (first.retrainedEpochs ?? null);
    const otherSetting = seeds.filter((s) => near.some((r) => r.seed === s && sameRetraining(r)));
    const elsewhere = near.filter((r) => !sameRetraining(r) && !otherSetting.includes(r.seed));
    out.push({
      ...methodSetting(first, seedNetwork, seeds),
      otherRetraining: {
        seeds: seeds.filter((s) => elsewhere.some((r) => r.seed === s)),
        retrainedEpochs: [...new Set(elsewhere.map((r) => r.retrainedEpochs ?? null))].sort((a, b) => (a ?? 0) - (b ?? 0)),
      },
      otherSetting,
    });
  }
  return out;
}

/** Gauss-Newton results of one setting that some method of the same setting has no result of the seed for. */
export interface PartnerlessGaussNewton extends MethodSetting {
  /** the methods that lack Gauss-Newton's seeds, grouped by the seeds they lack (ascending) */
  missing: Array<{ methods: string[]; seeds: number[] }>;
}

/**
 * The other side of unpairedResults: Gauss-Newton seeds that a method compared in the same setting
 * did not run (baselines on 3 seeds beside 16 Gauss-Newton runs), so that a row's n and Gauss-Newton's
 * own row can be told apart. Only methods with at least one result in Gauss-Newton's setting count: a
 * table of Gauss-Newton runs alone leaves nothing out.
 */
export function partnerlessGaussNewton(groups: RunResult[][], seedNetwork: (r: RunResult) => string): PartnerlessGaussNewton[] {
  const out: PartnerlessGaussNewton[] = [];
  for (const [k, gn] of gaussNewtonBySetting(groups)) {
    const lacking = new Map<string, { methods: string[]; seeds: number[] }>();
    for (const g of groups) {
      const first = g[0];
      if (!first || first.method === 'gauss-newton' || first.method === 'train' || key(first) !== k) continue;
      const has = new Set(g.map((r) => r.seed));
      const seeds = [...gn.keys()].filter((s) => !has.has(s)).sort((a, b) => a - b);
      if (seeds.length === 0) continue;
      const entry = lacking.get(JSON.stringify(seeds)) ?? { methods: [], seeds };
      if (!entry.methods.includes(first.method)) entry.methods.push(first.method);
      lacking.set(JSON.stringify(seeds), entry);
    }
    if (lacking.size === 0) continue;
    const missing = [...lacking.values()].sort((a, b) => a.seeds[0]! - b.seeds[0]! || a.seeds.length - b.seeds.length);
    const any = [...gn.values()][0]!;
    out.push({ ...methodSetting(any, seedNetwork, [...new Set(missing.flatMap((m) => m.seeds))].sort((a, b) => a - b)), missing });
  }
  return out;
}

/** "a", "a or b", "a, b or c" */
const orList = (xs: string[]) => (xs.length <= 1 ? xs.join('') : `${xs.slice(0, -1).join(', ')} or ${xs[xs.length - 1]}`);

/** One line per left-out method: its setting, its seeds, and why each has no partner. */
function leftOutLines(unpaired: UnpairedResults[], partnerless: PartnerlessGaussNewton[]): string[] {
  if (unpaired.length === 0 && partnerless.length === 0) return [];
  const seedList = (seeds: number[]) => `seed${seeds.length === 1 ? '' : 's'} ${integerRanges(seeds, ', ')}`;
  const fix = (epochs: number | null, one: boolean) =>
    epochs === null ? `tabulate the Gauss-Newton ${one ? 'run itself' : 'runs themselves'} beside them` : `tabulate \`nasgrow train\` runs of ${one ? 'its' : 'their'} arch.json for ${epochs} epochs beside them`;
  return [
    '',
    'Left out of the pairing: results with no partner of the same seed, data, seed network, λ_p, retraining epochs and config but for the method.',
    '',
    ...partnerless.map((p) => {
      // (a seed can be paired in one row and missing from another: the line names the rows)
      const why = p.missing.map(
        (m) => `${seedList(m.seeds)}: not in the ${orList(m.methods)} row${m.methods.length === 1 ? '' : 's'} (no ${m.methods.length === 1 ? m.methods[0] : 'such'} result of ${m.seeds.length === 1 ? 'this seed' : 'these seeds'} in the table)`,
      );
      return `- ${p.method}${p.retrainedEpochs === null ? '' : ` retrained ${p.retrainedEpochs} epochs`} on ${p.seedNetwork}, ${p.datasetLabel}, λ_p ${lambdaText(p.lambdaP)}: ${why.join('; ')}`;
    }),
    ...unpaired.map((u) => {
      const other = u.otherRetraining.seeds;
      const missing = u.seeds.filter((s) => !other.includes(s) && !u.otherSetting.includes(s));
      const why = [
        ...(missing.length > 0 ? [`${seedList(missing)}: no Gauss-Newton result of ${missing.length === 1 ? 'this seed' : 'these seeds'} in the table`] : []),
        ...(u.otherSetting.length > 0
          ? [`${seedList(u.otherSetting)}: Gauss-Newton's ${u.otherSetting.length === 1 ? 'result is' : 'results are'} of another setting (its config differs in more than the method's keys: compare the run folders' config.yaml)`]
          : []),
        ...(other.length > 0 ? [`${seedList(other)}: Gauss-Newton's ${other.length === 1 ? 'result is' : 'results are'} here only ${u.otherRetraining.retrainedEpochs.map((e) => (e === null ? `as ${other.length === 1 ? 'its run' : 'their runs'} retrained ${other.length === 1 ? 'it' : 'them'}` : `retrained ${e} epochs`)).join(' or ')} (${fix(u.retrainedEpochs, other.length === 1)})`] : []),
      ];
      return `- ${u.method}${u.retrainedEpochs === null ? '' : ` retrained ${u.retrainedEpochs} epochs`} on ${u.seedNetwork}, ${u.datasetLabel}, λ_p ${lambdaText(u.lambdaP)}: ${why.join('; ')}`;
    }),
  ];
}

const methodText = (r: { method: string; retrainedEpochs: number | null }) =>
  r.retrainedEpochs === null ? r.method : `${r.method} (both retrained ${r.retrainedEpochs} epochs)`;

/**
 * The paired rows as a Markdown table with its caption, and a list naming the results left out of
 * the pairing (`unpaired`, from unpairedResults; `partnerless`, from partnerlessGaussNewton); '' when
 * there is neither.
 */
export function pairedMarkdown(rows: PairedRow[], unpaired: UnpairedResults[] = [], partnerless: PartnerlessGaussNewton[] = []): string {
  const leftOut = leftOutLines(unpaired, partnerless);
  if (rows.length === 0) return leftOut.length === 0 ? '' : [...leftOut, ''].join('\n');
  const f = (x: number) => (x >= 0 ? '+' : '') + x.toFixed(2);
  // rows that would look alike (settings that differ in, say, θ steps) also show Gauss-Newton's budget
  const label = (r: PairedRow) => JSON.stringify([r.datasetLabel, r.seedNetwork, r.lambdaP, methodText(r)]);
  const alike = (r: PairedRow) => rows.filter((q) => label(q) === label(r)).length > 1;
  const lines = [
    '| dataset | seed network | λ_p | method | n (seeds) | error − Gauss-Newton (points) | 95% interval | Gauss-Newton lower on | params / Gauss-Newton | MMAC / Gauss-Newton | growing network: error − Gauss-Newton [95%] |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map((r) =>
      [
        r.datasetLabel,
        r.seedNetwork,
        lambdaText(r.lambdaP),
        alike(r) ? `${methodText(r)}; Gauss-Newton's budget ${r.budget}` : methodText(r),
        `${r.seeds.length} (${r.seeds.join(', ')})`,
        f(r.diff.mean),
        r.identical ? 'the same network (by construction)' : Number.isNaN(r.diff.low) ? 'n < 2' : `[${f(r.diff.low)}, ${f(r.diff.high)}]`,
        `${r.gnBetter} of ${r.seeds.length}${r.ties ? ` (${r.ties} tied)` : ''}`,
        r.paramsRatio.toFixed(3),
        r.mmacRatio.toFixed(3),
        r.grownDiff === null ? '' : `${f(r.grownDiff.mean)} ${Number.isNaN(r.grownDiff.low) ? '' : `[${f(r.grownDiff.low)}, ${f(r.grownDiff.high)}]`}`.trim(),
      ].join(' | '),
    ).map((l) => `| ${l} |`),
  ];
  return [
    '',
    'Paired by seed: each method\'s test error minus Gauss-Newton\'s on the same seed (same data, seed network, λ_p and config but for the method), in points;',
    'positive: Gauss-Newton is better. 95% interval: Student\'s t over the paired differences; one that includes 0 cannot tell the methods apart.',
    'Random splitting and splitting steepest descent end at their reference\'s widths and retrain from the same initial weights: their retrained',
    'network is the reference\'s (README "Baselines"); they differ in the growing network, whose test error at the end of the last training phase',
    '(before the last morphisms and the retraining; metrics.jsonl) the last column pairs the same way. The ratios are means over the pairs; networks',
    'matched by parameters can differ in compute (multiply-accumulates per image, MMAC).',
    ...(rows.some((r) => r.retrainedEpochs !== null)
      ? ['"Both retrained E epochs": `nasgrow train` runs of the architectures runs found (model.arch: a run\'s arch.json, and', 'uniform-baseline/arch.json for its control), paired by seed the same way.']
      : []),
    ...(rows.some((r) => r.method === MACS_MATCHED)
      ? [`"${MACS_MATCHED}": the narrowest uniform network with at least the found architecture's multiply-accumulates per image`, '(model.uniform_match: macs), a control matched by compute rather than by parameters.']
      : []),
    '',
    ...lines,
    ...leftOut,
    '',
  ].join('\n');
}
