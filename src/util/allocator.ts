// glibc malloc settings for large tensors. ONNX Runtime allocates its big activations with malloc;
// above glibc's default mmap threshold each one is a fresh mmap, paid in page faults on every step
// (≈2.9 ms per MiB on our machines, docs/performance.md#allocator). We run with the same settings the
// PyTorch reference gets. glibc reads GLIBC_TUNABLES only at start-up: bin/nasgrow sets them before it
// starts node; the benchmark re-executes itself with them (it is never killed mid-run, so the child
// process a re-execution leaves behind on SIGKILL does not matter there).
import { spawnSync } from 'child_process';

export const ALLOCATOR_TUNABLES = 'glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=4294967296';

/** Re-run this process with ALLOCATOR_TUNABLES unless they are set (or NASGROW_NO_REEXEC=1). Exits when it re-ran. */
export function ensureAllocatorTunables(): void {
  if (process.platform !== 'linux' || process.env.NASGROW_NO_REEXEC === '1') return;
  if ((process.env.GLIBC_TUNABLES ?? '').includes('glibc.malloc.mmap_threshold')) return;
  const env = { ...process.env, GLIBC_TUNABLES: [process.env.GLIBC_TUNABLES, ALLOCATOR_TUNABLES].filter(Boolean).join(':') };
  const r = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit', env });
  if (r.error) return; // could not re-execute: carry on with the default allocator
  process.exit(r.status ?? (r.signal ? 1 : 0));
}
