// Config layer: schema, loading and validation, rendering. May import src/util and src/models only.
export { ConfigError, ConfigProblem, formatProblem } from './errors';
export { LoadOptions, Override, configName, diffConfigs, loadConfig, parseConfig, renderConfigYaml } from './load';
export { FAMILIES, TrainConfig, checkConsistency, configSchema, denseLayerCount } from './schema';
export { DATASETS, DataShape, Dataset, datasetShape } from './datasets';
export { ArchFileError, archShapeMismatch, checkArch, loadArchFile } from './arch-file';
export { resolveArch } from './resolve-arch';
export { inlineYaml, renderMarkdownTable } from './dsl';

import { renderMarkdownTable } from './dsl';
import { configSchema } from './schema';

/** The whole config schema as a Markdown table (key, type, default, description). */
export function configReference(): string {
  return renderMarkdownTable(configSchema);
}
