// A binary cache of decoded datasets, so the slow JPEG decode happens once per source rather than once
// per run. The file name carries a hash of the cache key and the header repeats the full key, so a
// changed source (path, size, mtime), split or decode setting simply misses and is decoded anew.
//
// File layout (all little-endian):
//   "NGDSET01" | u32 header length | JSON header | zero padding to 8 | images (n*C*H*W bytes)
//   | zero padding to 8 | labels (n bytes, or n*2 bytes when header.labelBytes is 2)
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomic } from '../util/atomic-write';
import { checkDataset } from './checks';
import { Dataset } from './dataset';

const MAGIC = 'NGDSET01';

interface CacheHeader {
  key: string;
  name: string;
  n: number;
  shape: [number, number, number];
  classes: number;
  classNames: string[];
  source: string;
  labelBytes: 1 | 2;
  /** Warnings of the original load (image-tree.ts), repeated on every load from the cache. */
  warnings?: string[];
}

const align8 = (x: number) => Math.ceil(x / 8) * 8;

/** The cache file for `key` inside `dir`; `label` only makes the name readable. */
export function cacheFilePath(dir: string, label: string, key: string): string {
  const hash = crypto.createHash('sha256').update(key).digest('hex').slice(0, 16);
  return path.join(dir, `${label.replace(/[^A-Za-z0-9._-]+/g, '_')}.${hash}.ngdset`);
}

/** The cached dataset, or null when the file is absent, for another key, or damaged. */
export function readDecodeCache(file: string, key: string): Dataset | null {
  return readDecodeCacheEntry(file, key)?.dataset ?? null;
}

/**
 * The cached dataset and the warnings stored with it, or null when the file is absent, for another
 * key, or damaged: unreadable, cut short, a header that does not parse or does not fit the bytes, or
 * contents that fail checks.ts's checkDataset (e.g. a label of 200 for 10 classes). A damaged file is
 * decoded again and rewritten, never used.
 */
export function readDecodeCacheEntry(file: string, key: string): { dataset: Dataset; warnings: string[] } | null {
  let buf: Buffer;
  try {
    // Not a regular file (a FIFO, whose open would block): a miss, and the write replaces it.
    if (!fs.statSync(file).isFile()) return null;
    buf = fs.readFileSync(file);
  } catch {
    return null;
  }
  if (buf.length < 12 || buf.toString('latin1', 0, 8) !== MAGIC) return null;
  const headerLen = buf.readUInt32LE(8);
  if (12 + headerLen > buf.length) return null;
  try {
    const h = JSON.parse(buf.toString('utf8', 12, 12 + headerLen)) as CacheHeader;
    if (h.key !== key || (h.labelBytes !== 1 && h.labelBytes !== 2) || !Array.isArray(h.shape) || !Array.isArray(h.classNames)) return null;
    const imageBytes = h.n * h.shape[0] * h.shape[1] * h.shape[2];
    const imagesAt = align8(12 + headerLen);
    const labelsAt = align8(imagesAt + imageBytes);
    if (!Number.isSafeInteger(imageBytes) || buf.length !== labelsAt + h.n * h.labelBytes) return null;
    // Views into the one file buffer: no second copy of a dataset that may be hundreds of MB.
    const images = new Uint8Array(buf.buffer, buf.byteOffset + imagesAt, imageBytes);
    const labels = h.labelBytes === 1
      ? new Uint8Array(buf.buffer, buf.byteOffset + labelsAt, h.n)
      : new Uint16Array(buf.buffer.slice(buf.byteOffset + labelsAt, buf.byteOffset + labelsAt + 2 * h.n));
    const dataset: Dataset = { name: h.name, images, labels, n: h.n, shape: h.shape, classes: h.classes, classNames: h.classNames, source: h.source };
    checkDataset(dataset);
    const warnings = Array.isArray(h.warnings) ? h.warnings.filter((w): w is string => typeof w === 'string') : [];
    return { dataset, warnings };
  } catch {
    return null; // anything malformed (JSON, field types, checkDataset's DataError) is a miss
  }
}

/**
 * Writes `ds` (and the load's `warnings`) under `key` to `file` (layout above) atomically, through src/util/atomic-write.ts, so a
 * killed run never leaves half a file. The file is assembled in memory first (about 154 MB for the
 * decoded CIFAR-10 training set).
 * @throws the file system's error (ENOSPC, EACCES, ...).
 */
export function writeDecodeCache(file: string, key: string, ds: Dataset, warnings: string[] = []): void {
  const labelBytes: 1 | 2 = ds.labels.BYTES_PER_ELEMENT === 1 ? 1 : 2;
  const header: CacheHeader = { key, name: ds.name, n: ds.n, shape: ds.shape, classes: ds.classes, classNames: ds.classNames, source: ds.source, labelBytes, warnings };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const imagesAt = align8(12 + json.length);
  const labelsAt = align8(imagesAt + ds.images.length);
  const prefix = Buffer.alloc(imagesAt);
  prefix.write(MAGIC, 0, 'latin1');
  prefix.writeUInt32LE(json.length, 8);
  json.copy(prefix, 12);
  const gap = Buffer.alloc(labelsAt - imagesAt - ds.images.length);
  const labels = new Uint8Array(ds.labels.buffer, ds.labels.byteOffset, ds.labels.byteLength);
  writeFileAtomic(file, Buffer.concat([prefix, ds.images, gap, labels]));
}
