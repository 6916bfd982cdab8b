// Fault injection for the kill/resume tests (test/e2e/kill-resume.test.ts): with
// NASGROW_FAULT_KILL=<point>:<n> in the environment, the process kills itself with SIGKILL the n-th
// time it reaches fault point <point> (1-based), as an operator's `kill -9` or a power cut would, so a
// test can stop a run at an exact place (a training step, a growing step, the write of a checkpoint)
// and check that --resume ends where an uninterrupted run ends. NASGROW_FAULT_STOP=<point>:<n> stops
// the process there instead (SIGSTOP), so that a test can have a scheduler cancel a run that is
// certainly mid-way, however loaded the machine (test/e2e/sweep-slurm.test.ts). Without the variables
// every fault point is a counter increment and nothing else.
//
// Points: 'train-step', 'grow-step' (after an optimizer step), 'epoch' (after an epoch's records and
// checkpoint), 'phase-rewrite' (after the morphisms are applied, before the phase state is saved),
// 'phase-saved' (after the phase state is saved, before progress.json), 'atomic-write' (in the middle
// of writing a file: a temporary file with half the data is left behind).

/** `<point>:<n>` of an environment variable, or null when it is unset or malformed. */
function parseSpec(value: string | undefined): { point: string; n: number } | null {
  const m = /^([a-z-]+):(\d+)$/.exec(value ?? '');
  return m ? { point: m[1]!, n: Number(m[2]) } : null;
}

const kill = parseSpec(process.env.NASGROW_FAULT_KILL);
const stop = parseSpec(process.env.NASGROW_FAULT_STOP);
const counts = new Map<string, number>();

/**
 * Count one arrival at fault point `point`; when NASGROW_FAULT_KILL names this arrival, run `before`
 * (to leave what a real kill would leave) and SIGKILL this process; when NASGROW_FAULT_STOP names it,
 * SIGSTOP this process (it goes on if sent SIGCONT).
 */
export function faultPoint(point: string, before?: () => void): void {
  if (kill?.point !== point && stop?.point !== point) return;
  const n = (counts.get(point) ?? 0) + 1;
  counts.set(point, n);
  if (kill?.point === point && n === kill.n) {
    before?.();
    process.kill(process.pid, 'SIGKILL');
  }
  if (stop?.point === point && n === stop.n) process.kill(process.pid, 'SIGSTOP');
}
