// Bad input the person running nasgrow can fix must end in a DataError that names the file or folder
// and says what to do, never in silently wrong data or an unnamed crash. One section per kind of
// fault: splits of different shapes, empty class folders, undecodable images, OS leftovers in image
// trees, image-folder archives, constant channels, label ranges.
import test, { ExecutionContext } from 'ava';
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { Dataset } from '../../src/data/dataset';
import { DataError } from '../../src/data/errors';
import { checkDataset, checkSplitsMatch } from '../../src/data/checks';
import { loadDataset } from '../../src/data/load-dataset';
import { loadImageFolder } from '../../src/data/image-folder';
import { loadMnist } from '../../src/data/mnist';
import { isNotData } from '../../src/data/not-data';
import { channelStats, checkNormalizationChannels } from '../../src/data/normalize';
import * as dataIndex from '../../src/data';
import { SAMPLE_DIR, idxBytes, pattern, systemTar, tempDir, writeIdxSplit, writePng } from './fixtures';

function tiny(over: Partial<Dataset> = {}): Dataset {
  const n = 3;
  return {
    name: 'tiny',
    images: Uint8Array.from({ length: n * 12 }, (_, i) => i),
    labels: Uint8Array.from([0, 1, 2]),
    n,
    shape: [3, 2, 2],
    classes: 3,
    classNames: ['a', 'b', 'c'],
    source: '/data/tiny',
    ...over,
  };
}

// ---- 1. training and test splits of different shapes -------------------------------------------

