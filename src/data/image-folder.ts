// Image-folder datasets (root/{train,test}/<class>/*.{jpg,jpeg,png}, as folders or inside a .tar.gz),
// decoded once and then served from the decode cache.
import * as fs from 'fs';
import * as path from 'path';
import { Dataset, Split, allocLabels } from './dataset';
import { checkDataset } from './checks';
import { DataError } from './errors';
import { cacheFilePath, readDecodeCacheEntry, writeDecodeCache } from './decode-cache';
import { decodeImages } from './image-decode';
import { ImageTree, isArchivePath, listImageTree } from './image-tree';
import { LimitMode, limitIndices } from './limit';

/**
 * Cache bump: change when the decoded bytes for the same source would change (e.g. a new decode rule).
 * 2: the not-data rule (not-data.ts) and the class folder checks of image-tree.ts; caches written
 * before them may hold __MACOSX classes or classes without images.
 */
const DECODE_FORMAT = 2;

export interface ImageFolderOptions {
  /** Folder with {train,test}/<class>/ inside, or a .tar / .tgz / .tar.gz archive holding such a tree. */
  path: string;
  split: Split;
  /** Dataset.name (default: the folder / archive name). */
  name?: string;
  /** 3 (default): RGB; 1: greyscale. */
  channels?: 1 | 3;
  /** Class folder names in label order; default: sorted by name. Must list exactly the classes present. */
  classOrder?: string[];
  /** Decode only this many images (see limit.ts for which ones). */
  limit?: number;
  limitMode?: LimitMode;
  /** Where decoded arrays are cached; false disables the cache. Default: <cwd>/.cache/nasgrow-data. */
  cacheDir?: string | false;
  /** Decodes in flight at once. */
  concurrency?: number;
  /** Progress and cache messages, for the CLI's log. */
  log?: (message: string) => void;
}

export const DEFAULT_CACHE_DIR = path.join('.cache', 'nasgrow-data');

/** What identifies the decoded result: the source's identity plus every option that changes the bytes. */
function cacheKey(opts: ImageFolderOptions, sourceId: unknown): string {
  return JSON.stringify({
    format: DECODE_FORMAT,
    source: sourceId,
    split: opts.split,
    name: opts.name ?? null,
    channels: opts.channels ?? 3,
    classOrder: opts.classOrder ?? null,
    limit: opts.limit ?? null,
    limitMode: opts.limit === undefined ? null : opts.limitMode ?? 'stratified',
  });
}

/**
 * An archive is identified by its path, size and mtime (cheap: no need to read it). A folder's own
 * mtime misses edits inside, so it is identified by the path, size and mtime of every image in the split.
 */
function sourceIdentity(p: string, tree: ImageTree | null): unknown {
  const abs = path.resolve(p);
  if (tree === null) {
    const st = fs.statSync(abs);
    return { path: abs, size: st.size, mtimeMs: st.mtimeMs };
  }
  const files = tree.files.map((f) => {
    const st = fs.statSync(f.where);
    return [path.relative(abs, f.where), st.size, st.mtimeMs];
  });
  return { path: abs, classNames: tree.classNames, files };
}

/**
 * One split of an image-folder dataset, decoded (sharp) or read from the decode cache. `path` is a
 * folder or a .tar / .tgz / .tar.gz archive (gzip told by its magic bytes). Warnings (a class without
 * images in this split, files that are not images) go to `log`, also on loads from the cache.
 * @throws DataError naming the folder, archive or image: everything listImageTree (image-tree.ts)
 *   throws, and an image that is empty, cannot be read or decoded, or has another size than the first
 *   (decodeImages, image-decode.ts). The first bad image in dataset order stops the load.
 */
export async function loadImageFolder(opts: ImageFolderOptions): Promise<Dataset> {
  const log = opts.log ?? (() => {});
  const archive = isArchivePath(opts.path) || (fs.existsSync(opts.path) && fs.statSync(opts.path).isFile());
  if (archive && !fs.existsSync(opts.path)) throw new DataError(opts.path, 'archive not found', 'expected a .tar, .tgz or .tar.gz of root/{train,test}/<class>/*.{jpg,jpeg,png}');
  const name = opts.name ?? path.basename(opts.path).replace(/\.(tar\.gz|tgz|tar)$/i, '');

  // Folders are listed up front (cheap, and needed for the key); archives only on a cache miss.
  let tree = archive ? null : await listImageTree(opts.path, opts.split, opts.classOrder, log);
  let cacheFile: string | null = null;
  let key = '';
  if (opts.cacheDir !== false) {
    key = cacheKey(opts, sourceIdentity(opts.path, tree));
    cacheFile = cacheFilePath(opts.cacheDir ?? DEFAULT_CACHE_DIR, `${name}-${opts.split}`, key);
    const cached = readDecodeCacheEntry(cacheFile, key);
    if (cached) {
      // A folder was listed above, which logged its warnings; an archive is not read on a hit.
      if (archive) for (const w of cached.warnings) log(w);
      log(`loaded ${cached.dataset.n} decoded images from cache ${cacheFile}`);
      return cached.dataset;
    }
  }

  tree ??= await listImageTree(opts.path, opts.split, opts.classOrder, log);
  let files = tree.files;
  if (opts.limit !== undefined) {
    const keep = limitIndices(files.map((f) => f.label), tree.classNames.length, opts.limit, opts.limitMode);
    files = Array.from(keep, (i) => files[i]);
  }
  log(`decoding ${files.length} images from ${tree.source}`);
  const decoded = await decodeImages(files, {
    channels: opts.channels ?? 3,
    concurrency: opts.concurrency,
    onProgress: (done, total) => log(`decoded ${done}/${total}`),
  });
  const labels = allocLabels(files.length, tree.classNames.length);
  files.forEach((f, i) => (labels[i] = f.label));
  const ds: Dataset = {
    name,
    images: decoded.images,
    labels,
    n: files.length,
    shape: decoded.shape,
    classes: tree.classNames.length,
    classNames: tree.classNames,
    source: opts.limit === undefined ? tree.source : `${tree.source} (limit ${opts.limit}, ${opts.limitMode ?? 'stratified'})`,
  };
  checkDataset(ds);
  if (cacheFile) {
    try {
      writeDecodeCache(cacheFile, key, ds, tree.warnings);
      log(`wrote decode cache ${cacheFile}`);
    } catch (e) {
      // The data itself is fine; a cache that cannot be written only costs the next run a decode.
      log(`warning: cannot write decode cache ${cacheFile}: ${(e as Error).message} (images will be decoded again next time; set data.cache_dir to a writable folder, or null)`);
    }
  }
  return ds;
}

/**
 * Whether `ds` has 3 channels that are one plane repeated in every example (R = G = B everywhere): a
 * greyscale image folder read as RGB, which data.channels: 1 would read as one channel.
 */
export function isGreyAsRgb(ds: Pick<Dataset, 'images' | 'n' | 'shape'>): boolean {
  const [c, h, w] = ds.shape;
  if (c !== 3) return false;
  const plane = h * w;
  for (let i = 0; i < ds.n; i++) {
    const r = i * 3 * plane;
    for (let p = r; p < r + plane; p++) {
      if (ds.images[p] !== ds.images[p + plane] || ds.images[p] !== ds.images[p + 2 * plane]) return false;
    }
  }
  return true;
}
