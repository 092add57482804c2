/**
 * The main job: train every extractor of a prepared comparison in run order, each
 * isolated from the others, and keep a current summary on disk.
 *
 * Per run: create the run directory, copy the scenario file into it, take the run
 * lock, open the manifest (run_started with the resolved config, its SHA-256 and the
 * hardware profile). Per extractor in run order: a skipped entry gets its
 * extractor_finished record at once; a runnable one gets extractor_started, then the
 * trainer, then extractor_finished with its record (success: metrics and artifacts;
 * failed: reason; interrupted: reason "interrupted", checkpoints kept), then
 * summary.json, summary.md, complete_results.json and figures are rewritten. At the
 * end the summary is written once more and summary_written is recorded. `resume`
 * (resume.ts) continues such a run with the same steps.
 *
 * `run.parallel_extractors: K` > 1 trains up to K extractors at once, each in its own
 * extractor worker (extractor_worker.ts); the main thread only orchestrates: it owns
 * the manifest (the workers' events are appended here), collects the records and
 * writes the summaries. K = 1 trains in the main thread, one after another.
 *
 * @module
 */
import { getSuiteLogger } from "../log/logging.ts";
import type { SummarizeResult } from "../report/summarize_run.ts";
import type { ExtractorRunRecord } from "../run/models.ts";
import type { RunDirectory } from "../run/paths.ts";
import type { TrainingProgress } from "../log/mod.ts";
import type { TrainExtractorOptions, TrainExtractorResult } from "./train_extractor.ts";
import {
  INTERRUPTED_REASON,
  recordReason,
  runContext,
  runWorkItems,
  type WorkItem,
  writeFinalSummary,
} from "./_orchestrate.ts";
import { plannedTrials, type PreparedComparison } from "./prepare.ts";
import type { RunComparisonOptions } from "./run_options.ts";
import { createRun } from "./create_run.ts";
import { _resumeCommand } from "./_resume_command.ts";

export { INTERRUPTED_REASON, recordReason };
export { createRun, SCENARIO_COPY_FILE_NAME } from "./create_run.ts";
export type { CreatedRun, CreateRunOptions } from "./create_run.ts";
export type { TrainExtractorOptions, TrainExtractorResult, TrainingProgress };
export type { RunComparisonOptions, TrainExtractorFn } from "./run_options.ts";

/** How a comparison ended. */
export type ComparisonOutcome = "completed" | "failed" | "interrupted";

/** What {@linkcode runComparison} did. */
export interface ComparisonResult {
  /** The run directory. */
  run: RunDirectory;
  /** Records written by this run, in run order. */
  records: ExtractorRunRecord[];
  /** The last summary written (the final one). */
  summary: SummarizeResult;
  /** completed: every extractor succeeded or was skipped; failed: one failed; interrupted. */
  outcome: ComparisonOutcome;
  /** Command that resumes an interrupted run, else null. */
  resumeCommand: string | null;
}

/**
 * How a comparison's records end it: interrupted when a signal stopped it, failed
 * when any record failed, completed otherwise (skips are expected outcomes).
 *
 * @param records Records of the run.
 * @param interrupted Whether a signal stopped the run.
 * @returns The outcome.
 */
export function comparisonOutcome(
  records: readonly ExtractorRunRecord[],
  interrupted: boolean,
): ComparisonOutcome {
  if (interrupted) return "interrupted";
  return records.some((record) => record.status === "failed") ? "failed" : "completed";
}

/**
 * The work items of a fresh run: every planned trial (extractor, seed), trained or
 * skipped.
 *
 * @param prepared The comparison.
 * @returns One item per planned trial, in run order.
 */
function _freshItems(prepared: PreparedComparison): WorkItem[] {
  const profiles = new Map(prepared.scenario.extractors.map((p) => [p.name, p]));
  return plannedTrials(prepared).map(({ planned, trial }): WorkItem => {
    const profile = profiles.get(planned.name);
    return planned.action === "skip" || profile === undefined
      ? { kind: "skip", planned, trial }
      : { kind: "train", profile, trial, from: null, earlier: null };
  });
}

/**
 * Run a prepared comparison: create the run directory and manifest, train each
 * extractor in run order (skips recorded with their reasons; a throwing extractor is
 * recorded as failed with reason and the rest continue; a signal stops the running
 * extractor at its next safe point, records it as failed with reason "interrupted",
 * and starts no further one), rewrite the summary after each trained extractor, and
 * write the final summary with a summary_written event.
 *
 * @example Run the default comparison
 * ```ts
 * const prepared = await prepareComparison("configs/scenarios/multi_extractor_default.yaml");
 * const result = await runComparison(prepared);
 * console.log(result.outcome, result.summary.files.markdown);
 * ```
 *
 * @param prepared The comparison from prepareComparison().
 * @param options Trainer, signal, callbacks, figures.
 * @returns Run directory, records, final summary and outcome.
 * @throws {Error} When the run directory, manifest or final summary cannot be written
 * (a failing extractor never throws here).
 */
export async function runComparison(
  prepared: PreparedComparison,
  options: RunComparisonOptions = {},
): Promise<ComparisonResult> {
  const logger = getSuiteLogger("train");
  const created = await createRun(prepared, {
    argv: options.argv,
    onRunCreated: options.onRunCreated,
  });
  const { run, manifest } = created;
  try {
    logger.info("Run directory {path}", { path: run.path });
    for (const note of prepared.notes) logger.info("{note}", { note });
    const context = runContext(prepared, options, run, manifest);
    const { records, interrupted } = await runWorkItems(context, _freshItems(prepared));
    const resumeCommand = interrupted ? _resumeCommand(run.path) : null;
    const summary = await writeFinalSummary(context, resumeCommand);
    return {
      run,
      records,
      summary,
      outcome: comparisonOutcome(records, interrupted),
      resumeCommand,
    };
  } finally {
    // The run has ended here: no empty run.lock is left (slurm keeps it for its tasks).
    await created.close({ removeLock: true });
  }
}
