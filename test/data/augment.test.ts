// Crop-with-padding and flip against hand-computed results and against a direct reference (pad the
// raw image with zeros, crop, flip, normalise); normalisation tables and statistics.
import test from 'ava';
import { ExampleView, PAPER_AUGMENT, drawView, writeExample } from '../../src/data/augment';
import { channelStats, normalizationTable } from '../../src/data/normalize';
import { Dataset } from '../../src/data/dataset';
import { Rng } from '../../src/util/rng';

// 1 channel, 3 rows, 4 columns, pixel values 1..12 row by row.
const SRC = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
// A table that keeps values readable: v -> 10 v + 0.5, so zero padding shows as 0.5.
const LUT = Float32Array.from({ length: 256 }, (_, v) => 10 * v + 0.5);
const Z = 0.5;
const px = (vals: number[]) => vals.map((v) => (v === 0 ? Z : 10 * v + 0.5));

function run(view: ExampleView, pad: number): number[] {
  const out = new Float32Array(12).fill(NaN);
  writeExample(SRC, 0, [1, 3, 4], LUT, view, pad, out, 0);
  return Array.from(out);
}

test('no shift, no flip: a plain normalised copy', (t) => {
  t.deepEqual(run({ top: 1, left: 1, flip: false }, 1), px([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]));
  t.deepEqual(run({ top: 0, left: 0, flip: false }, 0), px([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]));
});

test('crop of the zero-padded image, hand computed', (t) => {
  // pad 1, top 0, left 2: out[y][x] = src[y-1][x+1]
  t.deepEqual(run({ top: 0, left: 2, flip: false }, 1), px([0, 0, 0, 0, 2, 3, 4, 0, 6, 7, 8, 0]));
  // pad 2, top 4, left 0: out[y][x] = src[y+2][x-2]
  t.deepEqual(run({ top: 4, left: 0, flip: false }, 2), px([0, 0, 9, 10, 0, 0, 0, 0, 0, 0, 0, 0]));
});

test('flip alone, and crop then flip, hand computed', (t) => {
  t.deepEqual(run({ top: 0, left: 0, flip: true }, 0), px([4, 3, 2, 1, 8, 7, 6, 5, 12, 11, 10, 9]));
  // pad 1, top 2, left 0, flipped: out[y][x] = src[y+1][(3-x)-1]
  t.deepEqual(run({ top: 2, left: 0, flip: true }, 1), px([7, 6, 5, 0, 11, 10, 9, 0, 0, 0, 0, 0]));
});

/** Reference: build the padded raw image, crop at (top, left), flip, look up. */
function reference(src: Uint8Array, shape: [number, number, number], lut: Float32Array, v: ExampleView, pad: number): number[] {
  const [c, h, w] = shape;
  const ph = h + 2 * pad;
  const pw = w + 2 * pad;
  const padded = new Uint8Array(c * ph * pw);
  for (let ch = 0; ch < c; ch++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) padded[(ch * ph + y + pad) * pw + x + pad] = src[(ch * h + y) * w + x];
  const out: number[] = [];
  for (let ch = 0; ch < c; ch++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const cx = v.flip ? w - 1 - x : x;
        out.push(lut[ch * 256 + padded[(ch * ph + y + v.top) * pw + cx + v.left]]);
      }
    }
  }
  return out;
}

test('every view of a 3x8x7 image matches the pad-crop-flip reference', (t) => {
  const shape: [number, number, number] = [3, 8, 7];
  const src = Uint8Array.from({ length: 3 * 8 * 7 }, (_, i) => 1 + ((i * 53) % 255));
  const lut = normalizationTable({ mean: [0.49, 0.48, 0.45], std: [0.25, 0.24, 0.26] }, 3);
  const pad = 4;
  const out = new Float32Array(src.length + 10);
  for (let top = 0; top <= 2 * pad; top++) {
    for (let left = 0; left <= 2 * pad; left++) {
      for (const flip of [false, true]) {
        const view = { top, left, flip };
        writeExample(src, 0, shape, lut, view, pad, out, 10);
        t.deepEqual(Array.from(out.subarray(10)), reference(src, shape, lut, view, pad), JSON.stringify(view));
      }
    }
  }
});

test('padding follows torchvision: raw 0 is normalised, so padded pixels are (0 - mean) / std', (t) => {
  const lut = normalizationTable({ mean: [0.5], std: [0.25] }, 1);
  const out = new Float32Array(12);
  writeExample(SRC, 0, [1, 3, 4], lut, { top: 0, left: 0, flip: false }, 1, out, 0);
  t.is(out[0], -2); // (0 - 0.5) / 0.25
  t.is(out[5], Math.fround(Math.fround(Math.fround(1 / 255) - 0.5) / 0.25)); // src[0][0]
});

test('normalisation table matches torchvision arithmetic and rejects bad inputs', (t) => {
  const lut = normalizationTable({ mean: [0.4914, 0.4822], std: [0.247, 0.2435] }, 2);
  t.is(lut.length, 512);
  t.true(Math.abs(lut[255] - (1 - 0.4914) / 0.247) < 1e-6);
  t.true(Math.abs(lut[256 + 128] - (128 / 255 - 0.4822) / 0.2435) < 1e-6);
  t.throws(() => normalizationTable({ mean: [0.5], std: [0.5] }, 3), { message: /1 means and 1 stds for 3 channel/ });
  t.throws(() => normalizationTable({ mean: [0.5], std: [0] }, 1), { message: /std must be > 0/ });
});

test('drawView: offsets cover 0..2*padding, flips are about half, disabled parts draw nothing', (t) => {
  const rng = new Rng(3);
  const tops = new Set<number>();
  let flips = 0;
  for (let i = 0; i < 4000; i++) {
    const v = drawView(rng, PAPER_AUGMENT);
    tops.add(v.top);
    t.true(v.left >= 0 && v.left <= 8);
    if (v.flip) flips++;
  }
  t.deepEqual([...tops].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8]);
  t.true(flips > 1800 && flips < 2200, `${flips}`);
  const a = new Rng(9);
  const b = new Rng(9);
  t.deepEqual(drawView(a, { cropPadding: 0, flip: false }), { top: 0, left: 0, flip: false });
  t.is(a.nextU32(), b.nextU32()); // nothing was drawn
});

test('channelStats: exact per-channel mean and population std', (t) => {
  // Two 1x2 two-channel examples: channel 0 values 0, 255, 0, 255; channel 1 51, 102, 51, 102.
  const ds: Dataset = {
    name: 't', images: Uint8Array.from([0, 255, 51, 102, 0, 255, 51, 102]), labels: new Uint8Array(2), n: 2,
    shape: [2, 1, 2], classes: 1, classNames: ['x'], source: 'test',
  };
  const s = channelStats(ds);
  t.deepEqual(s.mean, [0.5, 0.3]);
  t.deepEqual(s.std, [0.5, 0.1]);
  // A constant channel (std 0) is refused: test/data/faults.test.ts, kind 6.
  t.throws(() => channelStats({ ...ds, images: Uint8Array.from([0, 255, 51, 51, 0, 255, 51, 51]) }), { message: /channel 1 \(of 2\) is constant/ });
});
