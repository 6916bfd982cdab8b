// Decoding encoded images (JPEG/PNG) to one NCHW uint8 array with sharp (libvips). Decoding is
// asynchronous in sharp's thread pool; a fixed number of decodes are kept in flight, enough to keep
// both cores busy without queueing tens of thousands of pending operations and their buffers at once.
import * as fs from 'fs';
import sharp from 'sharp';
import { DataError } from './errors';

export interface EncodedImage {
  /** A path, or where the bytes came from, for error messages. */
  where: string;
  /** The encoded bytes; when absent, `where` is a file path to read. */
  bytes?: Buffer;
}

export interface DecodeOptions {
  /** 3: RGB (alpha dropped, grey expanded); 1: sharp's greyscale conversion. */
  channels: 1 | 3;
  /** Decodes in flight at once (default 4: measured fastest on 2 cores, more gains nothing). */
  concurrency?: number;
  /** Called now and then with the number of images decoded so far. */
  onProgress?: (done: number, total: number) => void;
}

export interface DecodedImages {
  images: Uint8Array;
  shape: [number, number, number];
}

/**
 * One image as interleaved HWC bytes with exactly `channels` channels.
 * @throws DataError naming `img.where`: unreadable, empty, or not decodable.
 */
async function decodeOne(img: EncodedImage, channels: 1 | 3): Promise<{ data: Buffer; width: number; height: number }> {
  let input: Buffer;
  if (img.bytes) input = img.bytes;
  else {
    try {
      input = await fs.promises.readFile(img.where);
    } catch (e) {
      throw new DataError(img.where, `cannot be read: ${(e as Error).message}`);
    }
  }
  // Named here rather than by sharp: its "Input Buffer is empty" would not say which image.
  if (input.length === 0) throw new DataError(img.where, 'is empty (0 bytes)', 'an interrupted copy or download? replace it with the image, or remove it');
  let out: { data: Buffer; info: { width: number; height: number; channels: number } };
  try {
    // The pipeline is built inside the try too: sharp checks its input already when it is made.
    // failOn 'warning' (sharp's default, stated because it matters): a truncated JPEG or PNG fails
    // instead of decoding to a partly grey image.
    let pipeline = sharp(input, { failOn: 'warning' }).removeAlpha();
    pipeline = channels === 1 ? pipeline.greyscale() : pipeline.toColourspace('srgb');
    out = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (e) {
    throw new DataError(img.where, `cannot decode image: ${(e as Error).message}`, 'corrupt, truncated or not a JPEG/PNG image; replace or remove it');
  }
  if (out.info.channels !== channels) {
    throw new DataError(img.where, `decoded to ${out.info.channels} channels, expected ${channels}`);
  }
  return { data: out.data, width: out.info.width, height: out.info.height };
}

/** Scatters interleaved HWC bytes into the channel planes of one CHW example. */
function hwcToChw(src: Uint8Array, dst: Uint8Array, dstOffset: number, c: number, hw: number): void {
  if (c === 1) {
    dst.set(src.subarray(0, hw), dstOffset);
    return;
  }
  for (let ch = 0; ch < c; ch++) {
    const plane = dstOffset + ch * hw;
    for (let p = 0, s = ch; p < hw; p++, s += c) dst[plane + p] = src[s];
  }
}

/**
 * Decodes every image into one array; all images must have the size of the first. `list` must not be
 * empty (callers check that, with a message about their folder).
 * @throws DataError naming the image: the first one in list order that cannot be read or decoded, is
 *   empty, or has another size than the first image (also naming the first); or naming the first image
 *   when all of them at its size would not fit in memory. Decoding stops at the first failure seen.
 */
export async function decodeImages(list: EncodedImage[], opts: DecodeOptions): Promise<DecodedImages> {
  if (list.length === 0) throw new Error('decodeImages: no images');
  const c = opts.channels;
  const first = await decodeOne(list[0], c);
  const h = first.height;
  const w = first.width;
  const size = c * h * w;
  let images: Uint8Array;
  try {
    images = new Uint8Array(list.length * size);
  } catch {
    // RangeError from the allocation: one huge (or corrupt-headered) first image times n.
    throw new DataError(list[0].where, `is ${w}x${h}: ${list.length} images of that size need ${list.length * size} bytes, more than can be held in memory`, 'resize the images, or use fewer (limit)');
  }
  hwcToChw(first.data, images, 0, c, h * w);

  let next = 1;
  let done = 1;
  // Each worker stops at its first failure and the others take no new image after one, but the
  // decodes already in flight finish: every image before the lowest failing index has then been
  // decoded, so the error reported is the first bad image in dataset order, whatever the timing.
  const failures: { index: number; error: unknown }[] = [];
  const worker = async () => {
    while (next < list.length && failures.length === 0) {
      const i = next++;
      try {
        const img = await decodeOne(list[i], c);
        if (img.width !== w || img.height !== h) {
          throw new DataError(list[i].where, `is ${img.width}x${img.height}, but the first image (${list[0].where}) is ${w}x${h}`, 'all images of a dataset must have one size; resize them first');
        }
        hwcToChw(img.data, images, i * size, c, h * w);
      } catch (error) {
        failures.push({ index: i, error });
        return;
      }
      done++;
      // every 10% (and at the end, below): a line per thousand images floods the run log
      if (opts.onProgress && done < list.length && done % Math.max(1000, Math.ceil(list.length / 10)) === 0) opts.onProgress(done, list.length);
    }
  };
  const concurrency = Math.max(1, opts.concurrency ?? 4);
  await Promise.all(Array.from({ length: Math.min(concurrency, list.length) }, worker));
  if (failures.length > 0) throw failures.reduce((a, b) => (b.index < a.index ? b : a)).error;
  opts.onProgress?.(done, list.length);
  return { images, shape: [c, h, w] };
}
