/**
 * The main job (`deno task train`): prepare a comparison (load and validate the
 * scenario, apply the command line and test mode, probe the host, plan with the code
 * `validate` uses), then train every extractor in run order (up to
 * `run.parallel_extractors` at once, each in its own Worker), each isolated from the
 * others, keeping summary.json, summary.md, complete_results.json and the figures
 * current after each one; interruption checkpoints and records the running extractor.
 * `resume` continues an unfinished run from its run directory with the same steps.
 *
 * @example Run the default comparison in test mode
 * ```ts
 * import { prepareComparison, runComparison } from "./mod.ts";
 * const prepared = await prepareComparison("configs/scenarios/multi_extractor_default.yaml", {
 *   testMode: true,
 * });
 * const result = await runComparison(prepared);
 * console.log(result.outcome, result.run.path);
 * ```
 *
 * @module
 */
export {
  comparisonOutcome,
  createRun,
  INTERRUPTED_REASON,
  recordReason,
  runComparison,
  SCENARIO_COPY_FILE_NAME,
} from "./comparison.ts";
export type {
  ComparisonOutcome,
  ComparisonResult,
  CreatedRun,
  CreateRunOptions,
  RunComparisonOptions,
  TrainExtractorFn,
  TrainExtractorOptions,
  TrainExtractorResult,
} from "./comparison.ts";
export {
  EXTRACTOR_WORKER_MODULE,
  ExtractorWorkerError,
  trainExtractorInWorker,
} from "./extractor_worker.ts";
export type { ExtractorWorkerOptions } from "./extractor_worker.ts";
export { describeFailure, logExtractorFailed, logExtractorSkipped } from "./failures.ts";
export type {
  DescribeFailureOptions,
  ExtractorProblem,
  FailureDescription,
  FailureKind,
} from "./failures.ts";
export {
  InvocationError,
  plannedTrials,
  prepareComparison,
  prepareScenario,
  selectExtractors,
} from "./prepare.ts";
export type { PlannedTrial, PrepareComparisonOptions, PreparedComparison } from "./prepare.ts";
export { prepareResume, resumeComparison, ResumeRefusedError } from "./resume.ts";
export type {
  PreparedResume,
  PrepareResumeOptions,
  ResumeEntry,
  ResumeRefusal,
  ResumeResult,
} from "./resume.ts";
export type { ContinueFrom, EarlierSessions } from "./_orchestrate.ts";
export { formatProgress, ProgressThrottle } from "../log/progress.ts";
export type { ProgressThrottleOptions, TrainingProgress } from "../log/progress.ts";
export {
  REFERENCE_TEST_MODE_ENV,
  rolloutEnvs,
  TEST_MODE_ENV,
  TEST_MODE_LIMITS,
  TEST_MODE_NOTE,
  testModeFromEnv,
  testModeSettings,
} from "./test_mode.ts";
export { _shellWord as shellWord } from "./_resume_command.ts";
export { resolveLatestRun } from "./latest.ts";
export type { LatestRun } from "./latest.ts";
export { trainExtractor } from "./train_extractor.ts";
export type { VecEnvFactory, VecEnvFactoryArgs } from "./train_extractor.ts";
export { scenarioEnvSettings } from "./navigation.ts";
