// Report layer: run folders, metrics files, terminal progress. May import src/util only.
export { MetricRecord, MetricValue, MetricsWriter, MetricsWriterOptions, csvLine, jsonLine, parseCsvLine, readJsonl } from './metrics';
export { BatchResult, EpochStats, ProgressOptions, ProgressReporter, ProgressStream, summaryLine } from './progress';
export { PrepareOptions, RunFolder, RunFolderError, RunLog, prepareRunFolder, runFolder, writeFileAtomic, writeJsonFile } from './run-folder';
export { formatDuration, formatNumber } from './format';
