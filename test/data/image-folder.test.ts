// Image-folder datasets from real folders and from .tar.gz: class numbering, file order, exact pixels
// (PNG is lossless), greyscale, the decode cache, limits, and broken trees.
import test, { ExecutionContext } from 'ava';
import * as fs from 'fs';
import * as path from 'path';
import sharp from 'sharp';
import { loadImageFolder } from '../../src/data/image-folder';
import { listImageTree } from '../../src/data/image-tree';
import { DataError } from '../../src/data/errors';
import { systemTar, tempDir } from './fixtures';

const W = 5;
const H = 4;

/** Pixel (c, y, x) of image `id`: distinct for every image, channel and position. */
const pixel = (id: number, c: number, y: number, x: number) => (id * 37 + c * 71 + y * 13 + x * 3) & 0xff;

async function writePng(file: string, id: number, w = W, h = H): Promise<void> {
  const hwc = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < 3; c++) hwc[(y * w + x) * 3 + c] = pixel(id, c, y, x);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await sharp(hwc, { raw: { width: w, height: h, channels: 3 } }).png().toFile(file);
}

/**
 * root/train/{zebra: 10.png 2.png 1.png, ant: 1.png, moth: 3.png 20.png}, root/test/{ant: 5.png, zebra: 6.png}
 * Image ids are the file numbers plus 100 per class index in sorted order (ant 0, moth 1, zebra 2).
 */
async function writeTree(root: string): Promise<void> {
  const files: [string, string, number][] = [
    ['train', 'zebra', 10], ['train', 'zebra', 2], ['train', 'zebra', 1],
    ['train', 'ant', 1], ['train', 'moth', 20], ['train', 'moth', 3],
    ['test', 'ant', 5], ['test', 'zebra', 6],
  ];
  const classId: Record<string, number> = { ant: 0, moth: 1, zebra: 2 };
  for (const [split, cls, num] of files) await writePng(path.join(root, split, cls, `${num}.png`), classId[cls] * 100 + num);
  fs.writeFileSync(path.join(root, 'train', 'zebra', 'notes.txt'), 'not an image');
}

/** Expected CHW bytes of the listed image ids, in order. */
function expectedImages(ids: number[]): number[] {
  const out: number[] = [];
  for (const id of ids) for (let c = 0; c < 3; c++) for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) out.push(pixel(id, c, y, x));
  return out;
}

async function treeAndArchive(t: ExecutionContext): Promise<{ dir: string; root: string; archive: string }> {
  const dir = tempDir(t);
  const root = path.join(dir, 'shapes');
  await writeTree(root);
  const archive = path.join(dir, 'shapes.tar.gz');
  // Pack as "shapes/train/..." like cifar10-jpeg.tar.gz (a top folder inside the archive).
  systemTar(dir, archive, 'gnu', true, ['shapes']);
  return { dir, root, archive };
}

test('folder and .tar.gz give the same dataset: sorted classes, numeric file order, exact CHW pixels', async (t) => {
  const { root, archive } = await treeAndArchive(t);
  for (const p of [root, archive]) {
    const ds = await loadImageFolder({ path: p, split: 'train', cacheDir: false });
    t.deepEqual(ds.classNames, ['ant', 'moth', 'zebra']);
    t.deepEqual(ds.shape, [3, H, W]);
    t.is(ds.n, 6);
    t.deepEqual(Array.from(ds.labels), [0, 1, 1, 2, 2, 2]);
    t.deepEqual(Array.from(ds.images), expectedImages([1, 103, 120, 201, 202, 210]));
    t.is(ds.name, 'shapes');
    const testSplit = await loadImageFolder({ path: p, split: 'test', cacheDir: false });
    // 'moth' has no test images, yet keeps its number: classes come from both splits.
    t.deepEqual(testSplit.classNames, ['ant', 'moth', 'zebra']);
    t.deepEqual(Array.from(testSplit.labels), [0, 2]);
  }
  t.is((await listImageTree(archive, 'train')).source, `${archive}:shapes/train`);
  t.is((await listImageTree(root, 'train')).source, path.join(root, 'train'));
});

test('a given class order numbers the classes; it must match the folders', async (t) => {
  const { root } = await treeAndArchive(t);
  const ds = await loadImageFolder({ path: root, split: 'train', classOrder: ['zebra', 'ant', 'moth'], cacheDir: false });
  t.deepEqual(Array.from(ds.labels), [0, 0, 0, 1, 2, 2]);
  t.deepEqual(Array.from(ds.images.subarray(0, 3 * H * W)), expectedImages([201]));
  let e = await t.throwsAsync(loadImageFolder({ path: root, split: 'train', classOrder: ['zebra', 'ant'], cacheDir: false }), { instanceOf: DataError });
  t.regex(e!.message, /class folder\(s\) moth not in the class order given/);
  e = await t.throwsAsync(loadImageFolder({ path: root, split: 'train', classOrder: ['zebra', 'ant', 'moth', 'yak'], cacheDir: false }), { instanceOf: DataError });
  t.regex(e!.message, /no folder for class\(es\) yak/);
});

test('greyscale decoding gives one channel', async (t) => {
  const dir = tempDir(t);
  const grey = Buffer.alloc(W * H * 3);
  for (let i = 0; i < W * H; i++) grey.fill(i * 10, 3 * i, 3 * i + 3); // R = G = B
  for (const cls of ['a', 'b']) {
    fs.mkdirSync(path.join(dir, 'train', cls), { recursive: true });
    await sharp(grey, { raw: { width: W, height: H, channels: 3 } }).png().toFile(path.join(dir, 'train', cls, '0.png'));
  }
  const ds = await loadImageFolder({ path: dir, split: 'train', channels: 1, cacheDir: false });
  t.deepEqual(ds.shape, [1, H, W]);
  for (let i = 0; i < W * H; i++) t.true(Math.abs(ds.images[i] - i * 10) <= 1, `pixel ${i}: ${ds.images[i]}`);
});