/** The bundled Fashion-MNIST sample with its test images zero-padded from 28x28 to 32x32. */
function paddedFashionMnist(t: ExecutionContext): string {
  const src = path.join(SAMPLE_DIR, 'fashion-mnist');
  const dir = tempDir(t);
  for (const f of ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-labels-idx1-ubyte.gz']) fs.copyFileSync(path.join(src, f), path.join(dir, f));
  const idx = zlib.gunzipSync(fs.readFileSync(path.join(src, 't10k-images-idx3-ubyte.gz')));
  const n = idx.readUInt32BE(4);
  const padded = new Uint8Array(n * 32 * 32);
  for (let i = 0; i < n; i++) {
    for (let y = 0; y < 28; y++) padded.set(idx.subarray(16 + i * 784 + y * 28, 16 + i * 784 + (y + 1) * 28), i * 1024 + (y + 2) * 32 + 2);
  }
  fs.writeFileSync(path.join(dir, 't10k-images-idx3-ubyte.gz'), zlib.gzipSync(idxBytes(2051, [n, 32, 32], padded)));
  return dir;
}

test('1: a test split of another image shape is refused, naming both sources and both shapes', async (t) => {
  const dir = paddedFashionMnist(t);
  const train = await loadDataset({ kind: 'fashion-mnist', path: dir, split: 'train' });
  const testSplit = await loadDataset({ kind: 'fashion-mnist', path: dir, split: 'test' });
  const e = t.throws(() => checkSplitsMatch(train, testSplit), { instanceOf: DataError });
  for (const part of [train.source, testSplit.source, '1x28x28', '1x32x32']) t.true(e!.message.includes(part), `${part} missing from: ${e!.message}`);
  t.notThrows(() => checkSplitsMatch(train, train));
  // The caller (src/train/data-setup.ts) imports it from the layer's index.
  t.is(dataIndex.checkSplitsMatch, checkSplitsMatch);
});

test('1: channel count, class count and class names must agree across splits', (t) => {
  const train = tiny({ source: '/data/train' });
  const cases: [Partial<Dataset>, RegExp][] = [
    [{ shape: [1, 2, 2], images: new Uint8Array(12), labels: Uint8Array.from([0, 1, 2]) }, /1 channel.*3 channels|3x2x2.*1x2x2|1x2x2.*3x2x2/],
    [{ classes: 4, classNames: ['a', 'b', 'c', 'd'] }, /4 classes.*3 classes|3 classes.*4 classes/],
    [{ classNames: ['a', 'c', 'b'] }, /class names/],
  ];
  for (const [over, re] of cases) {
    const other = tiny({ source: '/data/test', ...over });
    const e = t.throws(() => checkSplitsMatch(train, other), { instanceOf: DataError });
    t.regex(e!.message, re);
    t.true(e!.message.includes('/data/train') && e!.message.includes('/data/test'), e!.message);
  }
});

test('1: no loader returns a dataset whose bytes disagree with its shape', (t) => {
  // The final guard every loader runs.
  const cases: [Partial<Dataset>, RegExp][] = [
    [{ images: new Uint8Array(35) }, /35 image bytes.*3 examples of 3x2x2 need 36/],
    [{ labels: Uint8Array.from([0, 1]) }, /2 labels for 3 examples/],
    [{ n: 0, images: new Uint8Array(0), labels: new Uint8Array(0) }, /no examples/],
    [{ shape: [3, 0, 2], images: new Uint8Array(0) }, /image shape 3x0x2/],
    [{ classNames: ['a', 'b'] }, /2 class names for 3 classes/],
    [{ labels: Uint8Array.from([0, 3, 1]) }, /bad label value 3 at example 1/],
  ];
  for (const [over, re] of cases) {
    const e = t.throws(() => checkDataset(tiny(over)), { instanceOf: DataError });
    t.true(e!.message.startsWith('/data/tiny'), e!.message);
    t.regex(e!.message, re);
  }
  t.notThrows(() => checkDataset(tiny()));
});

test('1: IDX files with a zero dimension are refused, not loaded as an empty dataset', (t) => {
  for (const [dims, re] of [[[0, 3, 3], /holds no images/], [[2, 0, 3], /images of 0x3 pixels/]] as const) {
    const dir = tempDir(t);
    writeIdxSplit(dir, 'train', pattern(2, 9), Uint8Array.from([0, 1]), 3, 3, false);
    const file = path.join(dir, 'train-images-idx3-ubyte');
    fs.writeFileSync(file, idxBytes(2051, [...dims], new Uint8Array(0)));
    if (dims[0] === 0) fs.writeFileSync(path.join(dir, 'train-labels-idx1-ubyte'), idxBytes(2049, [0], new Uint8Array(0)));
    const e = t.throws(() => loadMnist(dir, 'train'), { instanceOf: DataError });
    t.true(e!.message.startsWith(file), e!.message);
    t.regex(e!.message, re);
  }
});

test('1: a label count mismatch names both IDX files by path', (t) => {
  const dir = tempDir(t);
  writeIdxSplit(dir, 'train', pattern(4, 9), Uint8Array.from([0, 1, 2, 3]), 3, 3, false);
  fs.writeFileSync(path.join(dir, 'train-labels-idx1-ubyte'), idxBytes(2049, [3], Uint8Array.from([0, 1, 2])));
  const e = t.throws(() => loadMnist(dir, 'train'), { instanceOf: DataError });
  t.true(e!.message.includes(path.join(dir, 'train-images-idx3-ubyte')), e!.message);
});

// ---- 2. empty class folders ---------------------------------------------------------------------

const W = 5;
const H = 4;

/** Messages passed to a loader's `log`. */
function logger(): { log: (m: string) => void; lines: string[] } {
  const lines: string[] = [];
  return { log: (m) => lines.push(m), lines };
}

/** root/{train,test}/{ant,bee}/ with 2 + 1 images each, plus `extra` (split/class -> image count). */
async function smallTree(root: string, extra: Record<string, number> = {}): Promise<void> {
  let id = 0;
  const counts: Record<string, number> = { 'train/ant': 2, 'train/bee': 2, 'test/ant': 1, 'test/bee': 1, ...extra };
  for (const [where, count] of Object.entries(counts)) {
    fs.mkdirSync(path.join(root, where), { recursive: true });
    for (let i = 0; i < count; i++) await writePng(path.join(root, where, `${i}.png`), id++, W, H);
  }
}

test('2: a class folder without images in either split is an error naming the empty folders', async (t) => {
  const dir = tempDir(t);
  const root = path.join(dir, 'tree');
  await smallTree(root, { 'train/cat': 0, 'test/cat': 0 });
  fs.writeFileSync(path.join(root, 'train', 'cat', '.DS_Store'), 'leftover'); // not an image either
  const archive = path.join(dir, 'tree.tar.gz');
  systemTar(dir, archive, 'gnu', true, ['tree']);
  for (const [p, folders] of [
    [root, [path.join(root, 'train', 'cat'), path.join(root, 'test', 'cat')]],
    [archive, [`${archive}:tree/train/cat`, `${archive}:tree/test/cat`]],
  ] as const) {
    for (const split of ['train', 'test'] as const) {
      const e = await t.throwsAsync(loadImageFolder({ path: p, split, cacheDir: false }), { instanceOf: DataError });
      for (const f of folders) t.true(e!.message.includes(f), `${f} missing from: ${e!.message}`);
      t.regex(e!.message, /no images in either split/);
      t.regex(e!.message, /remove the empty folders or add .*images to them/);
    }
  }
});

test('2: a class empty in one split only is a warning through log, naming the folder', async (t) => {
  const dir = tempDir(t);
  const root = path.join(dir, 'tree');
  await smallTree(root, { 'train/cat': 2, 'test/cat': 0 });
  const archive = path.join(dir, 'tree.tar');
  systemTar(dir, archive, 'ustar', false, ['tree']);
  for (const [p, folder] of [[root, path.join(root, 'test', 'cat')], [archive, `${archive}:tree/test/cat`]] as const) {
    const onTest = logger();
    const testSplit = await loadImageFolder({ path: p, split: 'test', cacheDir: false, log: onTest.log });
    t.deepEqual(testSplit.classNames, ['ant', 'bee', 'cat']);
    const warning = onTest.lines.filter((l) => l.startsWith('warning'));
    t.is(warning.length, 1, onTest.lines.join('\n'));
    t.true(warning[0].includes(folder), warning[0]);
    t.regex(warning[0], /class 'cat' has no test images/);
    // The training split has images of every class: nothing to say there.
    const onTrain = logger();
    await loadImageFolder({ path: p, split: 'train', cacheDir: false, log: onTrain.log });
    t.deepEqual(onTrain.lines.filter((l) => l.startsWith('warning')), []);
  }
  // The warning comes back on a load from the decode cache.
  const cacheDir = tempDir(t);
  for (let k = 0; k < 2; k++) {
    const { log, lines } = logger();
    await loadImageFolder({ path: archive, split: 'test', cacheDir, log });
    t.true(lines.some((l) => l.startsWith('warning') && l.includes(`${archive}:tree/test/cat`)), lines.join('\n'));
  }
});

// ---- 3. zero-byte and undecodable images --------------------------------------------------------

test('3: a zero-byte or undecodable image is a DataError naming it, in folders and archives', async (t) => {
  const dir = tempDir(t);
  const root = path.join(dir, 'tree');
  await smallTree(root);
  const empty = path.join(root, 'train', 'bee', '1.png');
  fs.writeFileSync(empty, Buffer.alloc(0));
  let e = await t.throwsAsync(loadImageFolder({ path: root, split: 'train', cacheDir: false }), { instanceOf: DataError });
  t.true(e!.message.startsWith(empty), e!.message);
  t.regex(e!.message, /is empty \(0 bytes\)/);
  const archive = path.join(dir, 'tree.tgz');
  systemTar(dir, archive, 'pax', true, ['tree']);
  e = await t.throwsAsync(loadImageFolder({ path: archive, split: 'train', cacheDir: false }), { instanceOf: DataError });
  t.true(e!.message.startsWith(`${archive}:tree/train/bee/1.png`), e!.message);

  // Two bad images: the first in dataset order is the one reported, however the decodes interleave.
  await writePng(empty, 99, W, H);
  const garbage = path.join(root, 'train', 'ant', '1.png');
  fs.writeFileSync(garbage, Buffer.from('not a png at all'));
  fs.writeFileSync(path.join(root, 'train', 'bee', '0.png'), Buffer.from('neither'));
  for (const concurrency of [1, 4]) {
    e = await t.throwsAsync(loadImageFolder({ path: root, split: 'train', cacheDir: false, concurrency }), { instanceOf: DataError });
    t.true(e!.message.startsWith(garbage), e!.message);
    t.regex(e!.message, /cannot decode image/);
  }
});

// ---- 4. entries that are not data ---------------------------------------------------------------

test('4: the not-data rule: hidden names and OS leftovers', (t) => {
  for (const name of ['.DS_Store', 'Thumbs.db', 'thumbs.db', 'desktop.ini', 'Desktop.ini', '.ipynb_checkpoints', '__MACOSX', '._0.png', '.hidden', '.git']) t.true(isNotData(name), name);
  for (const name of ['0.png', 'cat', 'train', '_0.png', 'a.DS_Store', 'MACOSX', 'thumbs.db.png']) t.false(isNotData(name), name);
});

/** Adds the usual leftovers of macOS, Windows and Jupyter at every level of `root` (a tree of smallTree). */
function addLeftovers(root: string): void {
  const appleDouble = Buffer.concat([Buffer.from([0x00, 0x05, 0x16, 0x07]), Buffer.alloc(60, 1)]);
  const put = (rel: string, bytes: Buffer | string) => {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), bytes);
  };
  put('.DS_Store', 'x');
  put('train/.DS_Store', 'x');
  put('train/ant/.DS_Store', 'x');
  put('train/ant/._0.png', appleDouble); // AppleDouble: "cannot decode" before the rule
  put('test/bee/._0.png', appleDouble);
  put('train/bee/Thumbs.db', 'x');
  put('test/ant/desktop.ini', 'x');
  put('train/.ipynb_checkpoints/0-checkpoint.png', 'x'); // would be a class folder
  put('train/ant/.ipynb_checkpoints/0-checkpoint.png', 'x');
  put('train/__MACOSX/0.png', 'x');
  put('__MACOSX/tree/train/ant/._0.png', appleDouble); // how macOS zips and tars carry resource forks
  put('train/.hidden/0.png', 'x');
}

