// Training augmentation as in the paper: random crop with 4-pixel zero padding, then random horizontal
// flip (p = 0.5), i.e. torchvision's RandomCrop(32, padding=4) followed by RandomHorizontalFlip().
//
// Padding follows torchvision applied to the PIL/uint8 image, before ToTensor + Normalize: padded
// pixels are raw 0 (black) and so become (0 - mean[c]) / std[c] after normalisation, not 0.
//
// Random draws per example, in batch order, from the epoch's augmentation Rng: top offset, then left
// offset (each uniform in 0..2*padding, like RandomCrop's i then j), then the flip (uniform() < 0.5).
// A disabled augmentation draws nothing.
import { Rng } from '../util/rng';

export interface AugmentConfig {
  /** Zero padding for the random crop, in pixels; 0 disables cropping. The paper uses 4. */
  cropPadding: number;
  /** Random horizontal flip with probability 0.5. */
  flip: boolean;
}

export const NO_AUGMENT: AugmentConfig = { cropPadding: 0, flip: false };
export const PAPER_AUGMENT: AugmentConfig = { cropPadding: 4, flip: true };

/** Where one output example is taken from: crop top-left in padded coordinates, and the flip. */
export interface ExampleView {
  /** Row of the crop's top edge in the padded image, 0..2*padding (padding = no shift). */
  top: number;
  /** Column of the crop's left edge in the padded image, 0..2*padding. */
  left: number;
  flip: boolean;
}

/** Draws one example's view (identity parts for disabled augmentations). */
export function drawView(rng: Rng, cfg: AugmentConfig): ExampleView {
  const p = cfg.cropPadding;
  const top = p > 0 ? rng.int(2 * p + 1) : 0;
  const left = p > 0 ? rng.int(2 * p + 1) : 0;
  const flip = cfg.flip ? rng.uniform() < 0.5 : false;
  return { top, left, flip };
}

/**
 * Writes one normalised, cropped and flipped example.
 *
 *   out[c, y, x] = lut[c][ src[c, y + top - pad, x' + left - pad] ]   x' = flip ? W-1-x : x
 *
 * with source pixels outside the image read as 0 (the zero padding). `src` is the dataset's image
 * array, the example starting at `srcOffset`; `lut` is normalizationTable(); `pad` is the padding the
 * view was drawn with (0 when not cropping).
 */
export function writeExample(
  src: Uint8Array,
  srcOffset: number,
  shape: readonly [number, number, number],
  lut: Float32Array,
  view: ExampleView,
  pad: number,
  out: Float32Array,
  outOffset: number,
): void {
  const [c, h, w] = shape;
  const dy = view.top - pad;
  const dx = view.left - pad;
  if (dy === 0 && dx === 0 && !view.flip) {
    // Fast path: a plain normalised copy.
    const plane = h * w;
    for (let ch = 0; ch < c; ch++) {
      const base = ch * 256;
      const end = (ch + 1) * plane;
      for (let p = ch * plane; p < end; p++) out[outOffset + p] = lut[base + src[srcOffset + p]];
    }
    return;
  }
  for (let ch = 0; ch < c; ch++) {
    const base = ch * 256;
    const zero = lut[base];
    const srcPlane = srcOffset + ch * h * w;
    const outPlane = outOffset + ch * h * w;
    for (let y = 0; y < h; y++) {
      const sy = y + dy;
      const o = outPlane + y * w;
      if (sy < 0 || sy >= h) {
        out.fill(zero, o, o + w);
        continue;
      }
      const row = srcPlane + sy * w;
      // Output columns whose source column sx lies inside the image; the rest are padding.
      const x0 = Math.max(0, view.flip ? dx : -dx);
      const x1 = Math.min(w, view.flip ? w + dx : w - dx);
      if (x0 > 0) out.fill(zero, o, o + x0);
      if (x1 < w) out.fill(zero, o + Math.max(x0, x1), o + w);
      if (view.flip) {
        for (let x = x0, s = row + w - 1 - x0 + dx; x < x1; x++, s--) out[o + x] = lut[base + src[s]];
      } else {
        for (let x = x0, s = row + x0 + dx; x < x1; x++, s++) out[o + x] = lut[base + src[s]];
      }
    }
  }
}
