// Fault injection for the kill/resume tests (test/e2e/kill-resume.test.ts): with
// NASGROW_FAULT_KILL=<point>:<n> in the environment, the process kills itself with SIGKILL the n-th
// time it reaches fault point <point> (1-based), as an operator's `kill -9` or a power cut would, so a
// test can stop a run at an exact place (a training step, a growing step, the write of a checkpoint)
// and check that --resume ends where an uninterrupted run ends. Without the variable every fault point
// is a counter increment and nothing else.
//
// Points: 'train-step', 'grow-step' (after an optimizer step), 'epoch' (after an epoch's records and
// checkpoint), 'phase-rewrite' (after the morphisms are applied, before the phase state is saved),
// 'phase-saved' (after the phase state is saved, before progress.json), 'atomic-write' (in the middle
// of writing a file: a temporary file with half the data is left behind).

const spec = /^([a-z-]+):(\d+)$/.exec(process.env.NASGROW_FAULT_KILL ?? '');
const counts = new Map<string, number>();

/**
 * Count one arrival at fault point `point`; when NASGROW_FAULT_KILL names this arrival, run `before`
 * (to leave what a real kill would leave) and SIGKILL this process.
 */
export function faultPoint(point: string, before?: () => void): void {
  if (!spec || spec[1] !== point) return;
  const n = (counts.get(point) ?? 0) + 1;
  counts.set(point, n);
  if (n === Number(spec[2])) {
    before?.();
    process.kill(process.pid, 'SIGKILL');
  }
}
