// ONNX Runtime sessions: one place that decides execution provider, threads and session options.
import * as fs from 'fs';
import * as path from 'path';
import * as ort from 'onnxruntime-node';
import { DType, Graph } from '../onnx/ir';
import { modelBytes } from '../onnx/writer';
import { UserError } from '../util/errors';
import { lowerToNchwc, NCHWC_DOMAIN } from './nchwc';

export type Device = 'cpu' | 'cuda';

export interface RuntimeOptions {
  device: Device;
  /** CPU: rewrite the graph's convs to ORT's blocked NCHWc kernels (default true; src/runtime/nchwc.ts) */
  nchwc?: boolean;
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
 * An ONNX Runtime session for a graph built by nasgrow (lowered for the CPU provider first:
 * src/runtime/nchwc.ts, unless opts.nchwc is false or NASGROW_NCHWC=0), a serialised model
 * (`Uint8Array`) or a model file (path), with sessionOptions(opts).
 * @throws UserError when opts.device is 'cuda' without its provider; Error naming the model when ORT
 *   cannot load it (a bug in an emitted graph, or a damaged file).
 */
export async function createSession(model: Graph | Uint8Array | string, opts: RuntimeOptions = DEFAULT_RUNTIME): Promise<ort.InferenceSession> {
  checkDevice(opts.device);
  let source: Uint8Array | string;
  if (model instanceof Graph) {
    const block = opts.device === 'cpu' && opts.nchwc !== false && process.env.NASGROW_NCHWC !== '0' ? await nchwcBlockSize() : 0;
    source = modelBytes(block > 0 ? lowerToNchwc(model, block).graph : model);
  } else source = model;
  try {
    return typeof source === 'string'
      ? await ort.InferenceSession.create(source, sessionOptions(opts))
      : await ort.InferenceSession.create(source, sessionOptions(opts));
  } catch (e) {
    const what = typeof model === 'string' ? model : model instanceof Graph ? `graph ${model.name}` : 'in-memory model';
    throw new Error(`ONNX Runtime could not load ${what}: ${(e as Error).message}`);
  }
}

let blockSize: Promise<number> | null = null;

/**
 * The channel block of ORT's NCHWc kernels on this CPU (16 with AVX-512, 8 with AVX2; MLAS decides):
 * ReorderInput of a [1, 4, 1, 1] tensor pads its channels to one block. 0 when the kernels cannot run
 * here (the graphs then keep their plain convs). Probed once per process.
 */
export function nchwcBlockSize(): Promise<number> {
  blockSize ??= (async () => {
    try {
      const g = new Graph('nchwc_probe');
      g.inputs.push({ name: 'x', dtype: DType.FLOAT, shape: [1, 4, 1, 1] });
      g.values.set('x', g.inputs[0]!);
      g.values.set('y', { name: 'y', dtype: DType.FLOAT, shape: [1, 'block', 1, 1] });
      g.nodes.push({ name: 'probe', opType: 'ReorderInput', domain: NCHWC_DOMAIN, inputs: ['x'], outputs: ['y'], attrs: new Map() });
      g.outputs.push(g.values.get('y')!);
      const session = await ort.InferenceSession.create(modelBytes(g), { executionProviders: ['cpu'], graphOptimizationLevel: 'disabled' });
      const y = (await session.run({ x: new ort.Tensor('float32', new Float32Array(4), [1, 4, 1, 1]) })).y!;
      await session.release();
      const block = y.dims[1]!;
      return block === 8 || block === 16 ? block : 0;
    } catch {
      return 0;
    }
  })();
  return blockSize;
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
