/**
 * Summaries of a comparison: convergence and sample-efficiency analysis, summary.json
 * (validated against contracts/training_summary.schema.json before writing),
 * summary.md (contracts/summary_markdown.md), complete_results.json (legacy), the
 * comparison figures (learning curves and final metrics, SVG and PNG), and rebuilding
 * or merging them from run directories, and the statistical comparison of trials
 * (comparison.json: IQM, bootstrap intervals, probability of improvement, verdict).
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
  BASELINE_SECTION,
  formatMetricValue,
  LEGACY_RESULTS_FILE_NAME,
  renderSummaryMarkdown,
  SUMMARY_JSON_FILE_NAME,
  SUMMARY_MARKDOWN_FILE_NAME,
  SUMMARY_SECTIONS,
} from "./markdown.ts";
export type { FigureLink, RenderMarkdownOptions, SummaryFigures } from "./markdown.ts";
export {
  BASELINES_FILE,
  beats,
  HELD_OUT_EPISODE_FILE,
  heldOutEpisodeLinks,
  navigationSection,
  readBaselines,
} from "./navigation.ts";
export type { BaselinesFile, NavigationRow, NavigationSection } from "./navigation.ts";
export {
  DEFAULT_FONT_CANDIDATES,
  FIGURE_ARTIFACT_KEYS,
  FIGURE_METRIC_KEYS,
  FIGURES_DIR_NAME,
  FINAL_METRICS_FIGURE_NAME,
  findFont,
  LEARNING_CURVE_FIGURE_PREFIX,
  LEARNING_CURVES_FIGURE_NAME,
  summaryFigures,
  svgToPng,
  withFigureArtifacts,
  writeComparisonFigures,
} from "./figures.ts";
export type {
  ComparisonFiguresInput,
  FigureFile,
  FigureKind,
  FiguresResult,
  FontSource,
  SvgToPngOptions,
  WriteFiguresOptions,
} from "./figures.ts";
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
  CUT_SHORT_REASON,
  IN_PROGRESS_REASON,
  readRunDirectory,
  RunDirectoryError,
} from "./run_directory.ts";
export type { RunContents } from "./run_directory.ts";
export { mergeRuns, summarizeRun } from "./summarize_run.ts";
export type {
  MergeRunsOptions,
  SummarizeResult,
  SummarizeRunOptions,
  SummaryFigureOptions,
} from "./summarize_run.ts";
export { buildComparison, COMPARISON_FILE_NAME, COMPARISON_METRICS } from "./comparison.ts";
export type {
  Comparison,
  ComparisonInput as TrialsComparisonInput,
  ComparisonTrial,
  CurvePoint,
  ExtractorComparison,
  MetricStatistics,
  PairwiseComparison,
  PerformanceProfile,
} from "./comparison.ts";
export {
  bootstrapEstimate,
  bootstrapImprovement,
  type BootstrapSettings,
  DEFAULT_BOOTSTRAP,
  type Estimate,
  interquartileMean,
  percentile,
  performanceProfile,
  probabilityOfImprovement,
  sampleMean,
  seedsNeeded,
} from "./statistics.ts";
