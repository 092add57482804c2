/**
 * SLURM job arrays for comparisons on a cluster: one array task per feature extractor
 * (`deno task resume <run_dir> --only <name>` into one shared run directory, GPU
 * extractors in their own array with a `--gres` request), a summarize job that waits for
 * the arrays (`--dependency=afterany`), submission with sbatch, status from the
 * manifest beside squeue/sacct/scontrol, and resubmission of single tasks.
 *
 * @example Write and submit the default scenario's jobs
 * ```ts
 * import { prepareComparison } from "../train/mod.ts";
 * import { createSlurmRun, submitSlurmRun } from "./mod.ts";
 * const prepared = await prepareComparison("configs/scenarios/multi_extractor_default.yaml", {
 *   cudaUsable: true,
 * });
 * const slurmRun = await createSlurmRun(prepared, { overrides: { partition: "cpu" } });
 * const submission = await submitSlurmRun(slurmRun.run.path);
 * console.log(submission.arrays[0].jobId, submission.summarize.jobId);
 * ```
 *
 * @module
 */
export { SlurmCommandError } from "./errors.ts";
export {
  JOBS_FILE_NAME,
  JOBS_FORMAT_VERSION,
  jobsFilePath,
  latestSummarizeSubmission,
  latestTaskSubmissions,
  parseJobsFile,
  readJobsFile,
  writeJobsFile,
} from "./jobs.ts";
export type { SlurmJobsFile, SlurmSubmissionRecord } from "./jobs.ts";
export {
  arrayScript,
  arrayScriptName,
  arraySpec,
  CPU_ARRAY_SCRIPT,
  dependencySpec,
  GPU_ARRAY_SCRIPT,
  literalFilename,
  LOGS_DIR_NAME,
  sbatchQuote,
  shellQuote,
  SLURM_DIR_NAME,
  SUMMARIZE_SCRIPT,
  summarizeScript,
  tasksOfKind,
} from "./scripts.ts";
export type { ArrayTask, SlurmScriptContext, SummarizeScriptOptions } from "./scripts.ts";
export {
  DEFAULT_DENO_COMMAND,
  DEFAULT_GPUS,
  gresRequest,
  resolveSlurmSettings,
} from "./settings.ts";
export type { ResolvedSlurmSettings, SlurmOverrides } from "./settings.ts";
export { resubmitSlurmRun } from "./resubmit.ts";
export type { Resubmission, ResubmitSlurmRunOptions } from "./resubmit.ts";
export {
  ACTIVE_SLURM_STATES,
  expandArrayJobId,
  expandIndexRange,
  extractorProgress,
  formatSlurmStatus,
  needsResubmit,
  parseSacct,
  parseScontrolJobs,
  parseSqueue,
  querySlurmJobs,
  SACCT_FORMAT,
  slurmRunStatus,
  SQUEUE_FORMAT,
} from "./status.ts";
export type {
  ExtractorJobState,
  ExtractorProgress,
  QuerySlurmJobsOptions,
  SlurmJobState,
  SlurmJobStates,
  SlurmRunStatus,
  SlurmRunStatusOptions,
  TaskStatus,
} from "./status.ts";
export {
  arrayTasks,
  createSlurmRun,
  failedSubmissionHint,
  manualSubmitCommands,
  parseSbatchJobId,
  scriptContext,
  submitSlurmRun,
  submitSummarizeJob,
} from "./submit.ts";
export type {
  CreateSlurmRunOptions,
  SlurmRun,
  SlurmSubmission,
  SubmitSlurmRunOptions,
  SubmittedJob,
} from "./submit.ts";
