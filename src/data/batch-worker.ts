// Worker-thread side of batch prefetching (BatchLoader's prefetch: 'worker'): writes the pixels of the
// batches it is asked for while the main thread is busy with the model step. All random choices are
// made on the main thread and sent here, so prefetched batches equal unprefetched ones.
//
// Output buffers travel back and forth as transferred ArrayBuffers (moved, not copied) rather than
// living in shared memory, because onnxruntime-node rejects tensors over a SharedArrayBuffer.
import { parentPort, workerData } from 'worker_threads';
import { writeExample } from './augment';

export interface BatchWorkerData {
  /** The dataset's images, on a SharedArrayBuffer. */
  images: Uint8Array;
  shape: [number, number, number];
  lut: Float32Array;
  pad: number;
}

export interface BatchRequest {
  /** Echoed back when the batch is written. */
  id: number;
  /** The output buffer (transferred here, and back in the reply). */
  buffer: ArrayBuffer;
  /** Example indices of the batch. */
  indices: Uint32Array;
  /** top, left, flip (0/1) per example. */
  views: Int32Array;
}

export interface BatchReply {
  id: number;
  buffer: ArrayBuffer;
}

function serve(data: BatchWorkerData): void {
  const size = data.shape[0] * data.shape[1] * data.shape[2];
  const view = { top: 0, left: 0, flip: false };
  parentPort!.on('message', (req: BatchRequest) => {
    const out = new Float32Array(req.buffer);
    for (let k = 0; k < req.indices.length; k++) {
      view.top = req.views[3 * k];
      view.left = req.views[3 * k + 1];
      view.flip = req.views[3 * k + 2] === 1;
      writeExample(data.images, req.indices[k] * size, data.shape, data.lut, view, data.pad, out, k * size);
    }
    const reply: BatchReply = { id: req.id, buffer: req.buffer };
    parentPort!.postMessage(reply, [req.buffer]);
  });
}

if (parentPort && workerData && (workerData as { kind?: string }).kind === 'nasgrow-batch-worker') serve(workerData as BatchWorkerData);
