// The machine a run ran on, recorded in its run.json (src/report/run-folder.ts RunManifest) so that a
// wall time can be read beside the hardware that took it (`nasgrow table`): a minute on 2 shared
// CPU cores and a minute on a GPU are different costs.
import { execFileSync } from 'child_process';
import * as os from 'os';
import { plural } from './plural';

/** What run.json records about the machine that started a run. */
export interface HardwareInfo {
  /** the CPU's model name as the OS reports it (e.g. "AMD EPYC 9B45") */
  cpu: string;
  /** logical CPUs the OS shows this process */
  cpus: number;
  /** physical memory, GiB (rounded to 0.1) */
  memoryGiB: number;
  /** `${os.platform()}-${os.arch()}` */
  os: string;
  /** the execution provider the run was configured for, and its intra-op threads */
  device: 'cpu' | 'cuda';
  threads: number;
  /** device cuda: the GPU's name from nvidia-smi, or null when it could not be asked */
  gpu: string | null;
  /**
   * device cpu: the channel block of ORT's NCHWc kernels the CPU lowering used (16 with AVX-512, 8
   * with AVX2, 0 where they cannot run; docs/performance.md). The blocked kernels sum in another order
   * for each block, so one config and seed give different numbers on CPUs of different blocks; absent
   * in run folders of earlier versions and for cuda.
   */
  nchwcBlock?: number;
}

/**
 * The machine this process runs on, for a run configured with `device` and `threads`; `nchwcBlock`,
 * the CPU's NCHWc block (src/runtime/session.ts nchwcBlockSize), recorded for device cpu.
 */
export function hardwareInfo(device: 'cpu' | 'cuda', threads: number, nchwcBlock?: number): HardwareInfo {
  const cpus = os.cpus();
  return {
    cpu: (cpus[0]?.model ?? 'unknown').trim().replace(/\s+/g, ' '),
    cpus: typeof os.availableParallelism === 'function' ? os.availableParallelism() : cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.platform()}-${os.arch()}`,
    device,
    threads,
    gpu: device === 'cuda' ? gpuName() : null,
    ...(device === 'cpu' && nchwcBlock !== undefined && { nchwcBlock }),
  };
}

/** The first GPU's name by nvidia-smi; null without one (the run then says only "cuda"). */
function gpuName(): string | null {
  try {
    const out = execFileSync('nvidia-smi', ['--query-gpu=name', '--format=csv,noheader'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] });
    return out.split('\n')[0]!.trim() || null;
  } catch {
    return null;
  }
}

/**
 * One line for a table cell: "cuda, NVIDIA H200 (host: 16 CPUs)" or "2 threads on AMD EPYC 9B45
 * (2 CPUs, NCHWc block 16)" (the block where it was recorded).
 */
export function describeHardware(h: HardwareInfo): string {
  if (h.device === 'cuda') return `cuda, ${h.gpu ?? 'GPU unknown'} (host: ${h.cpus} CPUs)`;
  const block = h.nchwcBlock === undefined ? '' : h.nchwcBlock === 0 ? ', no NCHWc kernels' : `, NCHWc block ${h.nchwcBlock}`;
  return `${plural(h.threads, 'thread')} on ${h.cpu} (${h.cpus} CPUs${block})`;
}
