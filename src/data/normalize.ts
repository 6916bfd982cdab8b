// Per-channel normalisation, x = (pixel/255 - mean[c]) / std[c], as torchvision's ToTensor + Normalize.
// mean and std are in [0, 1] pixel units, either given (e.g. the published CIFAR-10 values) or computed
// from the training split. Applied per batch through a 256-entry lookup table per channel, which is
// exact (pixels are bytes) and cheaper than the arithmetic.
import { Dataset, exampleSize } from './dataset';

export interface Normalization {
  mean: number[];
  std: number[];
}

/**
 * Mean and (population) standard deviation per channel over all pixels of the dataset, in [0, 1]
 * units. Computed from per-channel byte histograms, so the sums are exact integers.
 */
export function channelStats(ds: Dataset): Normalization {
  const [c, h, w] = ds.shape;
  const plane = h * w;
  const size = exampleSize(ds);
  const hist = Array.from({ length: c }, () => new Float64Array(256));
  for (let i = 0; i < ds.n; i++) {
    for (let ch = 0; ch < c; ch++) {
      const hc = hist[ch];
      const start = i * size + ch * plane;
      for (let p = start; p < start + plane; p++) hc[ds.images[p]]++;
    }
  }
  const mean: number[] = [];
  const std: number[] = [];
  const count = ds.n * plane;
  for (let ch = 0; ch < c; ch++) {
    let s = 0;
    let s2 = 0;
    for (let v = 0; v < 256; v++) {
      s += v * hist[ch][v];
      s2 += v * v * hist[ch][v];
    }
    const m = s / count;
    mean.push(m / 255);
    std.push(Math.sqrt(Math.max(0, s2 / count - m * m)) / 255);
  }
  return { mean, std };
}

/** Checks that `norm` fits `channels` and has no zero std (which would turn a batch into Infinity). */
export function checkNormalization(norm: Normalization, channels: number): void {
  if (norm.mean.length !== channels || norm.std.length !== channels) {
    throw new Error(`normalisation has ${norm.mean.length} means and ${norm.std.length} stds for ${channels} channel(s)`);
  }
  for (const s of norm.std) if (!(s > 0)) throw new Error(`normalisation std must be > 0, got ${s}`);
}

/** lut[c * 256 + v] = (v/255 - mean[c]) / std[c], computed in float32 like torchvision. */
export function normalizationTable(norm: Normalization, channels: number): Float32Array {
  checkNormalization(norm, channels);
  const lut = new Float32Array(channels * 256);
  const f = Math.fround;
  for (let c = 0; c < channels; c++) {
    for (let v = 0; v < 256; v++) lut[c * 256 + v] = f(f(f(v / 255) - f(norm.mean[c])) / f(norm.std[c]));
  }
  return lut;
}
