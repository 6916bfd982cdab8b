// Per-channel estimates of every morphism's change in loss, averaged over mini-batches.
import { ArchState } from '../models/arch';

export interface LayerEstimates {
  /** ΔL_GN of splitting each channel with its current θ */
  split: Float64Array;
  /** ΔL_GN of pruning each channel */
  prune: Float64Array;
}

export type Estimates = Map<string, LayerEstimates>;

/** All-zero split and prune estimates for every channel of every layer of `arch`. */
export function zeroEstimates(arch: ArchState): Estimates {
  return new Map(arch.layers.map((l) => [l.name, { split: new Float64Array(l.width), prune: new Float64Array(l.width) }]));
}

/**
 * Exponential moving average: e ← (1 − w)·e + w·x, with the paper's weight w = batch / (2·N_train)
 * by default (≈ the last two epochs, Appendix B). The first batch initialises the average (no bias
 * towards zero).
 */
export class EstimateAverage {
  readonly value: Estimates;
  private batches = 0;
  constructor(arch: ArchState, readonly weight: number) {
    this.value = zeroEstimates(arch);
  }
  add(batch: Estimates): void {
    const w = this.batches === 0 ? 1 : this.weight;
    for (const [layer, e] of this.value) {
      const x = batch.get(layer)!;
      for (let c = 0; c < e.split.length; c++) {
        e.split[c] = (1 - w) * e.split[c]! + w * x.split[c]!;
        e.prune[c] = (1 - w) * e.prune[c]! + w * x.prune[c]!;
      }
    }
    this.batches++;
  }
  get count(): number {
    return this.batches;
  }
}

/** Plain mean over batches (the 'final' estimate: a pass with θ fixed). */
export class EstimateMean {
  readonly sum: Estimates;
  private batches = 0;
  constructor(private readonly arch: ArchState) {
    this.sum = zeroEstimates(arch);
  }
  add(batch: Estimates): void {
    for (const [layer, e] of this.sum) {
      const x = batch.get(layer)!;
      for (let c = 0; c < e.split.length; c++) {
        e.split[c]! += x.split[c]!;
        e.prune[c]! += x.prune[c]!;
      }
    }
    this.batches++;
  }
  get value(): Estimates {
    const out = zeroEstimates(this.arch);
    for (const [layer, e] of out) {
      const s = this.sum.get(layer)!;
      for (let c = 0; c < e.split.length; c++) {
        e.split[c] = s.split[c]! / Math.max(1, this.batches);
        e.prune[c] = s.prune[c]! / Math.max(1, this.batches);
      }
    }
    return out;
  }
}
