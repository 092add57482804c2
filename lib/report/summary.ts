/**
 * Build, validate and write the summary files of a run: summary.json (checked against
 * contracts/training_summary.schema.json before anything is written), summary.md and
 * complete_results.json, each written atomically.
 *
 * @module
 */
import * as nodePath from "node:path";
import type { ExtractorRunRecord, HardwareProfile, TrainingRunSummary } from "../run/models.ts";
import { writeJsonFileAtomic, writeTextFileAtomic } from "../internal/atomic_write.ts";
import {
  formatSchemaIssues,
  type SchemaIssue,
  validateComparison,
  validateTrainingSummary,
} from "../run/schemas.ts";
import { COMPARISON_FILE_NAME } from "./comparison.ts";
import { buildCompleteResults, type BuildCompleteResultsOptions } from "./legacy.ts";
import {
  LEGACY_RESULTS_FILE_NAME,
  type RenderMarkdownOptions,
  renderSummaryMarkdown,
  SUMMARY_JSON_FILE_NAME,
  SUMMARY_MARKDOWN_FILE_NAME,
} from "./markdown.ts";

/** A summary that breaks contracts/training_summary.schema.json; nothing was written. */
export class SummaryValidationError extends Error {
  /** Every schema violation (ajv errors, made readable). */
  readonly issues: readonly SchemaIssue[];

  /**
   * Create the error; the message lists every violation, one per line.
   *
   * @param issues The violations.
   */
  constructor(issues: readonly SchemaIssue[]) {
    super(`Summary does not match training_summary.schema.json:\n${formatSchemaIssues(issues)}`);
    this.name = "SummaryValidationError";
    this.issues = issues;
  }
}

/**
 * Throw unless `value` is a schema-valid summary.
 *
 * @param value Candidate summary.
 * @throws {SummaryValidationError} Listing every violation.
 */
export function assertValidSummary(value: unknown): asserts value is TrainingRunSummary {
  const issues = validateTrainingSummary(value);
  if (issues.length > 0) throw new SummaryValidationError(issues);
}

/** Input of {@linkcode buildTrainingSummary}. */
export interface TrainingSummaryInput {
  /** Run directory name, or the merged comparison's label. */
  runId: string;
  /** ISO 8601 time the run started. */
  createdAt: string;
  /** Absolute run (or merged output) directory. */
  outputRoot: string;
  /** One profile per host. */
  hardwareOverview: readonly HardwareProfile[];
  /** Records in run order. */
  records: readonly ExtractorRunRecord[];
  /** Aggregate metrics. */
  aggregateMetrics: Readonly<Record<string, number>>;
  /** Notes; omitted from the JSON when empty. */
  notes?: readonly string[];
}

/**
 * Assemble and validate a summary.
 *
 * @param input Summary fields.
 * @returns The summary (deep copies of the inputs).
 * @throws {SummaryValidationError} When the result breaks the schema.
 */
export function buildTrainingSummary(input: TrainingSummaryInput): TrainingRunSummary {
  const summary: TrainingRunSummary = structuredClone({
    run_id: input.runId,
    created_at: input.createdAt,
    output_root: input.outputRoot,
    hardware_overview: [...input.hardwareOverview],
    extractor_results: [...input.records],
    aggregate_metrics: { ...input.aggregateMetrics },
  });
  if (input.notes !== undefined && input.notes.length > 0) summary.notes = [...input.notes];
  assertValidSummary(summary);
  return summary;
}

/** Paths of the written summary files. */
export interface SummaryFiles {
  /** summary.json. */
  json: string;
  /** summary.md. */
  markdown: string;
  /** complete_results.json. */
  legacy: string;
  /** comparison.json, when a comparison was written. */
  comparison?: string;
}

/** Options of {@linkcode writeSummaryFiles}. */
export interface WriteSummaryOptions extends RenderMarkdownOptions {
  /** What the legacy file needs besides the summary. */
  legacy: BuildCompleteResultsOptions;
}

/**
 * Validate the summary, then write summary.json, summary.md and complete_results.json
 * (and comparison.json when a comparison is given) into `directory`, each atomically. Invalid data is refused before any file changes.
 *
 * @param directory Existing output directory.
 * @param summary The summary to write.
 * @param options Legacy file inputs, Best Metric key.
 * @returns Absolute paths of the three files.
 * @throws {SummaryValidationError} When the summary breaks the schema.
 * @throws {TypeError} When the comparison breaks contracts/comparison.schema.json.
 */
export async function writeSummaryFiles(
  directory: string,
  summary: TrainingRunSummary,
  options: WriteSummaryOptions,
): Promise<SummaryFiles> {
  assertValidSummary(summary);
  const markdown = renderSummaryMarkdown(summary, options);
  const legacy = buildCompleteResults(summary, options.legacy);
  const files: SummaryFiles = {
    json: nodePath.resolve(directory, SUMMARY_JSON_FILE_NAME),
    markdown: nodePath.resolve(directory, SUMMARY_MARKDOWN_FILE_NAME),
    legacy: nodePath.resolve(directory, LEGACY_RESULTS_FILE_NAME),
  };
  if (options.comparison !== undefined) {
    const issues = validateComparison(options.comparison);
    if (issues.length > 0) {
      throw new TypeError(
        `comparison.json does not match comparison.schema.json:\n${formatSchemaIssues(issues)}`,
      );
    }
    files.comparison = nodePath.resolve(directory, COMPARISON_FILE_NAME);
    await writeJsonFileAtomic(files.comparison, options.comparison);
  }
  await writeJsonFileAtomic(files.json, summary);
  await writeTextFileAtomic(files.markdown, markdown);
  await writeJsonFileAtomic(files.legacy, legacy);
  return files;
}