test('4: leftovers are skipped the same way in a folder, a .tar and a .tar.gz', async (t) => {
  const dir = tempDir(t);
  const clean = path.join(dir, 'clean', 'tree');
  await smallTree(clean);
  const messy = path.join(dir, 'messy', 'tree');
  await smallTree(messy);
  addLeftovers(messy);
  const tarFile = path.join(dir, 'messy.tar');
  const tgzFile = path.join(dir, 'messy.tar.gz');
  // Packed from inside the tree's parent with '__MACOSX' beside 'tree', as macOS archivers do.
  fs.renameSync(path.join(messy, '__MACOSX'), path.join(dir, 'messy', '__MACOSX'));
  systemTar(path.join(dir, 'messy'), tarFile, 'gnu', false);
  systemTar(path.join(dir, 'messy'), tgzFile, 'gnu', true);
  for (const split of ['train', 'test'] as const) {
    const want = await loadImageFolder({ path: clean, split, cacheDir: false });
    for (const p of [messy, tarFile, tgzFile]) {
      const { log, lines } = logger();
      const got = await loadImageFolder({ path: p, split, cacheDir: false, log });
      t.deepEqual(got.classNames, ['ant', 'bee'], p);
      t.deepEqual(Array.from(got.labels), Array.from(want.labels), p);
      t.true(Buffer.from(got.images).equals(Buffer.from(want.images)), p);
      t.deepEqual(lines.filter((l) => l.startsWith('warning')), [], p); // skipped without a word: they are not data
    }
  }
});

