// Property tests (fast-check) of every loader against mutated files: byte flips, truncation at a random
// offset, zero-length files, appended garbage, and random values in header fields (IDX magic and
// dims, CIFAR label bytes, PNG IHDR and JPEG SOF fields, tar header fields, each with and without
// their checksums repaired so the change gets past the checksum). For gzipped files a mutation hits
// either the compressed bytes or the content under them. Each load must give a Dataset consistent
// with its declared shape, or throw a DataError whose message contains the path of the mutated file
// (or archive); never another exception, never a hang.
//
// The seed is fixed, so the suite is the same on every run (NASGROW_FUZZ_SEED=<n> tries another, and
// NASGROW_FUZZ_SCALE=k runs k times the cases, for a longer hunt); on a failure fast-check prints the seed
// and the shrunk counterexample.
import test, { ExecutionContext } from 'ava';
import fc from 'fast-check';
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import sharp from 'sharp';
import { Dataset } from '../../src/data/dataset';
import { DataError } from '../../src/data/errors';
import { loadDataset } from '../../src/data/load-dataset';
import { cifarRecords, pattern, pngBytes, systemTar, tempDir, writeIdxSplit } from './fixtures';

/** Per-case limit: a load of these tiny files takes milliseconds; far longer means a hang. */
const CASE_TIMEOUT_MS = 20_000;
const SEED = Number(process.env.NASGROW_FUZZ_SEED ?? 20261201);
const SCALE = Number(process.env.NASGROW_FUZZ_SCALE ?? 1);

// ---- mutations ----------------------------------------------------------------------------------

/** A header field: `length` bytes at `offset` of the (un-gzipped) file. */
interface Field {
  offset: number;
  length: number;
}

type Op =
  | { op: 'flip'; flips: { at: number; xor: number }[] }
  | { op: 'truncate'; at: number }
  | { op: 'empty' }
  | { op: 'append'; bytes: Uint8Array }
  | { op: 'field'; pick: number; value: Uint8Array; repair: boolean };

interface Mutation {
  op: Op;
  /** For gzipped files: mutate the content under the gzip layer (re-compressed) rather than the compressed bytes. */
  inner: boolean;
  /** Which of the target's files (or images) to mutate. */
  pick: number;
}

/** A value for a header field: raw bytes, a number in big-endian bytes, or an octal number in ASCII (tar). */
const fieldValue = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 12 }),
  fc.oneof(fc.integer({ min: 0, max: 70000 }), fc.nat()).map((n) => Uint8Array.from(Buffer.from([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]))),
  fc.oneof(fc.integer({ min: 0, max: 20000 }), fc.nat()).map((n) => Uint8Array.from(Buffer.from(`${n.toString(8).padStart(11, '0')}\0`, 'latin1'))),
);

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), flips: fc.array(fc.record({ at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }), { minLength: 1, maxLength: 4 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('empty' as const) }),
  fc.record({ op: fc.constant('append' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 700 }) }),
  // weighted: header fields are where parsers trust the file most
  { arbitrary: fc.record({ op: fc.constant('field' as const), pick: fc.nat(), value: fieldValue, repair: fc.boolean() }), weight: 2 },
);

const mutationArb: fc.Arbitrary<Mutation> = fc.record({ op: opArb, inner: fc.boolean(), pick: fc.nat() });

/** `bytes` with `op` applied; `fields` and `repair` (checksum fixing) describe the format. */
function applyOp(bytes: Buffer, op: Op, fields: Field[], repair?: (b: Buffer, field: Field) => void): Buffer {
  switch (op.op) {
    case 'flip': {
      const out = Buffer.from(bytes);
      if (out.length > 0) for (const f of op.flips) out[f.at % out.length] ^= f.xor;
      return out;
    }
    case 'truncate':
      return bytes.subarray(0, bytes.length === 0 ? 0 : op.at % bytes.length);
    case 'empty':
      return Buffer.alloc(0);
    case 'append':
      return Buffer.concat([bytes, op.bytes]);
    case 'field': {
      const out = Buffer.from(bytes);
      const usable = fields.filter((f) => f.offset + f.length <= out.length);
      if (usable.length === 0) return out;
      const field = usable[op.pick % usable.length];
      Buffer.from(op.value).copy(out, field.offset, 0, Math.min(op.value.length, field.length));
      if (op.repair && repair) repair(out, field);
      return out;
    }
  }
}

