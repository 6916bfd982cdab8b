// Finding the images of an image-folder dataset, laid out as
//   root/{train,test}/<class>/<name>.{jpg,jpeg,png}
// either as real folders or as members of a (gzipped) tar archive. The result is the list of images of
// one split in dataset order: classes in class order, then file names in natural (numeric) order.
//
// Both scanners reduce what they find to one listing (class folders and their images, per split, and
// the files passed over), and everything after that is shared, so a tree loads the same whether it is
// a folder or packed: the not-data rule (not-data.ts) is applied by both, and so are the checks on
// class folders (a class folder without images in either split is an error, one without images in one
// split a warning: such a class would silently never be trained on, or never tested).
import * as fs from 'fs';
import * as path from 'path';
import { DataError } from './errors';
import { codeUnitCompare, naturalCompare } from './natural-order';
import { readArchiveEntries } from './archive';
import { Split } from './dataset';
import { isNotData, pathHasNotData } from './not-data';

export const IMAGE_EXTENSION = /\.(jpe?g|png)$/i;
const SPLITS: Split[] = ['train', 'test'];
const LAYOUT = 'expected root/{train,test}/<class>/*.{jpg,jpeg,png}';
/** Paths quoted in a warning about skipped files, before "and N more". */
const QUOTED = 5;

export interface ImageFile {
  label: number;
  /** Where the image is, for error messages: a path, or 'archive.tar.gz:member/path'. */
  where: string;
  /** The encoded bytes when already in memory (tar members); else read from `where`. */
  bytes?: Buffer;
}

export interface ImageTree {
  classNames: string[];
  files: ImageFile[];
  /** Human-readable location of the split, for Dataset.source. */
  source: string;
  /** Warnings about the tree (classes without images in this split, files passed over), already logged. */
  warnings: string[];
}

interface Found {
  fileName: string;
  where: string;
  bytes?: Buffer;
}

/** A class folder of one split: where it is (for messages) and its images. */
interface ClassFolder {
  where: string;
  images: Found[];
}

/** What a scanner found: per split, class name -> folder; the requested split's other files. */
interface Listing {
  splits: Record<Split, Map<string, ClassFolder>>;
  /** Files of the requested split that are neither images nor not-data (warned about). */
  skipped: string[];
  /** The split folder itself, for Dataset.source and messages: a path or 'archive:root/split'. */
  splitWhere: string;
}

/** True for paths named like archives (.tar, .tar.gz, .tgz). */
export function isArchivePath(p: string): boolean {
  return /\.(tar|tar\.gz|tgz)$/i.test(p);
}

/** The folder's entries, each with what it is after following symbolic links. */
function listDir(dir: string): { name: string; where: string; kind: 'dir' | 'file' | 'other' }[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOTDIR') throw new DataError(dir, 'is a file, expected a folder', LAYOUT);
    throw new DataError(dir, `cannot be listed: ${err.message}`, 'check that the folder exists and can be read');
  }
  return entries
    .filter((e) => !isNotData(e.name))
    .map((e) => {
      const where = path.join(dir, e.name);
      let st: { isDirectory(): boolean; isFile(): boolean } = e;
      // A symbolic link to a class folder or image is what it points to (Dirent says neither).
      if (e.isSymbolicLink()) {
        try {
          st = fs.statSync(where);
        } catch {
          throw new DataError(where, 'is a broken symbolic link', 'remove it, or make it point to an existing file or folder');
        }
      }
      return { name: e.name, where, kind: st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other' } as const;
    });
}

/** Scans real folders: the class folders and images of both splits (images of `split` are kept). */
function scanFolder(root: string, split: Split): Listing {
  if (!fs.existsSync(root)) throw new DataError(root, 'image folder not found', LAYOUT);
  const splitDir = path.join(root, split);
  if (!fs.existsSync(splitDir)) throw new DataError(splitDir, `no '${split}' folder`, LAYOUT);
  const listing: Listing = { splits: { train: new Map(), test: new Map() }, skipped: [], splitWhere: splitDir };
  for (const s of SPLITS) {
    const dir = path.join(root, s);
    if (s !== split && !fs.existsSync(dir)) continue;
    for (const c of listDir(dir)) {
      if (c.kind !== 'dir') {
        if (s === split) listing.skipped.push(c.where);
        continue;
      }
      const folder: ClassFolder = { where: c.where, images: [] };
      listing.splits[s].set(c.name, folder);
      for (const f of listDir(c.where)) {
        if (f.kind === 'file' && IMAGE_EXTENSION.test(f.name)) folder.images.push({ fileName: f.name, where: f.where });
        else if (s === split) listing.skipped.push(f.where);
      }
    }
  }
  return listing;
}

