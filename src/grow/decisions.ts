// From a growing phase's estimates and selection decisions to what is written and what is applied:
// the per-channel estimates.csv of a phase folder, and the morphisms (with their learned θ rows).
import type { ArchState } from '../models/arch';
import type { TensorMap } from '../models/params';
import type { Decision, Morphism } from '../morphisms';
import { csvRows, type MetricValue } from '../report';
import type { Estimates } from './estimates';

/**
 * estimates.csv: one row per channel of every layer — the split and prune ΔL estimates, the better of
 * the two (`chosen`), its parameter change, its tradeoff margin, whether it was applied and why (not).
 * Without estimates (the baselines: `estimates` null) the ΔL columns are empty, and so is a NaN margin
 * (nothing was estimated); channels without a Decision have empty decision columns.
 */
export function estimatesCsv(arch: ArchState, estimates: Estimates | null, decisions: Decision[]): string {
  const rows: MetricValue[][] = [['layer', 'channel', 'split_dl', 'prune_dl', 'chosen', 'delta_params', 'margin', 'applied', 'reason']];
  const byKey = new Map(decisions.map((d) => [`${d.layer}/${d.channel}`, d]));
  for (const layer of arch.layers) {
    const e = estimates?.get(layer.name);
    for (let c = 0; c < layer.width; c++) {
      const d = byKey.get(`${layer.name}/${c}`);
      const margin = d === undefined || Number.isNaN(d.margin) ? null : d.margin;
      rows.push([layer.name, c, e?.split[c] ?? null, e?.prune[c] ?? null, d?.kind ?? null, d?.deltaParams ?? null, margin, d?.applied ? 1 : 0, d?.reason ?? null]);
    }
  }
  return csvRows(rows);
}

/**
 * The morphisms of the applied decisions: a prune as is, a split with its channel's row of the learned
 * θ (`theta` per layer, shaped as the layer's conv kernel [width, in, k, k]; row c = channel c).
 */
export function appliedMorphisms(arch: ArchState, decisions: Decision[], theta: TensorMap): Morphism[] {
  return decisions
    .filter((d) => d.applied)
    .map((d): Morphism => {
      if (d.kind === 'prune') return { kind: 'prune', layer: d.layer, channel: d.channel };
      const th = theta.get(d.layer)!;
      const row = th.length / arch.layers.find((l) => l.name === d.layer)!.width;
      return { kind: 'split', layer: d.layer, channel: d.channel, theta: th.slice(d.channel * row, (d.channel + 1) * row) };
    });
}
