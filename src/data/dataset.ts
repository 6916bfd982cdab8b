// The in-memory form every loader produces: all images of one split as raw bytes, plus labels.
// Keeping pixels as uint8 (not float) is 4x smaller and lets normalisation and augmentation happen
// per batch, where the random crop needs the raw pixels anyway.
import * as crypto from 'crypto';

export type Split = 'train' | 'test';

export interface Dataset {
  /** Short name, e.g. 'cifar10', 'fashion-mnist'. */
  name: string;
  /** n * C * H * W bytes, NCHW (one whole example after another, channel planes inside), 0..255. */
  images: Uint8Array;
  /** n labels in 0..classes-1. */
  labels: Uint8Array | Uint16Array;
  n: number;
  /** [C, H, W] of one example. */
  shape: [number, number, number];
  classes: number;
  /** classNames[label] is the name of that class; length === classes. */
  classNames: string[];
  /** Where the data came from (file or folder, and which part of it), for logs and run records. */
  source: string;
}

/** Bytes in one example. */
export function exampleSize(ds: Pick<Dataset, 'shape'>): number {
  return ds.shape[0] * ds.shape[1] * ds.shape[2];
}

/** The smallest label array type that holds `classes` distinct labels. */
export function allocLabels(n: number, classes: number): Uint8Array | Uint16Array {
  return classes <= 256 ? new Uint8Array(n) : new Uint16Array(n);
}

/** Count of examples per class. */
export function classCounts(ds: Pick<Dataset, 'labels' | 'classes'>): number[] {
  const counts = new Array<number>(ds.classes).fill(0);
  for (let i = 0; i < ds.labels.length; i++) counts[ds.labels[i]]++;
  return counts;
}

/** A new dataset holding the examples at `indices`, in that order (pixels copied). */
export function selectExamples(ds: Dataset, indices: ArrayLike<number>, source = ds.source): Dataset {
  const size = exampleSize(ds);
  const images = new Uint8Array(indices.length * size);
  const labels = allocLabels(indices.length, ds.classes);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    images.set(ds.images.subarray(i * size, (i + 1) * size), k * size);
    labels[k] = ds.labels[i];
  }
  return { ...ds, images, labels, n: indices.length, source };
}

/**
 * A fingerprint of the examples of `ds`: sha256 over its shape, count, class names, labels and pixels
 * (hex, 16 digits). Two loads give the same fingerprint exactly when they give the same examples in the
 * same order, wherever the files are: a resumed run checks it instead of the path.
 */
export function fingerprint(ds: Dataset): string {
  const h = crypto.createHash('sha256');
  h.update(JSON.stringify({ n: ds.n, shape: ds.shape, classes: ds.classes, classNames: ds.classNames }));
  h.update(new Uint8Array(ds.labels.buffer, ds.labels.byteOffset, ds.labels.byteLength));
  h.update(ds.images);
  return h.digest('hex').slice(0, 16);
}