/**
 * Scans a tar archive: members <prefix>/<split>/<class>/<file>, one common <prefix> (possibly empty).
 * Directory members give class folders (so an empty one is seen); only `split`'s image bytes are kept.
 */
async function scanArchive(file: string, split: Split): Promise<Listing> {
  const isSplit = (s: string | undefined): s is Split => s === 'train' || s === 'test';
  /** An image (or its link) at <root>/<split>/<class>/<name>. */
  const asImage = (parts: string[]) => {
    const s = parts[parts.length - 3];
    if (parts.length < 3 || !isSplit(s) || !IMAGE_EXTENSION.test(parts[parts.length - 1])) return null;
    return { root: parts.slice(0, -3).join('/'), split: s, className: parts[parts.length - 2], fileName: parts[parts.length - 1] };
  };
  const partsOf = (p: string) => p.split('/').filter((s) => s !== '');
  const images: (NonNullable<ReturnType<typeof asImage>> & Found)[] = [];
  const dirs: { root: string; split: Split; className: string }[] = [];
  const others: { parts: string[]; where: string }[] = [];
  const wanted = (p: string) => {
    const parts = partsOf(p);
    return !pathHasNotData(parts) && asImage(parts)?.split === split;
  };
  for await (const entry of readArchiveEntries(file, wanted)) {
    const parts = partsOf(entry.path);
    if (parts.length === 0 || pathHasNotData(parts)) continue;
    const where = `${file}:${parts.join('/')}`;
    if (entry.type === 'directory') {
      const s = parts[parts.length - 2];
      if (parts.length >= 2 && isSplit(s)) dirs.push({ root: parts.slice(0, -2).join('/'), split: s, className: parts[parts.length - 1] });
      continue;
    }
    const image = asImage(parts);
    if (image && entry.type === 'other') {
      // tar stores a second name of one file (hard link) or a symbolic link as a link member without
      // data; skipping it would drop an image without a word.
      throw new DataError(where, 'is a link inside the archive, not an image file', 're-create the archive with links followed, e.g. GNU tar --dereference --hard-dereference');
    }
    if (image && entry.type === 'file') images.push({ ...image, where, bytes: image.split === split ? entry.data : undefined });
    else if (entry.type === 'file') others.push({ parts, where });
  }
  const roots = new Set(images.map((i) => i.root));
  if (roots.size > 1) {
    throw new DataError(file, `holds several image trees (${[...roots].map((r) => r || '.').join(', ')})`, 'expected one root/{train,test}/<class>/ tree');
  }
  const root = images[0]?.root ?? '';
  const prefix = root ? `${root}/` : '';
  const listing: Listing = { splits: { train: new Map(), test: new Map() }, skipped: [], splitWhere: `${file}:${prefix}${split}` };
  const folder = (s: Split, className: string) => {
    let f = listing.splits[s].get(className);
    if (!f) listing.splits[s].set(className, (f = { where: `${file}:${prefix}${s}/${className}`, images: [] }));
    return f;
  };
  for (const d of dirs) if (d.root === root) folder(d.split, d.className);
  for (const i of images) folder(i.split, i.className).images.push({ fileName: i.fileName, where: i.where, bytes: i.bytes });
  // Other files of the split: right inside the split folder, or in a class folder (images in deeper
  // folders are not part of the layout either).
  const rootParts = root ? root.split('/') : [];
  for (const o of others) {
    const inside = o.parts.length > rootParts.length + 1 && rootParts.every((r, k) => o.parts[k] === r) && o.parts[rootParts.length] === split;
    if (inside) listing.skipped.push(o.where);
  }
  return listing;
}

/** "a, b and 3 more" */
function quote(items: string[]): string {
  const shown = items.slice(0, QUOTED).join(', ');
  return items.length > QUOTED ? `${shown} and ${items.length - QUOTED} more` : shown;
}

/**
 * Numbers classes (given order, else sorted by name), orders the images, and checks the class
 * folders: an error for classes without images in either split, a warning for classes without images
 * in `split` (and for files passed over).
 */
