// Builders for small data files in the exact on-disk formats the loaders read, written into
// per-test temporary folders.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { execFileSync } from 'child_process';
import sharp from 'sharp';

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
export const SAMPLE_DIR = path.join(REPO_ROOT, 'data', 'sample');
export const FASHION_DIR = '/usr/share/datasets/fashion-mnist';

export function assertFashionMnistInstalled(): void {
  if (!fs.existsSync(path.join(FASHION_DIR, 'train-images-idx3-ubyte.gz'))) {
    throw new Error(`${FASHION_DIR} is missing: these tests need the real files (apt-get install -y dataset-fashion-mnist)`);
  }
}

/** A fresh temporary folder, removed when the test ends. */
export function tempDir(t: { teardown: (fn: () => void) => void }, prefix = 'nasgrow-data-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** An IDX file: big-endian magic and dims, then the bytes. */
export function idxBytes(magic: number, dims: number[], data: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, data]);
}

/** Deterministic pixel content that differs per example and per position. */
export function pattern(n: number, size: number, salt = 0): Uint8Array {
  const out = new Uint8Array(n * size);
  for (let i = 0; i < out.length; i++) out[i] = (i * 31 + salt * 17 + (i >> 7)) & 0xff;
  return out;
}

/** Writes MNIST-style IDX files for one split into `dir`. */
export function writeIdxSplit(dir: string, split: 'train' | 'test', images: Uint8Array, labels: Uint8Array, h: number, w: number, gzip: boolean): void {
  const prefix = split === 'train' ? 'train' : 't10k';
  const n = labels.length;
  const files: [string, Buffer][] = [
    [`${prefix}-images-idx3-ubyte`, idxBytes(2051, [n, h, w], images)],
    [`${prefix}-labels-idx1-ubyte`, idxBytes(2049, [n], labels)],
  ];
  for (const [name, bytes] of files) {
    if (gzip) fs.writeFileSync(path.join(dir, `${name}.gz`), zlib.gzipSync(bytes));
    else fs.writeFileSync(path.join(dir, name), bytes);
  }
}

/** CIFAR binary records: label bytes then 3072 pixel bytes each. */
export function cifarRecords(labelBytes: number[][], pixels: Uint8Array): Buffer {
  const parts: Buffer[] = [];
  labelBytes.forEach((lb, i) => {
    parts.push(Buffer.from(lb));
    parts.push(Buffer.from(pixels.subarray(i * 3072, (i + 1) * 3072)));
  });
  return Buffer.concat(parts);
}

/** Packs `members` of `dir` (default: all of it) with the system tar (GNU tar), in the given format. */
export function systemTar(dir: string, out: string, format: 'ustar' | 'gnu' | 'pax', gzip: boolean, members = ['.']): void {
  execFileSync('tar', [`--format=${format}`, gzip ? '-czf' : '-cf', out, '-C', dir, ...members], { stdio: 'pipe' });
}

/** Pixel (c, y, x) of image `id`: distinct for every image, channel and position. */
export const treePixel = (id: number, c: number, y: number, x: number) => (id * 37 + c * 71 + y * 13 + x * 3) & 0xff;

/** The RGB PNG of image `id` (pixels from treePixel), w x h. */
export async function pngBytes(id: number, w: number, h: number): Promise<Buffer> {
  const hwc = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < 3; c++) hwc[(y * w + x) * 3 + c] = treePixel(id, c, y, x);
  return sharp(hwc, { raw: { width: w, height: h, channels: 3 } }).png().toBuffer();
}

/** Writes `pngBytes(id, w, h)` to `file`, creating its folder. */
export async function writePng(file: string, id: number, w: number, h: number): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, await pngBytes(id, w, h));
}
