// Whether a process of this machine still runs, for locks and sweep status.
import * as fs from 'fs';

/**
 * Whether process `pid` of this machine runs: it exists (signal 0, EPERM counting as existing) and,
 * where /proc tells, is not a zombie — a killed process whose parent died stays a zombie until PID 1
 * reaps it, and in a container PID 1 may never do so.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    // /proc/<pid>/stat: "pid (comm) S ...": the state follows the last ')'
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}
