// Calls the PyTorch reference scripts in test/reference/ (Debian's python3-torch).
import { spawnSync } from 'child_process';
import * as path from 'path';
import { PYTHON } from './onnx-checker';

export const REFERENCE_DIR = path.join(__dirname, '..', '..', '..', 'test', 'reference');

export function runReference(script: string, args: string[], timeoutMs = 300_000): string {
  const r = spawnSync(PYTHON, [path.join(REFERENCE_DIR, script), ...args], { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 << 20 });
  if (r.error) throw new Error(`could not run ${PYTHON} ${script}: ${r.error.message} (apt-get install python3-torch)`);
  if (r.status !== 0) throw new Error(`${script} failed (exit ${r.status}):\n${r.stderr}\n${r.stdout}`);
  return r.stdout;
}
