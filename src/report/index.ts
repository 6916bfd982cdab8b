// Report layer: run folders, metrics files, terminal progress, figures and the report page. May import
// src/util only (and node, sharp, vega, vega-lite).
export { MetricRecord, MetricValue, MetricsWriter, MetricsWriterOptions, csvLine, csvRows, jsonLine, parseCsvLine, readJsonl } from './metrics';
export { BatchResult, EpochStats, ProgressOptions, ProgressReporter, ProgressStream, summaryLine } from './progress';
export { MatchedArch, PrepareOptions, PreparedRunFolder, RunFolder, LockSubject, RUN_LOCK, RunFolderError, RunLock, RunLog, RunManifest, SWEEP_LOCK, checkRunFolder, enclosingRunFolder, findRunFolders, isRunFolder, lockHolder, phaseDir, prepareRunFolder, readManifest, removeLeftovers, runFolder } from './run-folder';
export { CSV_COLUMNS, MACS_MATCHED, PaperRows, RunResult, Stat, TableRow, csvTable, datasetName, groupRow, markdownTable, seedNetworkName, tableRows } from './results-table';
export { PAPER_BUDGET, PAPER_ROWS, PaperRow } from './paper-tables';
export { formatDuration, formatNumber } from './format';
export { RunFileError, readJsonFile } from './json-file';
export { RunProgress, progressProblem, readRunProgress } from './run-progress';
export { RunReport, UniformBaselineReport, readRunReport, runReportProblem } from './run-report';
export { ScatterGridOptions, ScatterPanel, ScatterSeries, scatterGridSpec, scatterGridSvg, writeScatterGridPng } from './scatter';
export { CHART_CONFIG, renderVegaLite, svgToPng, writeSvgAndPng } from './vega';
export { ArchInfo, EstimateRow, PhaseData, RunData, checkRunFolderToRead, estimatedPhases, readEstimates, readRunData } from './run-data';
export { ARCH_COLOURS, GrowthRow, archFigureSvg, cellFill, growthRows } from './arch-figure';
export { KIND_COLOURS, SeriesPoint, epochSeries, runChartSpec } from './run-chart';
export { ReportExtras, ReportFigures, prefixSvgIds, reportPageHtml } from './report-page';
export { PointStatus, SlurmSubmission, SweepManifest, isSweepFolder, readPointStatus, readSubmissions, readSweepManifest, recordSubmission, sweepFolder, writePointStatus, writeSweepManifest } from './sweep-folder';
export { MethodSetting, PairedRow, PartnerlessGaussNewton, UnpairedResults, pairedMarkdown, pairedRows, partnerlessGaussNewton, unpairedResults } from './paired';
