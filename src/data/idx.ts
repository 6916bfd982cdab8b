// The IDX format of MNIST and Fashion-MNIST: a big-endian magic number whose third byte is the element
// type (0x08 = unsigned byte) and fourth the number of dimensions, then one big-endian uint32 per
// dimension, then the elements. Images are magic 2051 (3 dims: n, rows, cols), labels 2049 (1 dim: n).
import { DataError } from './errors';

export const IDX_IMAGES_MAGIC = 2051;
export const IDX_LABELS_MAGIC = 2049;

export interface IdxArray {
  dims: number[];
  /** The elements, a view into the input buffer. */
  data: Uint8Array;
}

/** Parses an un-gzipped IDX file whose magic must be `expectedMagic`; `file` is used in errors. */
export function parseIdx(bytes: Uint8Array, expectedMagic: number, file: string): IdxArray {
  if (bytes.length < 4) throw new DataError(file, `too short to be an IDX file (${bytes.length} bytes)`, 'the file is truncated; re-download it');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  if (magic !== expectedMagic) {
    const kind = expectedMagic === IDX_IMAGES_MAGIC ? 'an images file' : 'a labels file';
    throw new DataError(
      file,
      `wrong magic number ${magic} (0x${magic.toString(16).padStart(8, '0')}), expected ${expectedMagic} for ${kind}`,
      magic === IDX_IMAGES_MAGIC || magic === IDX_LABELS_MAGIC ? 'images and labels files swapped?' : 'not an IDX file, or corrupt',
    );
  }
  const ndim = magic & 0xff;
  const headerSize = 4 + 4 * ndim;
  if (bytes.length < headerSize) throw new DataError(file, `header cut short: ${bytes.length} bytes, need ${headerSize}`, 'the file is truncated; re-download it');
  const dims: number[] = [];
  for (let d = 0; d < ndim; d++) dims.push(view.getUint32(4 + 4 * d, false));
  const count = dims.reduce((a, b) => a * b, 1);
  const have = bytes.length - headerSize;
  if (have < count) {
    throw new DataError(file, `truncated: dims ${dims.join('x')} need ${count} data bytes, found ${have}`, 're-download the file');
  }
  if (have > count) {
    throw new DataError(file, `wrong size: dims ${dims.join('x')} need ${count} data bytes, found ${have} (${have - count} extra)`, 'corrupt file; re-download it');
  }
  return { dims, data: bytes.subarray(headerSize, headerSize + count) };
}