test('JPEG pixels land in CHW order exactly as sharp decodes them', async (t) => {
  const dir = tempDir(t);
  const hwc = Buffer.alloc(8 * 8 * 3);
  for (let i = 0; i < hwc.length; i++) hwc[i] = (i * 7) & 0xff;
  const jpeg = await sharp(hwc, { raw: { width: 8, height: 8, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
  fs.mkdirSync(path.join(dir, 'test', 'x'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'test', 'x', '0.jpg'), jpeg);
  const ref = await sharp(jpeg).raw().toBuffer();
  const ds = await loadImageFolder({ path: dir, split: 'test', cacheDir: false });
  for (let c = 0; c < 3; c++) for (let p = 0; p < 64; p++) if (ds.images[c * 64 + p] !== ref[p * 3 + c]) return t.fail(`c ${c} p ${p}`);
  t.pass();
});

test('decode cache: the second load reads the cache; a changed image or archive is decoded again', async (t) => {
  const { root, archive } = await treeAndArchive(t);
  const cacheDir = tempDir(t);
  for (const p of [root, archive]) {
    const messages: string[] = [];
    const log = (m: string) => messages.push(m);
    const first = await loadImageFolder({ path: p, split: 'train', cacheDir, log });
    t.true(messages.some((m) => m.startsWith('decoding 6 images')), messages.join('; '));
    messages.length = 0;
    const second = await loadImageFolder({ path: p, split: 'train', cacheDir, log });
    t.true(messages.some((m) => m.startsWith('loaded 6 decoded images from cache')), messages.join('; '));
    t.deepEqual(Array.from(second.images), Array.from(first.images));
    t.deepEqual(Array.from(second.labels), Array.from(first.labels));
    t.deepEqual(second.classNames, first.classNames);
    t.is(second.source, first.source);
    // Another split or setting is another cache entry.
    messages.length = 0;
    await loadImageFolder({ path: p, split: 'train', cacheDir, log, limit: 3 });
    t.true(messages.some((m) => m.startsWith('decoding 3 images')), messages.join('; '));
  }
  // Change one image: its mtime and content change, so the folder misses the cache.
  await writePng(path.join(root, 'train', 'ant', '1.png'), 77);
  const messages: string[] = [];
  const changed = await loadImageFolder({ path: root, split: 'train', cacheDir, log: (m) => messages.push(m) });
  t.true(messages.some((m) => m.startsWith('decoding')));
  t.deepEqual(Array.from(changed.images.subarray(0, 3 * H * W)), expectedImages([77]));
  // Touch the archive: new mtime, so it misses too.
  const later = new Date(Date.now() + 5000);
  fs.utimesSync(archive, later, later);
  messages.length = 0;
  await loadImageFolder({ path: archive, split: 'train', cacheDir, log: (m) => messages.push(m) });
  t.true(messages.some((m) => m.startsWith('decoding')));
});

test('limit decodes only a stratified subset', async (t) => {
  const { root } = await treeAndArchive(t);
  const ds = await loadImageFolder({ path: root, split: 'train', limit: 4, cacheDir: false });
  // Round 1: ant 1, moth 3, zebra 1; round 2: moth 20 (ant has no second image).
  t.deepEqual(Array.from(ds.labels), [0, 1, 1, 2]);
  t.deepEqual(Array.from(ds.images), expectedImages([1, 103, 120, 201]));
  const first = await loadImageFolder({ path: root, split: 'train', limit: 2, limitMode: 'first', cacheDir: false });
  t.deepEqual(Array.from(first.labels), [0, 1]);
});

test('broken trees: mixed sizes, corrupt image, missing split or folder; errors name the file', async (t) => {
  const { root } = await treeAndArchive(t);
  const odd = path.join(root, 'train', 'moth', '3.png');
  await writePng(odd, 5, W + 1, H);
  let e = await t.throwsAsync(loadImageFolder({ path: root, split: 'train', cacheDir: false, concurrency: 1 }), { instanceOf: DataError });
  t.true(e!.message.startsWith(odd), e!.message);
  t.regex(e!.message, /is 6x4, but the first image .* is 5x4/);

  const bytes = fs.readFileSync(path.join(root, 'train', 'ant', '1.png'));
  const corrupt = path.join(root, 'train', 'zebra', '2.png');
  fs.writeFileSync(corrupt, bytes.subarray(0, 40));
  await writePng(odd, 5);
  e = await t.throwsAsync(loadImageFolder({ path: root, split: 'train', cacheDir: false }), { instanceOf: DataError });
  t.true(e!.message.startsWith(corrupt), e!.message);
  t.regex(e!.message, /cannot decode image/);

  fs.rmSync(path.join(root, 'test'), { recursive: true });
  e = await t.throwsAsync(loadImageFolder({ path: root, split: 'test', cacheDir: false }), { instanceOf: DataError });
  t.true(e!.message.startsWith(path.join(root, 'test')));
  t.regex(e!.message, /no 'test' folder/);

  const missing = path.join(root, 'nope');
  e = await t.throwsAsync(loadImageFolder({ path: missing, split: 'train', cacheDir: false }), { instanceOf: DataError });
  t.true(e!.message.startsWith(missing));
  e = await t.throwsAsync(loadImageFolder({ path: `${missing}.tar.gz`, split: 'train', cacheDir: false }), { instanceOf: DataError });
  t.regex(e!.message, /archive not found/);
});