/** The file's bytes after the mutation, through the gzip layer when `gzip`. */
function mutate(plain: Buffer, gzip: boolean, m: Mutation, fields: Field[], repair?: (b: Buffer, field: Field) => void): Buffer {
  if (!gzip) return applyOp(plain, m.op, fields, repair);
  if (m.inner || m.op.op === 'field') return zlib.gzipSync(applyOp(plain, m.op, fields, repair));
  return applyOp(zlib.gzipSync(plain), m.op, []);
}

// ---- formats: header fields and checksum repair -------------------------------------------------

const idxFields = (ndim: number): Field[] => Array.from({ length: 1 + ndim }, (_, i) => ({ offset: 4 * i, length: 4 }));

const cifarFields = (records: number): Field[] => Array.from({ length: records }, (_, r) => ({ offset: r * 3073, length: 1 }));

/** PNG IHDR: width, height, bit depth, colour type, compression, filter, interlace. */
const PNG_FIELDS: Field[] = [[16, 4], [20, 4], [24, 1], [25, 1], [26, 1], [27, 1], [28, 1]].map(([offset, length]) => ({ offset, length }));

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(b: Uint8Array): number {
  let c = 0xffffffff;
  for (const x of b) c = CRC_TABLE[(c ^ x) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
/** Recomputes the IHDR chunk's CRC (type + data: bytes 12..29, CRC at 29). */
const repairPng = (b: Buffer) => b.writeUInt32BE(crc32(b.subarray(12, 29)), 29);

/** JPEG SOFn fields: precision, height, width, component count. */
function jpegFields(b: Buffer): Field[] {
  for (let i = 2; i + 9 < b.length; i++) {
    if (b[i] === 0xff && b[i + 1] >= 0xc0 && b[i + 1] <= 0xc2) return [[4, 1], [5, 2], [7, 2], [9, 1]].map(([o, l]) => ({ offset: i + o, length: l }));
  }
  return [];
}

/** The header fields of every member of a tar file (name, mode, size, mtime, checksum, type, link name, magic, version, prefix). */
function tarFields(b: Buffer): Field[] {
  const out: Field[] = [];
  for (let at = 0; at + 512 <= b.length; ) {
    if (b.subarray(at, at + 512).every((x) => x === 0)) break;
    for (const [o, l] of [[0, 100], [100, 8], [124, 12], [136, 12], [148, 8], [156, 1], [157, 100], [257, 6], [263, 2], [345, 155]]) out.push({ offset: at + o, length: l });
    const size = parseInt(b.toString('latin1', at + 124, at + 136).replace(/\0.*$/, '').trim() || '0', 8);
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}
/** Recomputes the checksum of the tar header that `field` is in. */
function repairTar(b: Buffer, field: Field): void {
  const at = field.offset - (field.offset % 512);
  b.fill(0x20, at + 148, at + 156);
  let sum = 0;
  for (let i = at; i < at + 512; i++) sum += b[i];
  b.write(`${sum.toString(8).padStart(6, '0')}\0 `, at + 148, 'latin1');
}

// ---- the property -------------------------------------------------------------------------------

/** Throws unless `ds` is consistent with its declared shape and classes. */
function assertConsistent(ds: Dataset, what: string): void {
  const [c, h, w] = ds.shape;
  const problems: string[] = [];
  if (!(ds.n > 0)) problems.push(`n ${ds.n}`);
  if (ds.images.length !== ds.n * c * h * w) problems.push(`${ds.images.length} bytes for ${ds.n} x ${ds.shape.join('x')}`);
  if (ds.labels.length !== ds.n) problems.push(`${ds.labels.length} labels for ${ds.n}`);
  if (ds.classNames.length !== ds.classes) problems.push(`${ds.classNames.length} names for ${ds.classes} classes`);
  for (const l of ds.labels) if (l >= ds.classes) problems.push(`label ${l} of ${ds.classes} classes`);
  if (problems.length > 0) throw new Error(`${what}: inconsistent dataset: ${problems.slice(0, 3).join('; ')}`);
}

interface Outcome {
  loaded: number;
  refused: number;
}

/**
 * Loads with `load` after writing `bytes` to `file`, then restores the file. Passes when the load
 * gives a consistent dataset or a DataError whose message contains `file`.
 */
async function oneCase(file: string, bytes: Buffer, load: () => Promise<Dataset>, outcome: Outcome): Promise<void> {
  const original = fs.readFileSync(file);
  fs.writeFileSync(file, bytes);
  let timer: NodeJS.Timeout | undefined;
  const started = Date.now();
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${file}: no result after ${CASE_TIMEOUT_MS} ms (hang?)`)), CASE_TIMEOUT_MS);
    });
    let ds: Dataset;
    try {
      ds = await Promise.race([load(), timeout]);
    } catch (e) {
      if (!(e instanceof DataError)) throw new Error(`${file}: not a DataError: ${(e as Error)?.stack ?? String(e)}`);
      if (!e.message.includes(file)) throw new Error(`DataError without the path ${file}: ${e.message}`);
      outcome.refused++;
      return;
    }
    assertConsistent(ds, file);
    outcome.loaded++;
  } finally {
    clearTimeout(timer);
    fs.writeFileSync(file, original);
    // Synchronous loaders cannot be interrupted by the timer above; this still fails them.
    if (Date.now() - started > CASE_TIMEOUT_MS) throw new Error(`${file}: took ${Date.now() - started} ms`);
  }
}

interface Target {
  name: string;
  runs: number;
  /** The files that may be mutated, with their formats. */
  files: { file: string; plain: Buffer; gzip: boolean; fields: Field[]; repair?: (b: Buffer, f: Field) => void }[];
  load: () => Promise<Dataset>;
}

async function fuzz(t: ExecutionContext, target: Target, counts: Map<string, Outcome>): Promise<void> {
  const outcome: Outcome = { loaded: 0, refused: 0 };
  counts.set(target.name, outcome);
  // The unmutated files load.
  assertConsistent(await target.load(), target.name);
  await fc.assert(
    fc.asyncProperty(mutationArb, async (m) => {
      const f = target.files[m.pick % target.files.length];
      await oneCase(f.file, mutate(f.plain, f.gzip, m, f.fields, f.repair), target.load, outcome);
    }),
    { numRuns: Math.round(target.runs * SCALE), seed: SEED, includeErrorInReport: true },
  );
  t.log(`${target.name}: ${outcome.loaded + outcome.refused} mutated files, ${outcome.loaded} loaded consistently, ${outcome.refused} refused with a DataError naming the file`);
}

// ---- fixtures -----------------------------------------------------------------------------------

function idxTarget(dir: string, gzip: boolean, runs: number): Target {
  writeIdxSplit(dir, 'train', pattern(6, 5 * 4, 3), Uint8Array.from([0, 9, 3, 3, 7, 1]), 5, 4, gzip);
  const suffix = gzip ? '.gz' : '';
  const files = [
    { name: `train-images-idx3-ubyte${suffix}`, ndim: 3 },
    { name: `train-labels-idx1-ubyte${suffix}`, ndim: 1 },
  ].map(({ name, ndim }) => {
    const file = path.join(dir, name);
    const raw = fs.readFileSync(file);
    return { file, plain: gzip ? zlib.gunzipSync(raw) : raw, gzip, fields: idxFields(ndim) };
  });
  return { name: `IDX${gzip ? ' (gzipped)' : ''}`, runs, files, load: () => loadDataset({ kind: 'mnist', path: dir, split: 'train' }) };
}

function cifarTarget(dir: string, runs: number): Target {
  const bin = path.join(dir, 'cifar-10-batches-bin');
  fs.mkdirSync(bin);
  const file = path.join(bin, 'test_batch.bin');
  fs.writeFileSync(file, cifarRecords([[3], [0], [9]], pattern(3, 3072, 5)));
  return { name: 'CIFAR-10 binary', runs, files: [{ file, plain: fs.readFileSync(file), gzip: false, fields: cifarFields(3) }], load: () => loadDataset({ kind: 'cifar10', path: dir, split: 'test' }) };
}

/** root/{train,test}/{png: *.png, jpeg: *.jpg}, 6x5 images: 3 + 3 training, 1 + 1 test. */
async function writeImageTree(root: string): Promise<string[]> {
  const written: string[] = [];
  let id = 0;
  for (const [split, count] of [['train', 3], ['test', 1]] as const) {
    for (let i = 0; i < count; i++) {
      const png = path.join(root, split, 'png', `${i}.png`);
      const jpg = path.join(root, split, 'jpeg', `${i}.jpg`);
      fs.mkdirSync(path.dirname(png), { recursive: true });
      fs.mkdirSync(path.dirname(jpg), { recursive: true });
      fs.writeFileSync(png, await pngBytes(id++, 6, 5));
      fs.writeFileSync(jpg, await sharp(await pngBytes(id++, 6, 5)).jpeg({ quality: 80 }).toBuffer());
      if (split === 'train') written.push(png, jpg);
    }
  }
  return written;
}

function imageFolderTarget(root: string, images: string[], runs: number): Target {
  const files = images.map((file) => {
    const plain = fs.readFileSync(file);
    return file.endsWith('.png') ? { file, plain, gzip: false, fields: PNG_FIELDS, repair: repairPng } : { file, plain, gzip: false, fields: jpegFields(plain) };
  });
  return { name: 'image folder (PNG and JPEG)', runs, files, load: () => loadDataset({ kind: 'image-folder', path: root, split: 'train', cacheDir: false }) };
}

function archiveTarget(dir: string, gzip: boolean, runs: number): Target {
  const file = path.join(dir, gzip ? 'tree.tar.gz' : 'tree.tar');
  systemTar(dir, file, gzip ? 'gnu' : 'ustar', gzip, ['tree']);
  const raw = fs.readFileSync(file);
  const plain = gzip ? zlib.gunzipSync(raw) : raw;
  return {
    name: `image tree in a ${gzip ? '.tar.gz' : '.tar'}`,
    runs,
    files: [{ file, plain, gzip, fields: tarFields(plain), repair: repairTar }],
    load: () => loadDataset({ kind: 'image-folder', path: file, split: 'train', cacheDir: false }),
  };
}

test('mutated IDX, CIFAR-10, image folder and archive files load consistently or fail with a DataError naming the file', async (t) => {
  t.timeout(10 * 60_000);
  const started = Date.now();
  t.log(`seed ${SEED} (NASGROW_FUZZ_SEED sets another)`);
  const dir = tempDir(t, 'nasgrow-fuzz-');
  const mk = (name: string) => {
    const d = path.join(dir, name);
    fs.mkdirSync(d);
    return d;
  };
  const treeDir = mk('trees');
  const images = await writeImageTree(path.join(treeDir, 'tree'));
  const targets: Target[] = [
    idxTarget(mk('idx'), false, 150),
    idxTarget(mk('idx-gz'), true, 150),
    cifarTarget(mk('cifar'), 150),
    // The archives are made before the folder's images are mutated (and restored) below.
    archiveTarget(treeDir, false, 200),
    archiveTarget(treeDir, true, 200),
    imageFolderTarget(path.join(treeDir, 'tree'), images, 250),
  ];
  const counts = new Map<string, Outcome>();
  for (const target of targets) await fuzz(t, target, counts);
  const total = [...counts.values()].reduce((s, o) => s + o.loaded + o.refused, 0);
  t.log(`${total} mutated files in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  t.true(total >= 300, `${total} cases`);
});
