// Mini-batches for training and evaluation: per-epoch order, augmentation, normalisation, and the
// float32 NCHW + int64 label arrays that ONNX Runtime takes.
import * as path from 'path';
import { Worker } from 'worker_threads';
import { Dataset, exampleSize } from './dataset';
import { AugmentConfig, ExampleView, NO_AUGMENT, drawView, writeExample } from './augment';
import { augmentRng, epochOrder } from './epoch-order';
import { LimitMode, limitIndices } from './limit';
import { Normalization, normalizationTable } from './normalize';
import type { BatchReply, BatchRequest, BatchWorkerData } from './batch-worker';

export interface BatchLoaderOptions {
  batchSize: number;
  /** Shuffle every epoch (training); off keeps dataset order (evaluation). */
  shuffle: boolean;
  /** Drop the last partial batch (training, so BatchNorm never sees a tiny batch). */
  dropLast: boolean;
  /** Default: none. */
  augment?: AugmentConfig;
  normalization: Normalization;
  /** Run seed; each pass's draws derive from (seed, stream, epoch) (src/data/epoch-order.ts). */
  seed: number;
  /** Use only this many examples (see limit.ts). */
  limit?: number;
  limitMode?: LimitMode;
  /**
   * Prepare the next batch in a worker thread while the caller works on the current one ('worker'), or
   * on the calling thread when asked for ('none', the default). Only epoch() uses it; src/data/README.md
   * has the measurements of when it pays.
   */
  prefetch?: 'none' | 'worker';
}

export interface Batch {
  /** size*C*H*W normalised pixels, NCHW. */
  images: Float32Array;
  /** size labels. */
  labels: BigInt64Array;
  /** Examples in this batch (batchSize, or fewer for a last partial batch). */
  size: number;
  /** [size, C, H, W], the tensor shape of `images`. */
  dims: [number, number, number, number];
  /** Position of the batch in its epoch. */
  index: number;
}

/** What goes into one batch: which examples, seen how. */
interface BatchPlan {
  index: number;
  indices: Uint32Array;
  views: ExampleView[];
}

interface Slot {
  images: Float32Array;
  labels: BigInt64Array;
}

/**
 * Batches of one dataset for ONNX Runtime: per pass of a named random stream an order and augmentation
 * draws (src/data/epoch-order.ts), normalised float32 NCHW images and int64 labels, in reused buffers.
 */
export class BatchLoader {
  readonly dataset: Dataset;
  readonly options: Readonly<BatchLoaderOptions>;
  /** Indices of the examples in use (all, or the limited subset), ascending. */
  readonly examples: Uint32Array;
  private readonly lut: Float32Array;
  readonly augment: AugmentConfig;
  /** Two sets of batch buffers, used in turn (see batches()); allocated once, reused every batch. */
  private readonly slots: Slot[];
  private worker: Worker | null = null;
  /** Worker requests not yet answered, by id. */
  private readonly pending = new Map<number, { resolve: (buffer: ArrayBuffer) => void; reject: (e: Error) => void }>();
  private nextRequestId = 0;

  constructor(dataset: Dataset, options: BatchLoaderOptions) {
    if (!(Number.isInteger(options.batchSize) && options.batchSize > 0)) throw new Error(`batchSize must be a positive integer, got ${options.batchSize}`);
    this.dataset = dataset;
    this.options = { ...options };
    this.augment = options.augment ?? NO_AUGMENT;
    if (!(Number.isInteger(this.augment.cropPadding) && this.augment.cropPadding >= 0)) throw new Error(`cropPadding must be a non-negative integer, got ${this.augment.cropPadding}`);
    this.lut = normalizationTable(options.normalization, dataset.shape[0]);
    this.examples = options.limit === undefined
      ? Uint32Array.from({ length: dataset.n }, (_, i) => i)
      : limitIndices(dataset.labels, dataset.classes, options.limit, options.limitMode);
    const floats = options.batchSize * exampleSize(dataset);
    this.slots = [0, 1].map(() => ({ images: new Float32Array(floats), labels: new BigInt64Array(options.batchSize) }));
  }

  /** Examples used per epoch (after `limit`). */
  get size(): number {
    return this.examples.length;
  }

  /** Batches in one epoch. */
  get batchesPerEpoch(): number {
    const n = this.examples.length;
    return this.options.dropLast ? Math.floor(n / this.options.batchSize) : Math.ceil(n / this.options.batchSize);
  }

  /** The order examples are visited in pass `epoch` of random stream `stream`. */
  order(stream: string, epoch: number): Uint32Array {
    return epochOrder(this.examples, this.options.seed, stream, epoch, this.options.shuffle);
  }

  /** The pass's batches as plans. Every batch's random draws are made, also for skipped ones. */
  private *plans(stream: string, epoch: number, fromBatch: number): Generator<BatchPlan> {
    const order = this.order(stream, epoch);
    const rng = augmentRng(this.options.seed, stream, epoch);
    const bs = this.options.batchSize;
    const count = this.batchesPerEpoch;
    for (let b = 0; b < count; b++) {
      const start = b * bs;
      const size = Math.min(bs, order.length - start);
      const views: ExampleView[] = [];
      for (let k = 0; k < size; k++) views.push(drawView(rng, this.augment));
      if (b >= fromBatch) yield { index: b, indices: order.subarray(start, start + size), views };
    }
  }

