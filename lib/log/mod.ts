/**
 * Logging (@logtape/logtape): console on stderr with --quiet / --verbose, a
 * JSON-lines run log; training progress (what the trainer reports, progress bars,
 * throttled progress lines for logs).
 *
 * @module
 */
export {
  emitForwardedLog,
  getSuiteLogger,
  LOG_CATEGORY,
  RUN_LOG_FILE_NAME,
  setupForwardedLogging,
  setupLogging,
  verbosityFromFlags,
} from "./logging.ts";
export type {
  ForwardedLogRecord,
  Logger,
  LoggingOptions,
  LoggingSession,
  Verbosity,
} from "./logging.ts";
export { createProgressDisplay, formatEta, formatProgress, ProgressThrottle } from "./progress.ts";
export type {
  ProgressDisplay,
  ProgressDisplayOptions,
  ProgressStream,
  ProgressThrottleOptions,
  TrainingProgress,
} from "./progress.ts";
export {
  encodeEvent,
  EVENT_FILE_VERSION,
  EventFileWriter,
  maskedCrc32c,
  tfRecord,
} from "./tensorboard.ts";
export type { EventFields, ScalarValue } from "./tensorboard.ts";
export { ProgressCsvWriter, pythonNumber } from "./progress_csv.ts";
export type { CsvRow, ProgressCsvState } from "./progress_csv.ts";
export { encodeNpy, encodeNpz } from "./npz.ts";
export type { NpyArray, NpyDtype } from "./npz.ts";
