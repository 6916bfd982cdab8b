// `nasgrow experiment gn-accuracy|morphism-quality CONFIG`: the yargs module; the work is in ./experiment.ts (the measurements:
// src/grow/gn-accuracy.ts, src/grow/morphism-quality.ts).
import type { Argv, CommandModule } from 'yargs';
import type { ExperimentArgs } from './experiment';

export const experimentCommand: CommandModule<object, ExperimentArgs> = {
  command: 'experiment <name> <config>',
  describe: "Run a measurement: gn-accuracy compares every morphism's Gauss-Newton estimate with its true ΔL (the paper's Appendix B); morphism-quality compares the true decrease of each split of one layer with Gauss-Newton θ, θ learned on the true loss and the steepest-descent direction (Appendix C)",
  builder: (y: Argv) =>
    y
      .positional('name', { choices: ['gn-accuracy', 'morphism-quality'] as const, demandOption: true, describe: 'which experiment' })
      .positional('config', { type: 'string', demandOption: true, describe: 'YAML config (model, data, train and grow sections)' })
      .option('out', { type: 'string', describe: "folder for the experiment's files: gn-accuracy.{csv,json,md} and the scatter PNGs, or morphism-quality.{csv,json,md,svg,png} (default: the config's output.dir + -<experiment>, runs/<config name>-<experiment>)" })
      .option('layer', { type: 'string', requiresArg: true, describe: 'morphism-quality: the dense layer whose channels are split (e.g. conv5)' })
      .option('variants', { type: 'string', describe: 'comma-separated ways to learn θ, each batch or sample with an optional -cap<κ> (‖θ_c‖ ≤ κ‖w_in[c]‖), e.g. batch,sample,batch-cap0.5 (default: the config\'s grow.granularity and grow.theta_max_norm)' })
      .option('snapshots', { type: 'string', default: '', describe: 'comma-separated Adam step counts after which θ is also evaluated (0: its random start); the end of the phase always is' })
      .option('eval-batches', { type: 'number', requiresArg: true, default: 8, describe: 'test batches in each of the two evaluation sets (morphism-quality: in its one evaluation set)' })
      .option('threads', { type: 'number', requiresArg: true, describe: 'override runtime.threads' })
      .option('final-batches', { type: 'number', requiresArg: true, describe: "batches held out from θ learning for the final pass with θ fixed (default: the config's grow.final_batches)" }),
  handler: async (args) => {
    const { runExperiment } = await import('./experiment');
    await runExperiment(args);
  },
};