  /**
   * The batches of pass `epoch` of random stream `stream` (src/util/streams.ts names the streams),
   * prepared on the calling thread when asked for, from batch `fromBatch` on
   * (to resume mid-epoch: the skipped batches' random draws are still made, so the rest is unchanged).
   *
   * Buffers are reused: a batch's arrays stay valid until the next batch is requested, after which
   * they may be overwritten. Copy them to keep them longer.
   */
  *batches(stream: string, epoch: number, fromBatch = 0): Generator<Batch> {
    for (const plan of this.plans(stream, epoch, fromBatch)) {
      const slot = this.slots[plan.index % 2];
      const size = exampleSize(this.dataset);
      const pad = this.augment.cropPadding;
      for (let k = 0; k < plan.indices.length; k++) {
        writeExample(this.dataset.images, plan.indices[k] * size, this.dataset.shape, this.lut, plan.views[k], pad, slot.images, k * size);
      }
      yield this.finish(slot, plan);
    }
  }

  /**
   * Like batches(), but with `prefetch: 'worker'` batch i+1 is prepared in a worker thread while the
   * caller works on batch i. Same batches, same buffer-reuse rule. Call close() when done with the loader.
   */
  async *epoch(stream: string, epoch: number, fromBatch = 0): AsyncGenerator<Batch> {
    if (this.options.prefetch !== 'worker') {
      yield* this.batches(stream, epoch, fromBatch);
      return;
    }
    const worker = this.startWorker();
    const plans = this.plans(stream, epoch, fromBatch);
    const request = (plan: BatchPlan): Promise<BatchPlan> => {
      const views = new Int32Array(3 * plan.views.length);
      plan.views.forEach((v, k) => {
        views[3 * k] = v.top;
        views[3 * k + 1] = v.left;
        views[3 * k + 2] = v.flip ? 1 : 0;
      });
      const id = this.nextRequestId++;
      const slot = this.slots[plan.index % 2];
      const msg: BatchRequest = { id, buffer: slot.images.buffer as ArrayBuffer, indices: plan.indices, views };
      return new Promise<BatchPlan>((resolve, reject) => {
        // Referenced only while a request is out: an idle worker never keeps the process alive, a
        // busy one does (else a script awaiting only this batch could exit under it).
        if (this.pending.size === 0) worker.ref();
        this.pending.set(id, {
          resolve: (buffer) => {
            slot.images = new Float32Array(buffer);
            resolve(plan);
          },
          reject,
        });
        // Moving the buffer detaches it here: a consumer holding on to an old batch past the reuse
        // rule sees an empty array instead of silently changing pixels.
        worker.postMessage(msg, [msg.buffer]);
      });
    };
    let next = plans.next();
    let inFlight = next.done ? null : request(next.value);
    try {
      while (inFlight) {
        const plan = await inFlight;
        // The consumer asked for this batch, so it is done with the previous one, whose slot is the
        // one the following batch goes into: start it now, before handing this one over.
        next = plans.next();
        inFlight = next.done ? null : request(next.value);
        yield this.finish(this.slots[plan.index % 2], plan);
      }
    } finally {
      // A consumer that stops early must not find a batch still being written into a slot later.
      if (inFlight) await inFlight.catch(() => undefined);
    }
  }

  /** Stops the prefetch worker, if any. The loader can still be used (a new worker starts when needed). */
  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }

  private startWorker(): Worker {
    if (this.worker) return this.worker;
    const ds = this.dataset;
    // The worker reads the images in place when they are already shared; otherwise they are copied
    // into shared memory once per loader.
    let images = ds.images;
    if (!(images.buffer instanceof SharedArrayBuffer)) {
      const shared = new Uint8Array(new SharedArrayBuffer(images.length));
      shared.set(images);
      images = shared;
    }
    const data: BatchWorkerData & { kind: string } = {
      kind: 'nasgrow-batch-worker',
      images,
      shape: ds.shape,
      lut: this.lut,
      pad: this.augment.cropPadding,
    };
    const worker = new Worker(path.join(__dirname, 'batch-worker.js'), { workerData: data });
    worker.on('message', (reply: BatchReply) => {
      this.pending.get(reply.id)?.resolve(reply.buffer);
      this.pending.delete(reply.id);
      if (this.pending.size === 0) worker.unref();
    });
    const failAll = (e: Error) => {
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
      if (this.worker === worker) this.worker = null;
      // Buffers the worker held are gone with it.
      for (const slot of this.slots) if (slot.images.byteLength === 0) slot.images = new Float32Array(this.options.batchSize * exampleSize(ds));
    };
    worker.on('error', failAll);
    worker.on('exit', (code) => failAll(new Error(`batch prefetch worker exited (code ${code})`)));
    worker.unref(); // after the listeners, which would otherwise keep it referenced
    this.worker = worker;
    return worker;
  }

  /** Labels (cheap, so on this thread) and the batch object over `slot`. */
  private finish(slot: Slot, plan: BatchPlan): Batch {
    const ds = this.dataset;
    const n = plan.indices.length;
    for (let k = 0; k < n; k++) slot.labels[k] = BigInt(ds.labels[plan.indices[k]]);
    const full = n === this.options.batchSize;
    const size = exampleSize(ds);
    return {
      images: full ? slot.images : slot.images.subarray(0, n * size),
      labels: full ? slot.labels : slot.labels.subarray(0, n),
      size: n,
      dims: [n, ds.shape[0], ds.shape[1], ds.shape[2]],
      index: plan.index,
    };
  }
}
