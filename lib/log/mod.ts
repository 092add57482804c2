/**
 * Logging (@logtape/logtape): console on stderr with --quiet / --verbose, a
 * JSON-lines run log, and helpers that log skips as warnings and failures as errors,
 * each with the extractor name and a hint; training progress bars.
 *
 * @module
 */
export {
  createJsonLinesFileSink,
  getSuiteLogger,
  LOG_CATEGORY,
  logExtractorFailed,
  logExtractorSkipped,
  RUN_LOG_FILE_NAME,
  setupLogging,
  verbosityFromFlags,
} from "./logging.ts";
export type {
  ExtractorProblem,
  Logger,
  LoggingOptions,
  LoggingSession,
  Sink,
  Verbosity,
} from "./logging.ts";
export { createProgressDisplay, formatEta } from "./progress.ts";
export type { ProgressDisplay, ProgressDisplayOptions, ProgressStream } from "./progress.ts";
export type { TrainingProgress } from "../rl/callbacks.ts";
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
