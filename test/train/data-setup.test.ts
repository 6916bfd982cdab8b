// From a config's data section to loaders: the image-folder channel count (data.channels) reaches the
// decoder, and a greyscale folder read as RGB gets a hint to read it as one channel.
import test from 'ava';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';
import { loadConfig } from '../../src/config';
import { setupData } from '../../src/train/data-setup';

/** root/{train,test}/{a,b}/<i>.png: 8x8 images, one-channel (greyscale) PNGs or colour ones. */
async function writeFolder(root: string, grey: boolean): Promise<void> {
  for (const split of ['train', 'test']) {
    for (const [label, cls] of ['a', 'b'].entries()) {
      fs.mkdirSync(path.join(root, split, cls), { recursive: true });
      for (let i = 0; i < 4; i++) {
        const c = grey ? 1 : 3;
        const raw = Buffer.from(Array.from({ length: 64 * c }, (_, k) => (k * 7 + i * 31 + label * 101) & 0xff));
        await sharp(raw, { raw: { width: 8, height: 8, channels: c } }).png().toFile(path.join(root, split, cls, `${i}.png`));
      }
    }
  }
}

async function setup(t: { teardown: (f: () => void) => void }, grey: boolean, data: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nasgrow-data-setup-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  await writeFolder(path.join(dir, 'images'), grey);
  const file = path.join(dir, 'c.yaml');
  fs.writeFileSync(file, `data: { dataset: image-folder, path: images, augment: { crop: false, flip: false }${data} }\ntrain: { batch_size: 4 }\n`);
  const lines: string[] = [];
  const d = await setupData(loadConfig(file), (l) => lines.push(l));
  await d.close();
  return { d, warnings: lines.filter((l) => l.startsWith('warning:')), images: path.join(dir, 'images') };
}

test('data.channels: 1 reads a greyscale folder as one channel, with a one-channel normalize', async (t) => {
  const { d, warnings } = await setup(t, true, ', channels: 1, normalize: [[0.5], [0.25]]');
  t.deepEqual(d.train.shape, [1, 8, 8]);
  t.deepEqual(d.test.shape, [1, 8, 8]);
  t.deepEqual(d.normalization, { mean: [0.5], std: [0.25] });
  t.deepEqual(warnings, []);
});

test('a greyscale folder read as RGB (data.channels null) is a warning naming data.channels: 1; a colour one is not', async (t) => {
  const grey = await setup(t, true, '');
  t.deepEqual(grey.d.train.shape, [3, 8, 8]);
  t.deepEqual(grey.warnings, [`warning: every training image in ${grey.images} is greyscale, read as RGB (3 equal channels): set data.channels: 1 to read them as one channel`]);
  const colour = await setup(t, false, '');
  t.deepEqual(colour.d.train.shape, [3, 8, 8]);
  t.deepEqual(colour.warnings, []);
  // not when RGB is asked for
  t.deepEqual((await setup(t, true, ', channels: 3')).warnings, []);
});
