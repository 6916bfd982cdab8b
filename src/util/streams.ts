// The named random streams of a run. Every random draw nasgrow makes comes from Rng.derive(seed,
// label) with a label built from one of these names (and, for data, the epoch), so a draw depends on
// the config's seed, what it is for and which epoch — never on what ran before it in the process.
// That is what makes a killed run resume to the same result, and what keeps two uses apart without
// arithmetic on epoch numbers.
export const STREAMS = {
  /** weights of the network a run starts from (`nasgrow train`, the seed of `nasgrow run`) */
  init: 'init',
  /** weights of the from-scratch retraining of a grown network and of its uniform baseline */
  retrainInit: 'init/retrain',
  /** batches of training epochs: `nasgrow train`, the training phases of `nasgrow run` (epoch = training
   *  epoch counted across phases), the experiments' training */
  train: 'train',
  /** batches of the retraining and of the uniform baseline (the same order for both) */
  retrain: 'retrain',
  /** batches of θ learning in the growing phases (epoch = growing epoch counted across phases) */
  grow: 'grow',
  /** held-out batches of a growing phase's final pass (epoch = the phase) */
  finalPass: 'final-pass',
  /** the test set in order (nothing is drawn) */
  test: 'test',
  /** the gn-accuracy experiment's two disjoint sets of test batches */
  evalSets: 'eval-sets',
  /** the morphism-quality experiment's power-iteration start for channel c of layer L: `${steepestDescent}/${L}/${c}` */
  steepestDescent: 'steepest-descent',
  /** grow.method steepest: the power iteration's random start for layer L in phase k (row c: channel c):
   *  `${splittingStart}-${k}/${L}` */
  splittingStart: 'splitting-start',
  /** which training images are held out from θ learning */
  heldOut: 'grow-held-out',
  /** θ's random start in growing phase k: `${thetaInit}-${k}` */
  thetaInit: 'theta-phase',
  /** grow.method random: which channels of layer L are split and pruned in phase k:
   *  `${randomChannels}-${k}/${L}` (one stream per layer, so a layer's draw does not depend on the others) */
  randomChannels: 'random-channels',
} as const;
