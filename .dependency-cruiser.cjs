// The layer order of src/ (README "How the code is organised"), checked by `npm test`
// (`npm run check:deps`): a module may import only its own layer and the layers listed for it, and no
// import cycle may exist anywhere in src/.
//
//   util                              RNG, safetensors, atomic writes, statistics, errors
//   onnx        -> util               IR, graph builder, shape rules, writer
//   autodiff    -> onnx               reverse-mode walker and the gradient rules
//   models      -> autodiff           architecture, names, parameters, forward pass, state, checkpoints
//   runtime     -> onnx               ORT sessions, the CPU lowering of graphs (blocked NCHWc convs)
//   data, report -> util              datasets and batches; run folders, metrics, figures
//   config      -> models, data       the YAML schema (dataset kinds and shapes from data)
//   morphisms   -> models             split and prune as pure functions of the model state
//   train       -> config, data, report, runtime, models …   training graphs, engine, the epoch loop
//   grow        -> train, morphisms …                        grow graph, growing phases, estimates
//   cli         -> everything                                one folder per command
const BELOW = {
  util: [],
  onnx: ['util'],
  autodiff: ['onnx', 'util'],
  models: ['autodiff', 'onnx', 'util'],
  runtime: ['onnx', 'util'],
  data: ['util'],
  report: ['util'],
  config: ['models', 'data', 'autodiff', 'onnx', 'util'],
  morphisms: ['models', 'autodiff', 'onnx', 'util'],
  train: ['config', 'data', 'report', 'runtime', 'models', 'autodiff', 'onnx', 'util'],
  grow: ['train', 'morphisms', 'config', 'data', 'report', 'runtime', 'models', 'autodiff', 'onnx', 'util'],
  cli: ['grow', 'train', 'morphisms', 'config', 'data', 'report', 'runtime', 'models', 'autodiff', 'onnx', 'util'],
};

const layerRules = Object.entries(BELOW).map(([layer, below]) => ({
  name: `layer-${layer}`,
  comment: `src/${layer} may import only ${[layer, ...below].map((l) => `src/${l}`).join(', ')}`,
  severity: 'error',
  from: { path: `^src/${layer}/` },
  to: { path: '^src/', pathNot: `^src/(${[layer, ...below].join('|')})/` },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      comment: 'modules in src/ must not import each other, directly or around a loop',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'src-is-self-contained',
      comment: 'src/ must not import tests, benchmarks or scripts',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench|scripts)/' },
    },
    {
      name: 'known-layers-only',
      comment: 'every folder of src/ is a layer listed in .dependency-cruiser.cjs',
      severity: 'error',
      from: { path: '^src/', pathNot: `^src/(${Object.keys(BELOW).join('|')})/` },
      to: {},
    },
    ...layerRules,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    // type-only imports count: a layer that names another's types depends on it
    reporterOptions: { text: { highlightFocused: true } },
  },
};
