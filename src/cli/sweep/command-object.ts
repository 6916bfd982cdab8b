// `nasgrow sweep SWEEP.yaml`, `nasgrow sweep status DIR`, `nasgrow sweep point DIR NAME`: the yargs
// modules; the work is in ./sweep.ts, ./status.ts and ./point.ts, loaded when a command runs.
import type { Argv, CommandModule } from 'yargs';
import type { PointArgs } from './point';
import type { StatusArgs } from './status';
import type { SweepArgs } from './sweep';

const runSweepCommand: CommandModule<object, SweepArgs> = {
  command: '$0 <file>',
  describe: 'run every point of a sweep file (a base config and a grid of values per key), each in its own run folder',
  builder: (y: Argv) =>
    y
      .positional('file', { type: 'string', demandOption: true, describe: 'sweep file (YAML: config, grid, and optionally command, set, exclude, out, slurm; README "Sweeps")' })
      .option('backend', { choices: ['local', 'slurm'] as const, default: 'local' as const, describe: 'local: a pool of processes on this machine; slurm: one job array (sbatch)' })
      .option('jobs', { type: 'number', requiresArg: true, describe: 'local: points run at a time (default 1); the cores are shared out among them as runtime.threads' })
      .option('threads', { type: 'number', requiresArg: true, describe: 'local: threads per point (default: cores ÷ jobs); for sweeps that share the machine with other work' })
      .option('wait', { type: 'boolean', default: false, describe: 'slurm: wait until the job array has left the queue, printing each point as it ends' })
      .option('dry-run', { type: 'boolean', default: false, describe: 'check everything and list the points; run and write nothing' })
      .example('$0 sweep sweeps/quickstart-seeds.yaml --jobs 2', 'four quickstart grows, two at a time')
      .example('$0 sweep sweeps/study.yaml --backend slurm', 'the same points as a SLURM job array'),
  handler: async (args) => {
    const { runSweep } = await import('./sweep');
    await runSweep(args);
  },
};

const statusCommand: CommandModule<object, StatusArgs> = {
  command: 'status <dir>',
  describe: "each point of a sweep folder: done, failed (with its error), running, queued (SLURM) or not started, and its result",
  builder: (y: Argv) => y.positional('dir', { type: 'string', demandOption: true, describe: 'the sweep folder (out of the sweep file)' }),
  handler: async (args) => {
    const { runStatus } = await import('./status');
    await runStatus(args);
  },
};

const pointCommand: CommandModule<object, PointArgs> = {
  command: 'point <dir> <point>',
  describe: 'run (or resume) one point of a sweep folder: what the local pool and each SLURM array task run',
  builder: (y: Argv) =>
    y
      .positional('dir', { type: 'string', demandOption: true, describe: 'the sweep folder' })
      .positional('point', { type: 'string', demandOption: true, describe: "the point's name, or its index in sweep.json" })
      .option('threads', { type: 'number', requiresArg: true, describe: 'override runtime.threads' }),
  handler: async (args) => {
    const { runPoint } = await import('./point');
    await runPoint(args);
  },
};

export const sweepCommand: CommandModule = {
  command: 'sweep',
  describe: 'run a grid of configs (seeds, methods, λ_p, ...) locally or on SLURM, resumably; `sweep status DIR` lists its points',
  builder: (y: Argv) => y.command(statusCommand).command(pointCommand).command(runSweepCommand),
  handler: () => undefined,
};
