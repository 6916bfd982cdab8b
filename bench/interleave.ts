// Timing two or more ways of doing one thing, interleaved step by step so that a change in machine
// load hits each alike (docs/performance.md "Measuring").
import { median } from '../src/util/stats';

/**
 * Runs `runs` in turn `warmup + steps` times and returns each one's median ms over the last `steps`
 * rounds (the first `warmup` rounds are not timed).
 */
export async function interleavedMedians(runs: (() => Promise<unknown>)[], steps: number, warmup = 3): Promise<number[]> {
  const times = runs.map(() => [] as number[]);
  for (let i = 0; i < warmup + steps; i++) {
    for (const [j, run] of runs.entries()) {
      const t = performance.now();
      await run();
      if (i >= warmup) times[j]!.push(performance.now() - t);
    }
  }
  return times.map(median);
}
