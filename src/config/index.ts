// Config layer: schema, loading and validation, rendering. Below it: src/models, src/data (dataset kinds), src/util.
export { ConfigError, ConfigProblem, formatProblem } from './errors';
export { LoadOptions, Override, configName, configValue, diffConfigs, loadConfig, parseConfig, renderConfigYaml } from './load';
export { CheckContext, FAMILIES, GROW_METHODS, GrowMethod, TrainConfig, assertTrainable, checkConsistency, checkTrainable, configSchema, configStructure, denseLayerCount, retrainEpochs } from './schema';
export { DATASET_KINDS, DataShape, DatasetKind, datasetShape } from '../data/kinds';
export { ArchFileError, archShapeMismatch, checkArch, loadArchFile } from './arch-file';
export { ArchMatch, resolveArch, resolveArchMatched } from './resolve-arch';
export { inlineYaml, renderMarkdownTable } from './describe';
export { SlurmSettings, SweepFile, SweepPoint, absolutePathsConfigText, configKeys, excludedPoints, loadSweepFile, sweepPoints } from './sweep-file';

import { renderMarkdownTable } from './describe';
import { configStructure } from './schema';

/** The whole config schema as a Markdown table (key, type, default, description); throws nothing. */
export function configReference(): string {
  return renderMarkdownTable(configStructure);
}