test('4: other files in class folders are skipped with a warning that names them', async (t) => {
  const root = path.join(tempDir(t), 'tree');
  await smallTree(root);
  fs.writeFileSync(path.join(root, 'train', 'ant', 'notes.txt'), 'x');
  fs.writeFileSync(path.join(root, 'train', 'bee', '2.gif'), 'x');
  const { log, lines } = logger();
  await loadImageFolder({ path: root, split: 'train', cacheDir: false, log });
  const warnings = lines.filter((l) => l.startsWith('warning'));
  t.is(warnings.length, 1, lines.join('\n'));
  t.regex(warnings[0], /skipped 2 files that are not \.jpg\/\.jpeg\/\.png images in /);
  t.true(warnings[0].includes(path.join(root, 'train', 'bee', '2.gif')), warnings[0]);
});

test('4: symbolic links to class folders and images are followed; a dangling one is named', async (t) => {
  const dir = tempDir(t);
  const root = path.join(dir, 'tree');
  await smallTree(root);
  await writePng(path.join(dir, 'elsewhere', 'cat', '0.png'), 50, W, H);
  await writePng(path.join(dir, 'elsewhere', 'one.png'), 51, W, H);
  fs.symlinkSync(path.join(dir, 'elsewhere', 'cat'), path.join(root, 'train', 'cat'));
  fs.symlinkSync(path.join(dir, 'elsewhere', 'one.png'), path.join(root, 'train', 'ant', '9.png'));
  const ds = await loadImageFolder({ path: root, split: 'train', cacheDir: false });
  t.deepEqual(ds.classNames, ['ant', 'bee', 'cat']);
  t.deepEqual(Array.from(ds.labels), [0, 0, 0, 1, 1, 2]);
  const dangling = path.join(root, 'train', 'bee', '7.png');
  fs.symlinkSync(path.join(dir, 'gone.png'), dangling);
  const e = await t.throwsAsync(loadImageFolder({ path: root, split: 'train', cacheDir: false }), { instanceOf: DataError });
  t.true(e!.message.startsWith(dangling), e!.message);
  t.regex(e!.message, /broken symbolic link/);
});

// ---- 5. image-folder datasets as archives -------------------------------------------------------

