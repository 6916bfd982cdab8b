// Finding the images of an image-folder dataset, laid out as
//   root/{train,test}/<class>/<name>.{jpg,jpeg,png}
// either as real folders or as members of a (gzipped) tar archive. The result is the list of images of
// one split in dataset order: classes in class order, then file names in natural (numeric) order.
import * as fs from 'fs';
import * as path from 'path';
import { DataError } from './errors';
import { codeUnitCompare, naturalCompare } from './natural-order';
import { readArchiveEntries } from './archive';
import { Split } from './dataset';

export const IMAGE_EXTENSION = /\.(jpe?g|png)$/i;
const SPLITS: Split[] = ['train', 'test'];

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
}

interface Found {
  className: string;
  fileName: string;
  where: string;
  bytes?: Buffer;
}

/** True for paths named like archives (.tar, .tar.gz, .tgz). */
export function isArchivePath(p: string): boolean {
  return /\.(tar|tar\.gz|tgz)$/i.test(p);
}

function listDir(dir: string): fs.Dirent[] {
  return fs.readdirSync(dir, { withFileTypes: true });
}

/** Scans real folders: the class folders of every split (so labels agree across splits), and the images of `split`. */
function scanFolder(root: string, split: Split): { classes: Set<string>; images: Found[]; source: string } {
  const layout = 'expected root/{train,test}/<class>/*.{jpg,jpeg,png}';
  if (!fs.existsSync(root)) throw new DataError(root, 'image folder not found', layout);
  const splitDir = path.join(root, split);
  if (!fs.existsSync(splitDir)) throw new DataError(splitDir, `no '${split}' folder`, layout);
  const classes = new Set<string>();
  for (const s of SPLITS) {
    const d = path.join(root, s);
    if (!fs.existsSync(d)) continue;
    for (const e of listDir(d)) if (e.isDirectory() && !e.name.startsWith('.')) classes.add(e.name);
  }
  const images: Found[] = [];
  for (const e of listDir(splitDir)) {
    if (!e.isDirectory() || e.name.startsWith('.')) continue;
    const classDir = path.join(splitDir, e.name);
    for (const f of listDir(classDir)) {
      if (f.isFile() && IMAGE_EXTENSION.test(f.name)) images.push({ className: e.name, fileName: f.name, where: path.join(classDir, f.name) });
    }
  }
  return { classes, images, source: splitDir };
}

/** Scans a tar archive: members <prefix>/<split>/<class>/<file>, one common <prefix> (possibly empty). */
async function scanArchive(file: string, split: Split): Promise<{ classes: Set<string>; images: Found[]; source: string }> {
  const classes = new Set<string>();
  const images: Found[] = [];
  const roots = new Set<string>();
  const parse = (p: string) => {
    const parts = p.split('/').filter((s) => s !== '');
    if (parts.length < 3 || !IMAGE_EXTENSION.test(parts[parts.length - 1])) return null;
    const s = parts[parts.length - 3];
    if (s !== 'train' && s !== 'test') return null;
    return { root: parts.slice(0, -3).join('/'), split: s, className: parts[parts.length - 2], fileName: parts[parts.length - 1] };
  };
  // Only the requested split's image bytes are kept; the other split is only looked at for class names.
  for await (const entry of readArchiveEntries(file, (p) => parse(p)?.split === split)) {
    if (entry.type !== 'file') continue;
    const m = parse(entry.path);
    if (!m) continue;
    roots.add(m.root);
    classes.add(m.className);
    if (m.split === split) images.push({ className: m.className, fileName: m.fileName, where: `${file}:${entry.path}`, bytes: entry.data });
  }
  if (roots.size > 1) {
    throw new DataError(file, `holds several image trees (${[...roots].map((r) => r || '.').join(', ')})`, 'expected one root/{train,test}/<class>/ tree');
  }
  const root = [...roots][0] ?? '';
  return { classes, images, source: `${file}:${root ? `${root}/` : ''}${split}` };
}

/** Numbers classes (given order, else sorted by name) and orders the images. */
function arrange(found: { classes: Set<string>; images: Found[]; source: string }, where: string, split: Split, classOrder?: string[]): ImageTree {
  let classNames: string[];
  if (classOrder) {
    if (new Set(classOrder).size !== classOrder.length) throw new DataError(where, `the class order given repeats a class: ${classOrder.join(', ')}`);
    const extra = [...found.classes].filter((c) => !classOrder.includes(c));
    const missing = classOrder.filter((c) => !found.classes.has(c));
    if (extra.length > 0) throw new DataError(where, `class folder(s) ${extra.join(', ')} not in the class order given (${classOrder.join(', ')})`);
    if (missing.length > 0) throw new DataError(where, `no folder for class(es) ${missing.join(', ')} of the class order given`);
    classNames = [...classOrder];
  } else {
    classNames = [...found.classes].sort(codeUnitCompare);
  }
  if (found.images.length === 0) {
    throw new DataError(where, `no .jpg/.jpeg/.png images for split '${split}'`, 'expected root/{train,test}/<class>/*.{jpg,jpeg,png}');
  }
  const index = new Map(classNames.map((c, i) => [c, i] as const));
  const files = found.images
    .map((f) => ({ f, label: index.get(f.className)! }))
    .sort((a, b) => a.label - b.label || naturalCompare(a.f.fileName, b.f.fileName))
    .map(({ f, label }) => (f.bytes ? { label, where: f.where, bytes: f.bytes } : { label, where: f.where }));
  return { classNames, files, source: found.source };
}

/** The images of `split` under `p`, a folder or a .tar / .tar.gz archive. */
export async function listImageTree(p: string, split: Split, classOrder?: string[]): Promise<ImageTree> {
  const isFile = isArchivePath(p) || (fs.existsSync(p) && fs.statSync(p).isFile());
  const found = isFile ? await scanArchive(p, split) : scanFolder(p, split);
  return arrange(found, p, split, classOrder);
}
