/**
 * Run layout: typed models (hardware, run record, summary) with the
 * schema's invariants, run and extractor directories, the append-only manifest,
 * per-extractor metrics and evaluation history, atomic writes, SHA-256 digests, what a
 * manifest says about each extractor (runState) and the locks that keep processes
 * sharing a run directory apart.
 *
 * @module
 */
export {
  createFailedRecord,
  createHardwareProfile,
  createRunRecord,
  createSkippedRecord,
} from "./models.ts";
export type {
  ClosedRecordOptions,
  ExtractorRunRecord,
  HardwareProfile,
  RunStatus,
  TrainingRunSummary,
  WorkerMode,
} from "./models.ts";
export {
  assertUniqueNames,
  createExtractorDirectory,
  createRunDirectory,
  DEFAULT_OUTPUT_ROOT,
  extractorDirectory,
  EXTRACTORS_DIR_NAME,
  findLatestRun,
  findNameCollisions,
  formatRunTimestamp,
  MAX_NAME_LENGTH,
  normalizeName,
  normalizeRunId,
  OUTPUT_ROOT_ENV,
  outputRootProblem,
  REFERENCE_OUTPUT_ROOT_ENV,
  relativeToRun,
  resolveInside,
  resolveOutputRoot,
  RUN_TIMESTAMP_PATTERN,
  runDirectoryName,
} from "./paths.ts";
export type {
  CreateRunDirectoryOptions,
  NameCollision,
  OutputRoot,
  OutputRootSource,
  ResolveOutputRootOptions,
  RunDirectory,
} from "./paths.ts";
export {
  removeStaleTempFiles,
  writeFileAtomic,
  writeJsonFileAtomic,
  writeTextFileAtomic,
} from "../internal/atomic_write.ts";
export type {
  AtomicData,
  AtomicJsonOptions,
  AtomicWriteOptions,
} from "../internal/atomic_write.ts";
export {
  MANIFEST_FILE_NAME,
  MANIFEST_FORMAT_VERSION,
  ManifestError,
  ManifestWriter,
  parseManifest,
  readManifest,
} from "./manifest.ts";
export type {
  CheckpointWrittenEvent,
  EvaluationDoneEvent,
  ExtractorFinishedEvent,
  ExtractorStartedEvent,
  ManifestContents,
  ManifestEvent,
  ManifestEventBase,
  ManifestEventFields,
  ManifestEventInput,
  ManifestEventKind,
  ManifestFormatVersion,
  ManifestSink,
  ManifestWriterOptions,
  ResumeAction,
  RunResumedEvent,
  RunStartedEvent,
  SummaryWrittenEvent,
  TailRepair,
  TornLine,
} from "./manifest.ts";
export {
  appendEvaluation,
  checkEvaluationPoint,
  checkMetrics,
  EVAL_HISTORY_FILE_NAME,
  EXTRACTOR_FILES,
  METRICS_FILE_NAME,
  readEvalHistory,
  readMetricsFile,
  writeMetricsFile,
} from "./artifacts.ts";
export type { EvalHistoryContents, EvaluationPoint } from "./artifacts.ts";
export { sha256File, sha256Hex } from "./hash.ts";
export { runState } from "./run_state.ts";
export type { ExtractorPhase, ExtractorState, RunState } from "./run_state.ts";
export {
  acquireFileLock,
  isExclusivelyLocked,
  LockBusyError,
  RUN_LOCK_FILE_NAME,
  SUMMARY_LOCK_FILE_NAME,
  TRAINING_LOCK_FILE_NAME,
  withFileLock,
} from "./locks.ts";
export type { AcquireFileLockOptions, FileLock, ReleaseFileLockOptions } from "./locks.ts";
export {
  formatSchemaIssues,
  pointerToPath,
  validateComparison,
  validateHardwareProfile,
  validateManifestEvent,
  validateRunRecord,
  validateTrainingSummary,
} from "./schemas.ts";
export type { SchemaIssue } from "./schemas.ts";
export { eventTrial, trialKey } from "./trial.ts";
export type { Trial } from "./trial.ts";