test('5: image-folder takes .tar, .tgz and .tar.gz like cifar10 does', async (t) => {
  const dir = tempDir(t);
  await smallTree(path.join(dir, 'tree'));
  const want = await loadDataset({ kind: 'image-folder', path: path.join(dir, 'tree'), split: 'train', cacheDir: false });
  for (const [name, gzip] of [['a.tar', false], ['a.tgz', true], ['a.tar.gz', true], ['A.TAR.GZ', true]] as const) {
    const archive = path.join(dir, name);
    systemTar(dir, archive, 'gnu', gzip, ['tree']);
    const ds = await loadDataset({ kind: 'image-folder', path: archive, split: 'train', cacheDir: false });
    t.true(Buffer.from(ds.images).equals(Buffer.from(want.images)), name);
    t.is(ds.name, name.slice(0, 1), name);
    t.true(ds.source.startsWith(`${archive}:tree/train`), ds.source);
  }
});

test('5: an image stored as a link inside an archive is an error naming it, not silently left out', async (t) => {
  const dir = tempDir(t);
  const root = path.join(dir, 'tree');
  await smallTree(root);
  // A second name for one file: GNU tar stores it as a hard link member without data.
  fs.linkSync(path.join(root, 'train', 'ant', '0.png'), path.join(root, 'train', 'ant', '7.png'));
  const archive = path.join(dir, 'tree.tar.gz');
  systemTar(dir, archive, 'gnu', true, ['tree']);
  // The folder itself is fine: the link is just another file there.
  t.is((await loadImageFolder({ path: root, split: 'train', cacheDir: false })).n, 5);
  const e = await t.throwsAsync(loadImageFolder({ path: archive, split: 'train', cacheDir: false }), { instanceOf: DataError });
  t.regex(e!.message, new RegExp(`^${archive.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:tree/train/ant/(0|7)\\.png: is a link inside the archive`));
  t.regex(e!.message, /--hard-dereference/);
});

// ---- 6. normalisation ---------------------------------------------------------------------------

test('6: a constant channel is a DataError naming the source and the channel', (t) => {
  const images = Uint8Array.from({ length: 36 }, (_, i) => ((i % 12) >= 4 && (i % 12) < 8 ? 17 : i)); // channel 1 is all 17
  const e = t.throws(() => channelStats(tiny({ images, source: '/data/flat' })), { instanceOf: DataError });
  t.true(e!.message.startsWith('/data/flat'), e!.message);
  t.regex(e!.message, /channel 1 .*is constant \(every pixel is 17\)/);
  t.regex(e!.message, /data\.normalize/);
  t.notThrows(() => channelStats(tiny()));
});

test('6: a normalisation with another channel count than the images is a DataError naming both counts', (t) => {
  const ds = tiny({ source: '/data/rgb' });
  const e = t.throws(() => checkNormalizationChannels({ mean: [0.5], std: [0.25] }, ds), { instanceOf: DataError });
  t.true(e!.message.startsWith('/data/rgb'), e!.message);
  t.regex(e!.message, /1 mean and 1 std.*3 channels/);
  t.throws(() => checkNormalizationChannels({ mean: [0.5, 0.5, 0.5], std: [0.2, 0, 0.2] }, ds), { instanceOf: DataError, message: /std.*channel 1.*0/ });
  t.notThrows(() => checkNormalizationChannels({ mean: [0.5, 0.5, 0.5], std: [0.2, 0.2, 0.2] }, ds));
  t.is(dataIndex.checkNormalizationChannels, checkNormalizationChannels);
});

// ---- 7. labels ----------------------------------------------------------------------------------

test('7: a decode cache with an out-of-range label is not used: the images are decoded again', async (t) => {
  const dir = tempDir(t);
  const root = path.join(dir, 'tree');
  await smallTree(root);
  const cacheDir = path.join(dir, 'cache');
  const first = await loadImageFolder({ path: root, split: 'train', cacheDir });
  const [file] = fs.readdirSync(cacheDir);
  const bytes = fs.readFileSync(path.join(cacheDir, file));
  bytes[bytes.length - 1] = 200; // the last label
  fs.writeFileSync(path.join(cacheDir, file), bytes);
  const { log, lines } = logger();
  const again = await loadImageFolder({ path: root, split: 'train', cacheDir, log });
  t.deepEqual(Array.from(again.labels), Array.from(first.labels));
  t.true(lines.some((l) => l.startsWith('decoding')), lines.join('\n'));
});