function arrange(listing: Listing, where: string, split: Split, classOrder?: string[]): ImageTree {
  const other: Split = split === 'train' ? 'test' : 'train';
  const here = listing.splits[split];
  const there = listing.splits[other];
  const found = new Set([...here.keys(), ...there.keys()]);
  const count = (m: Map<string, ClassFolder>, c: string) => m.get(c)?.images.length ?? 0;

  const empty = [...found].filter((c) => count(here, c) === 0 && count(there, c) === 0).sort(codeUnitCompare);
  if (empty.length > 0) {
    const folders = empty.flatMap((c) => [here.get(c), there.get(c)].filter((f): f is ClassFolder => f !== undefined).map((f) => f.where));
    throw new DataError(
      where,
      `class folder${folders.length > 1 ? 's' : ''} ${folders.join(', ')} hold${folders.length > 1 ? '' : 's'} no images in either split, so class${empty.length > 1 ? 'es' : ''} ${empty.map((c) => `'${c}'`).join(', ')} would never be seen`,
      'remove the empty folders or add .jpg/.jpeg/.png images to them',
    );
  }

  let classNames: string[];
  if (classOrder) {
    if (new Set(classOrder).size !== classOrder.length) throw new DataError(where, `the class order given repeats a class: ${classOrder.join(', ')}`);
    const extra = [...found].filter((c) => !classOrder.includes(c));
    const missing = classOrder.filter((c) => !found.has(c));
    if (extra.length > 0) throw new DataError(where, `class folder(s) ${extra.join(', ')} not in the class order given (${classOrder.join(', ')})`);
    if (missing.length > 0) throw new DataError(where, `no folder for class(es) ${missing.join(', ')} of the class order given`);
    classNames = [...classOrder];
  } else {
    classNames = [...found].sort(codeUnitCompare);
  }
  const images = [...here.entries()].flatMap(([className, f]) => f.images.map((image) => ({ className, image })));
  if (images.length === 0) throw new DataError(where, `no .jpg/.jpeg/.png images for split '${split}'`, LAYOUT);

  const warnings: string[] = [];
  const splitName = (s: Split) => (s === 'train' ? 'training' : 'test');
  const images_ = (k: number) => `${k} ${k === 1 ? 'image' : 'images'}`;
  for (const c of classNames) {
    if (count(here, c) > 0) continue;
    const folder = here.get(c)?.where;
    const place = folder ? `${folder} is empty` : `there is no folder ${listing.splitWhere}/${c}`;
    warnings.push(
      `warning: class '${c}' has no ${splitName(split)} images (${place}; the ${splitName(other)} split has ${images_(count(there, c))}), ` +
        `so it is ${split === 'train' ? 'never trained on' : 'never tested'}: add images or remove the class`,
    );
  }
  if (listing.skipped.length > 0) {
    const n = listing.skipped.length;
    const what = n === 1 ? '1 file that is not a .jpg/.jpeg/.png image' : `${n} files that are not .jpg/.jpeg/.png images`;
    warnings.push(`warning: skipped ${what} in ${listing.splitWhere}: ${quote(listing.skipped)}`);
  }

  const index = new Map(classNames.map((c, i) => [c, i] as const));
  const files = images
    .map(({ className, image }) => ({ f: image, label: index.get(className)! }))
    .sort((a, b) => a.label - b.label || naturalCompare(a.f.fileName, b.f.fileName))
    .map(({ f, label }) => (f.bytes ? { label, where: f.where, bytes: f.bytes } : { label, where: f.where }));
  return { classNames, files, source: listing.splitWhere, warnings };
}

/**
 * The images of `split` under `p`, a folder or a .tar / .tar.gz archive. Entries that are not data
 * (not-data.ts) are skipped at every level; warnings (a class without images in this split, other
 * files passed over) go to `log` and into the result.
 * @throws DataError naming the folder, archive or member: not found, unreadable or not a tar archive,
 *   no split folder, no images in the split, a class folder without images in either split (naming
 *   the folders), class folders not matching `classOrder`, a broken symbolic link, a link member in an
 *   archive, several trees in one archive.
 */
export async function listImageTree(p: string, split: Split, classOrder?: string[], log: (message: string) => void = () => {}): Promise<ImageTree> {
  const isFile = isArchivePath(p) || (fs.existsSync(p) && fs.statSync(p).isFile());
  const listing = isFile ? await scanArchive(p, split) : scanFolder(p, split);
  const tree = arrange(listing, p, split, classOrder);
  for (const w of tree.warnings) log(w);
  return tree;
}
