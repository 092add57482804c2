/**
 * `slurm resubmit`: submit single array tasks of a run again (a task pre-empted,
 * killed at its time limit, or failed), each continuing its extractor through
 * `resume`, and a new summarize job that waits for them; or, when every task has
 * ended well but the summary is missing or older than the last result (its job was
 * cancelled or failed), the summarize job alone.
 *
 * @module
 */
import * as nodePath from "node:path";
import { closestName } from "../config/presets.ts";
import { MANIFEST_FILE_NAME, readManifest } from "../run/manifest.ts";
import {
  type SlurmSubmission,
  submitSlurmRun,
  type SubmitSlurmRunOptions,
  submitSummarizeJob,
} from "./submit.ts";
import {
  ACTIVE_SLURM_STATES,
  type QuerySlurmJobsOptions,
  slurmRunStatus,
  type TaskStatus,
} from "./status.ts";

/** Options of {@linkcode resubmitSlurmRun}. */
export interface ResubmitSlurmRunOptions
  extends QuerySlurmJobsOptions, Omit<SubmitSlurmRunOptions, "indices"> {
  /**
   * Extractors to submit again, whatever their state (except queued or running).
   * @default null (every task that is not finished well and not queued or running)
   */
  only?: readonly string[] | null;
  /**
   * Only select the tasks; submit nothing.
   * @default false
   */
  dryRun?: boolean;
}

/** What {@linkcode resubmitSlurmRun} did. */
export interface Resubmission {
  /** The tasks selected, with the status that selected them. */
  tasks: TaskStatus[];
  /**
   * The submission (no array job when only the summarize job was submitted), or null
   * on a dry run or when nothing needed it.
   */
  submission: SlurmSubmission | null;
  /**
   * No task needed submitting, but the summary did (missing, or older than the last
   * extractor record, and no summarize job queued or running): the summarize job alone
   * was submitted (or would be, on a dry run).
   */
  summaryOnly: boolean;
}

/**
 * Whether the run's summary is missing or older than its last extractor record: no
 * `summary_written` event after the last `extractor_finished`.
 */
async function _summaryStale(runDir: string): Promise<boolean> {
  const { events } = await readManifest(nodePath.join(runDir, MANIFEST_FILE_NAME));
  const lastRecord = events.findLastIndex((event) => event.event === "extractor_finished");
  const lastSummary = events.findLastIndex((event) => event.event === "summary_written");
  return lastSummary < lastRecord || lastSummary === -1;
}

/**
 * Select array tasks of a run and submit them again with the run's own scripts
 * (`sbatch --array=<indices>`), then a summarize job depending on them. Without
 * `only`, the selected tasks are those whose extractor neither succeeded nor was
 * skipped and whose job SLURM does not report as queued or running; when there are
 * none, every task has ended well, no summarize job is queued or running and the
 * summary is missing or older than the last record, the summarize job is submitted
 * alone.
 *
 * @param runDir Run directory of a run submitted with `slurm`.
 * @param options Names to submit, dry run, command names.
 * @returns The selected tasks and the submission.
 * @throws {RangeError} When a name is no array task of the run (with the closest name),
 * or a named task is queued or running (two jobs would train one extractor at once).
 * @throws {RunDirectoryError} When the directory is not a run submitted with `slurm`.
 * @throws {SlurmCommandError} When sbatch fails.
 */
export async function resubmitSlurmRun(
  runDir: string,
  options: ResubmitSlurmRunOptions = {},
): Promise<Resubmission> {
  const status = await slurmRunStatus(runDir, options);
  let tasks: TaskStatus[];
  if (options.only === undefined || options.only === null) {
    tasks = status.tasks.filter((task) => task.jobId === null || task.resubmit);
  } else {
    const names = status.tasks.map((task) => task.extractor);
    tasks = [];
    for (const name of new Set(options.only)) {
      const task = status.tasks.find((candidate) => candidate.extractor === name);
      if (task === undefined) {
        const close = closestName(name, names);
        throw new RangeError(
          `"${name}" is no array task of ${status.runDir}` +
            (close !== null ? ` (did you mean "${close}"?)` : ` (tasks: ${names.join(", ")})`),
        );
      }
      if (task.slurm !== null && ACTIVE_SLURM_STATES.includes(task.slurm.state)) {
        throw new RangeError(
          `${name} is ${task.slurm.state} as job ${task.jobId}; cancel it first ` +
            `(scancel ${task.jobId}) so that two jobs never train it at once`,
        );
      }
      tasks.push(task);
    }
  }
  if (tasks.length === 0) {
    const active = (state: string | undefined) =>
      state !== undefined && ACTIVE_SLURM_STATES.includes(state);
    const summaryOnly = (options.only === undefined || options.only === null) &&
      status.tasks.every((task) =>
        !active(task.slurm?.state) &&
        (task.manifest.state === "success" || task.manifest.state === "skipped")
      ) &&
      !active(status.summarize?.slurm?.state) &&
      await _summaryStale(status.runDir);
    if (!summaryOnly || options.dryRun === true) return { tasks, submission: null, summaryOnly };
    const summarize = await submitSummarizeJob(status.runDir, options);
    return { tasks, submission: { arrays: [], summarize }, summaryOnly };
  }
  if (options.dryRun === true) return { tasks, submission: null, summaryOnly: false };
  const submission = await submitSlurmRun(status.runDir, {
    indices: tasks.map((task) => task.index),
    sbatch: options.sbatch,
    now: options.now,
  });
  return { tasks, submission, summaryOnly: false };
}