test('7: image-folder and IDX and CIFAR loaders all run the label check', async (t) => {
  const dir = tempDir(t);
  writeIdxSplit(dir, 'test', pattern(2, 4), Uint8Array.from([1, 10]), 2, 2, true);
  const e = await t.throwsAsync(loadDataset({ kind: 'mnist', path: dir, split: 'test' }), { instanceOf: DataError });
  t.true(e!.message.startsWith(path.join(dir, 't10k-labels-idx1-ubyte.gz')), e!.message);
  t.regex(e!.message, /bad label value 10 at example 1, expected 0\.\.9/);
  const c10Dir = path.join(dir, 'cifar-10-batches-bin');
  fs.mkdirSync(c10Dir);
  const c10 = path.join(c10Dir, 'test_batch.bin');
  fs.writeFileSync(c10, Buffer.concat([Buffer.from([12]), Buffer.alloc(3072)]));
  const e2 = await t.throwsAsync(loadDataset({ kind: 'cifar10', path: dir, split: 'test' }), { instanceOf: DataError });
  t.true(e2!.message.startsWith(c10), e2!.message);
  t.regex(e2!.message, /bad label value 12/);
});

// ---- 8. files that are not regular files ---------------------------------------------------------

/**
 * loadDataset(spec) in a child process with a time limit: opening a FIFO blocks node's main thread, so
 * a load that hangs must not take the test runner with it, but fail the test.
 */
function loadInChild(spec: object): { hung: boolean; error: { message: string; dataError: boolean } | null } {
  const data = path.join(__dirname, '..', '..', 'src', 'data');
  const script = `const d = require(${JSON.stringify(data)});
d.loadDataset(${JSON.stringify(spec)}).then(
  () => console.log(JSON.stringify(null)),
  (e) => console.log(JSON.stringify({ message: e.message, dataError: e instanceof d.DataError })));`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000 });
  if (r.signal !== null) return { hung: true, error: null };
  return { hung: false, error: JSON.parse(r.stdout) as { message: string; dataError: boolean } | null };
}

test('8: a FIFO or a link to a device as a data file is refused naming it, never read (no hang)', (t) => {
  const dir = tempDir(t);
  // MNIST: the training images file is a named pipe (opening it would wait for a writer forever)
  const mnist = path.join(dir, 'mnist');
  fs.mkdirSync(mnist);
  writeIdxSplit(mnist, 'train', pattern(2, 4), Uint8Array.from([1, 2]), 2, 2, false);
  const fifo = path.join(mnist, 'train-images-idx3-ubyte');
  fs.rmSync(fifo);
  execFileSync('mkfifo', [fifo]);
  // CIFAR-10: a batch file linked to /dev/zero (reading it never ends)
  const cifar = path.join(dir, 'cifar-10-batches-bin');
  fs.mkdirSync(cifar);
  fs.symlinkSync('/dev/zero', path.join(cifar, 'test_batch.bin'));
  // image-folder: the archive linked to /dev/zero (an endless run of empty tar blocks)
  const archive = path.join(dir, 'images.tar');
  fs.symlinkSync('/dev/zero', archive);
  for (const [spec, file, kind] of [
    [{ kind: 'mnist', path: mnist, split: 'train' }, fifo, 'a FIFO \\(named pipe\\)'],
    [{ kind: 'cifar10', path: dir, split: 'test' }, path.join(cifar, 'test_batch.bin'), 'a device'],
    [{ kind: 'image-folder', path: archive, split: 'train', cacheDir: false }, archive, 'a device'],
  ] as const) {
    const r = loadInChild(spec);
    t.false(r.hung, `${file}: the load hung`);
    t.true(r.error?.dataError, JSON.stringify(r.error));
    t.true(r.error!.message.startsWith(`${file}: is `), r.error!.message);
    t.regex(r.error!.message, new RegExp(`is ${kind}, not a regular file`));
  }
});

test('8: a data file beyond what node can read in one piece is refused naming the file', (t) => {
  const dir = tempDir(t);
  writeIdxSplit(dir, 'train', pattern(2, 4), Uint8Array.from([1, 2]), 2, 2, false);
  // a sparse file: 2 GiB of size, no disk used
  const big = path.join(dir, 'train-images-idx3-ubyte');
  fs.truncateSync(big, 2 ** 31);
  const e = t.throws(() => loadMnist(dir, 'train'), { instanceOf: DataError });
  t.true(e!.message.startsWith(`${big}: is 2147483648 bytes, more than a data file can be`), e!.message);
});
