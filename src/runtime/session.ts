// ONNX Runtime sessions: one place that decides execution provider, threads and session options.
import * as fs from 'fs';
import * as path from 'path';
import * as ort from 'onnxruntime-node';
import { UserError } from '../util/errors';

export type Device = 'cpu' | 'cuda';

export interface RuntimeOptions {
  device: Device;
  /** intra-op threads (ORT's pool); the JS thread also works during run() */
  threads: number;
  /** ORT graph optimisation level (default 'all') */
  optimization?: 'disabled' | 'basic' | 'extended' | 'all';
  /** write an ORT profile (JSON) with this prefix */
  profilePrefix?: string;
}

export const DEFAULT_RUNTIME: RuntimeOptions = { device: 'cpu', threads: 2 };

/** The command that installs the CUDA execution provider next to onnxruntime-node. */
export const CUDA_INSTALL_COMMAND = 'ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js';

function cudaProviderPath(): string {
  const pkg = path.dirname(require.resolve('onnxruntime-node/package.json'));
  return path.join(pkg, 'bin', 'napi-v6', `${process.platform}`, `${process.arch}`, 'libonnxruntime_providers_cuda.so');
}

/**
 * @throws UserError (exit 1) when `device` is 'cuda' and the CUDA provider is not installed, naming
 *   the command that installs it (README "CUDA").
 */
export function checkDevice(device: Device): void {
  if (device === 'cuda' && !fs.existsSync(cudaProviderPath())) {
    throw new UserError(
      `runtime.device is 'cuda' but the CUDA execution provider is not installed (${cudaProviderPath()} is missing).\n` +
        `Install it with:  ${CUDA_INSTALL_COMMAND}\n(it needs network access to download the provider, and CUDA 12 + cuDNN 9 on the machine), or set runtime.device: cpu.`,
    );
  }
}

/**
 * ORT session options for nasgrow's graphs: the device's provider (CUDA falls back to CPU for ops it
 * lacks), `threads` intra-op threads and one inter-op thread, sequential execution, all graph
 * optimisations, and pool threads that sleep instead of spinning. NASGROW_ARENA=0 and
 * NASGROW_MEMPATTERN=0 turn ORT's memory arena and memory patterns off (for profiling).
 */
export function sessionOptions(opts: RuntimeOptions): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: opts.device === 'cuda' ? ['cuda', 'cpu'] : ['cpu'],
    intraOpNumThreads: opts.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: opts.optimization ?? 'all',
    enableCpuMemArena: process.env.NASGROW_ARENA !== '0',
    enableMemPattern: process.env.NASGROW_MEMPATTERN !== '0',
    enableProfiling: !!opts.profilePrefix,
    profileFilePrefix: opts.profilePrefix,
    // Spinning pool threads make small graphs erratic on 2 cores (docs/performance.md#threads-and-spinning: 5.1 ms vs 3.0 ms).
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
  };
}

/**
 * An ONNX Runtime session for a serialised model (`Uint8Array`, e.g. modelBytes(graph)) or a model
 * file (path), with sessionOptions(opts).
 * @throws UserError when opts.device is 'cuda' without its provider; Error naming the model when ORT
 *   cannot load it (a bug in an emitted graph, or a damaged file).
 */
export async function createSession(model: Uint8Array | string, opts: RuntimeOptions = DEFAULT_RUNTIME): Promise<ort.InferenceSession> {
  checkDevice(opts.device);
  try {
    return typeof model === 'string'
      ? await ort.InferenceSession.create(model, sessionOptions(opts))
      : await ort.InferenceSession.create(model, sessionOptions(opts));
  } catch (e) {
    const what = typeof model === 'string' ? model : 'in-memory model';
    throw new Error(`ONNX Runtime could not load ${what}: ${(e as Error).message}`);
  }
}

/** A float32 ORT tensor over `data` (no copy), `shape` row-major. */
export function f32Tensor(data: Float32Array, shape: readonly number[]): ort.Tensor {
  return new ort.Tensor('float32', data, shape);
}

/** An int64 ORT tensor over `data` (no copy), `shape` row-major. */
export function i64Tensor(data: BigInt64Array, shape: readonly number[]): ort.Tensor {
  return new ort.Tensor('int64', data, shape);
}

export { ort };
