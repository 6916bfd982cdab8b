// Per-channel normalisation, x = (pixel/255 - mean[c]) / std[c], as torchvision's ToTensor + Normalize.
// mean and std are in [0, 1] pixel units, either given (e.g. the published CIFAR-10 values) or computed
// from the training split. Applied per batch through a 256-entry lookup table per channel, which is
// exact (pixels are bytes) and cheaper than the arithmetic.
import { Dataset, exampleSize } from './dataset';
import { DataError } from './errors';
import { plural } from '../util/plural';

export interface Normalization {
  mean: number[];
  std: number[];
}

/**
 * Mean and (population) standard deviation per channel over all pixels of the dataset, in [0, 1]
 * units. Computed from per-channel byte histograms, so the sums are exact integers (a std of exactly 0
 * means every pixel of the channel has one value).
 * @throws DataError naming `ds.source`: no examples, or a constant channel (std 0, which
 *   normalisation would divide by), with the channel and its value, saying to set data.normalize.
 */
export function channelStats(ds: Dataset): Normalization {
  if (ds.n === 0) throw new DataError(ds.source, 'holds no examples, so it has no per-channel statistics', 'point at a dataset with training images');
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
    const sd = Math.sqrt(Math.max(0, s2 / count - m * m)) / 255;
    if (!(sd > 0)) {
      throw new DataError(
        ds.source,
        `channel ${ch} (of ${c}) is constant (every pixel is ${m}), so its std is 0 and normalising by it would divide by zero`,
        `set data.normalize explicitly: one mean and one std > 0 per channel, e.g. [[${Array(c).fill('0.5').join(', ')}], [${Array(c).fill('0.25').join(', ')}]]`,
      );
    }
    mean.push(m / 255);
    std.push(sd);
  }
  return { mean, std };
}

/**
 * Checks a normalisation given from outside (config data.normalize, a run's normalization.json)
 * against the dataset it will be applied to: one mean and one std per channel, all finite, every std
 * > 0. Call it before making batch loaders with it.
 * @throws DataError naming `ds.source`, with the normalisation's and the images' channel counts, or
 *   the channel whose mean or std is unusable.
 */
export function checkNormalizationChannels(norm: Normalization, ds: Pick<Dataset, 'shape' | 'source'>): void {
  const c = ds.shape[0];
  if (norm.mean.length !== c || norm.std.length !== c) {
    throw new DataError(
      ds.source,
      `the normalisation has ${plural(norm.mean.length, 'mean')} and ${plural(norm.std.length, 'std')}, but the images have ${plural(c, 'channel')}`,
      `give data.normalize one mean and one std per channel (${c} each), or auto`,
    );
  }
  for (let ch = 0; ch < c; ch++) {
    if (!Number.isFinite(norm.mean[ch])) throw new DataError(ds.source, `the normalisation's mean for channel ${ch} is ${norm.mean[ch]}`, 'give a finite number');
    if (!(norm.std[ch] > 0) || !Number.isFinite(norm.std[ch])) {
      throw new DataError(ds.source, `the normalisation's std for channel ${ch} is ${norm.std[ch]}, which would divide by zero or give no numbers`, 'give a std > 0 for every channel');
    }
  }
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
