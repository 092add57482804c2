/**
 * Summaries of a comparison: convergence and sample-efficiency analysis, summary.json
 * (validated against contracts/training_summary.schema.json before writing),
 * summary.md (contracts/summary_markdown.md), complete_results.json (legacy), and
 * rebuilding or merging them from run directories.
 *
 * @example Rebuild the summary of a run directory
 * ```ts
 * import { summarizeRun } from "./mod.ts";
 * const { files } = await summarizeRun("tmp/multi_extractor_training/20261129-120000-default");
 * console.log(files.markdown);
 * ```
 *
 * @module
 */
export {
  aggregateMetrics,
  analyzeComparison,
  bestMeanReward,
  convergenceTarget,
  firstTimestepReaching,
  mean,
  median,
  METRIC_UNITS,
} from "./analysis.ts";
export type { BaselineFigures, ComparisonAnalysis, ComparisonInput } from "./analysis.ts";
export {
  formatMetricValue,
  LEGACY_RESULTS_FILE_NAME,
  renderSummaryMarkdown,
  SUMMARY_JSON_FILE_NAME,
  SUMMARY_MARKDOWN_FILE_NAME,
  SUMMARY_SECTIONS,
} from "./markdown.ts";
export type { RenderMarkdownOptions } from "./markdown.ts";
export { buildCompleteResults } from "./legacy.ts";
export type {
  BuildCompleteResultsOptions,
  CompleteResults,
  LegacyResult,
  LegacyRunSettings,
} from "./legacy.ts";
export {
  assertValidSummary,
  buildTrainingSummary,
  SummaryValidationError,
  writeSummaryFiles,
} from "./summary.ts";
export type { SummaryFiles, TrainingSummaryInput, WriteSummaryOptions } from "./summary.ts";
export {
  ANALYSIS_METRIC_KEYS,
  mergeRuns,
  readRunDirectory,
  RunDirectoryError,
  summarizeRun,
} from "./rebuild.ts";
export type {
  MergeRunsOptions,
  RunContents,
  SummarizeResult,
  SummarizeRunOptions,
} from "./rebuild.ts";
