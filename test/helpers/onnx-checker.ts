// Runs Debian's python3-onnx checker (onnx 1.12, full_check=True) over model files.
import { spawnSync } from 'child_process';

export const PYTHON = process.env.NASGROW_PYTHON ?? '/usr/bin/python3';

const SCRIPT = `
import sys, onnx
bad = 0
for f in sys.argv[1:]:
    try:
        onnx.checker.check_model(onnx.load(f), full_check=True)
    except Exception as e:
        bad += 1
        print("FAIL", f, str(e).splitlines()[0] if str(e) else repr(e))
print("checked", len(sys.argv) - 1, "bad", bad)
sys.exit(1 if bad else 0)
`;

/** Returns '' when every file passes, else the checker's report. */
export function checkModels(files: string[]): string {
  if (files.length === 0) return '';
  const r = spawnSync(PYTHON, ['-c', SCRIPT, ...files], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) return `could not run ${PYTHON}: ${r.error.message} (apt-get install python3-onnx)`;
  return r.status === 0 ? '' : `${r.stdout}\n${r.stderr}`;
}
