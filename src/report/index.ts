// Report layer: run folders, metrics files, terminal progress. May import src/util only (and node, sharp).
export { MetricRecord, MetricValue, MetricsWriter, MetricsWriterOptions, csvLine, csvRows, jsonLine, parseCsvLine, readJsonl } from './metrics';
export { BatchResult, EpochStats, ProgressOptions, ProgressReporter, ProgressStream, summaryLine } from './progress';
export { PrepareOptions, PreparedRunFolder, RunFolder, RunFolderError, RunLock, RunLog, RunManifest, checkRunFolder, enclosingRunFolder, prepareRunFolder, readManifest, removeLeftovers, runFolder } from './run-folder';
export { formatDuration, formatNumber } from './format';
export { RunFileError, readJsonFile } from './json-file';
export { RunProgress, progressProblem, readRunProgress } from './run-progress';
export { ScatterGridOptions, ScatterPanel, ScatterSeries, scatterGridSvg, writeScatterGridPng } from './scatter';
