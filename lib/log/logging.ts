/**
 * Logging for the scripts, on @logtape/logtape: a console sink on stderr whose level
 * follows --quiet / --verbose, and a JSON-lines file sink for `<run_dir>/run.log.jsonl`
 * that records everything from debug up. Library code only calls
 * {@linkcode getSuiteLogger}; scripts call {@linkcode setupLogging} once.
 *
 * @module
 */
import { consoleSafe } from "../internal/control_chars.ts";
import { assertNoSymlinksSync } from "../internal/safe_path.ts";
import {
  configure,
  dispose,
  getJsonLinesFormatter,
  getLogger,
  getTextFormatter,
  type Logger as LogtapeLogger,
  type LogLevel,
  type LogRecord,
  type Sink,
  withFilter,
} from "@logtape/logtape";

/**
 * The suite's logger: a message template with `{name}` placeholders and the values to
 * fill in (logtape's structured logging; the run log keeps the values as JSON).
 */
export interface Logger {
  /** Details for --verbose and the run log. */
  debug(message: string, properties?: Record<string, unknown>): void;
  /** Progress and results. */
  info(message: string, properties?: Record<string, unknown>): void;
  /** Something the user should know about (e.g. a skipped extractor). */
  warn(message: string, properties?: Record<string, unknown>): void;
  /** Something failed (e.g. an extractor). */
  error(message: string, properties?: Record<string, unknown>): void;
}

/** Root logger category of the suite. */
export const LOG_CATEGORY = "multi-extractor";
/** File name of a run's JSON-lines log. */
export const RUN_LOG_FILE_NAME = "run.log.jsonl";

/** How much the console shows: quiet = warnings and errors, normal = + info, verbose = + debug. */
export type Verbosity = "quiet" | "normal" | "verbose";

/**
 * Map the --verbose / --quiet flags to a verbosity.
 *
 * @param flags Parsed flags.
 * @returns The verbosity.
 * @throws {RangeError} When both flags are set.
 */
export function verbosityFromFlags(flags: { verbose?: boolean; quiet?: boolean }): Verbosity {
  if (flags.verbose && flags.quiet) {
    throw new RangeError("--verbose and --quiet cannot be combined");
  }
  return flags.verbose ? "verbose" : flags.quiet ? "quiet" : "normal";
}

function _consoleLevel(verbosity: Verbosity): LogLevel {
  return verbosity === "verbose" ? "debug" : verbosity === "quiet" ? "warning" : "info";
}

/**
 * A sink appending one JSON object per record to a file (logtape's JSON Lines
 * format: `@timestamp`, `level`, `message`, `logger`, `properties`). Each record is
 * one synchronous append, so lines stay whole when the process dies.
 *
 * @param path Log file (created when missing, appended to otherwise).
 * @returns The sink; dispose it to close the file.
 */
function _jsonLinesFileSink(path: string): Sink & Disposable {
  assertNoSymlinksSync(path);
  const file = Deno.openSync(path, { append: true, create: true });
  const format = getJsonLinesFormatter();
  const encoder = new TextEncoder();
  const sink: Sink = (record: LogRecord) => {
    const bytes = encoder.encode(format(record));
    let offset = 0;
    while (offset < bytes.length) offset += file.writeSync(bytes.subarray(offset));
  };
  return Object.assign(sink, { [Symbol.dispose]: () => file.close() });
}

/** Options of {@linkcode setupLogging}. */
export interface LoggingOptions {
  /**
   * Console verbosity.
   * @default "normal"
   */
  verbosity?: Verbosity;
  /**
   * JSON-lines log file to write from the start, or null.
   * @default null
   */
  runLogPath?: string | null;
  /**
   * Receives each formatted console line (with its newline).
   * @default writes to stderr
   */
  consoleWriter?: (text: string) => void;
}

/** Handle on the configured logging. */
export interface LoggingSession {
  /**
   * Start writing the JSON-lines log to `path` (e.g. once the run directory exists).
   * @param path Log file.
   */
  attachRunLog(path: string): Promise<void>;
  /** Flush and close every sink. */
  close(): Promise<void>;
}

const _stderrEncoder = new TextEncoder();

function _stderr(text: string): void {
  const bytes = _stderrEncoder.encode(text);
  let offset = 0;
  while (offset < bytes.length) offset += Deno.stderr.writeSync(bytes.subarray(offset));
}

/**
 * Configure logging for a script (replaces any earlier configuration). Console lines
 * read `WARN  <message>`; file lines are JSON.
 *
 * @example Log a skip in a script
 * ```ts
 * const logging = await setupLogging({ verbosity: "normal" });
 * logExtractorSkipped(getSuiteLogger("train"), "mlp_small", { reason: "...", hint: "..." });
 * await logging.close();
 * ```
 *
 * @param options Verbosity, initial run log, console writer.
 * @returns A session to attach the run log and close.
 */
export async function setupLogging(options: LoggingOptions = {}): Promise<LoggingSession> {
  const writer = options.consoleWriter ?? _stderr;
  const formatter = getTextFormatter({
    timestamp: "none",
    // Strings as they are, but with control characters escaped and continuation lines
    // indented: a value (a name, a path, a message) cannot start a forged log line.
    value: (value, inspect) => typeof value === "string" ? consoleSafe(value) : inspect(value),
    sanitize: { newlines: "preserve" },
    format: ({ level, message }) => `${level.padEnd(5)} ${message}`,
    level: (level) => (level === "warning" ? "WARN" : level.toUpperCase()),
  });
  const consoleSink: Sink = (record) => writer(`${formatter(record).trimEnd()}\n`);
  const level = _consoleLevel(options.verbosity ?? "normal");
  let runLog = options.runLogPath ?? null;

  const apply = async () => {
    const sinks: Record<string, Sink> = { console: withFilter(consoleSink, level) };
    if (runLog !== null) sinks.file = _jsonLinesFileSink(runLog);
    await configure({
      reset: true,
      sinks,
      loggers: [
        { category: [LOG_CATEGORY], sinks: Object.keys(sinks), lowestLevel: "debug" },
        { category: ["logtape", "meta"], sinks: ["console"], lowestLevel: "warning" },
      ],
    });
  };
  await apply();
  return {
    async attachRunLog(path: string) {
      runLog = path;
      await apply();
    },
    async close() {
      await dispose();
    },
  };
}

/**
 * The suite's logger for a sub-category, e.g. `getSuiteLogger("train")` ->
 * `multi-extractor.train`.
 *
 * @param category Sub-category names.
 * @returns A logtape logger (silent until a script configures logging).
 */
export function getSuiteLogger(...category: string[]): Logger {
  const logger: LogtapeLogger = getLogger([LOG_CATEGORY, ...category]);
  return logger;
}

/**
 * A log record as it crosses from a worker to the thread that configured logging:
 * logtape's LogRecord with every value structured-cloneable (a value that is not, e.g.
 * a function, travels as its String()).
 */
export interface ForwardedLogRecord {
  /** Category, e.g. `["multi-extractor", "train"]`. */
  category: string[];
  /** Level (logtape's levels). */
  level: "trace" | "debug" | "info" | "warning" | "error" | "fatal";
  /** When it was logged (ms since the epoch). */
  timestamp: number;
  /** Message parts: text and values, alternating (logtape's `message`). */
  message: unknown[];
  /** The message template (e.g. `"{path} line {line} is garbled"`). */
  rawMessage: string;
  /** Structured values. */
  properties: Record<string, unknown>;
}

function _cloneable(value: unknown): unknown {
  if (value === null || typeof value !== "object" && typeof value !== "function") return value;
  try {
    return structuredClone(value);
  } catch {
    return String(value);
  }
}

/** The cloneable form of a logtape record. */
function _forwardable(record: LogRecord): ForwardedLogRecord {
  return {
    category: [...record.category],
    level: record.level,
    timestamp: record.timestamp,
    message: record.message.map(_cloneable),
    rawMessage: typeof record.rawMessage === "string"
      ? record.rawMessage
      : record.rawMessage.join("{}"),
    properties: Object.fromEntries(
      Object.entries(record.properties).map(([key, value]) => [key, _cloneable(value)]),
    ),
  };
}

/**
 * Configure logging in a worker (replaces any earlier configuration): every record of
 * the suite's categories, debug up, goes to `post`, for the thread that started the
 * worker to log with {@linkcode emitForwardedLog}. Without it, what library code logs
 * in a worker is lost (a worker has its own, unconfigured logtape).
 *
 * @param post Sends one record to the thread that configured logging.
 */
export async function setupForwardedLogging(
  post: (record: ForwardedLogRecord) => void,
): Promise<void> {
  await configure({
    reset: true,
    sinks: { forward: (record) => post(_forwardable(record)) },
    loggers: [
      { category: [LOG_CATEGORY], sinks: ["forward"], lowestLevel: "debug" },
      { category: ["logtape", "meta"], sinks: [], lowestLevel: "warning" },
    ],
  });
}

/**
 * Log a record forwarded from a worker through this thread's configuration (console
 * and run log), under its own category, level and timestamp.
 *
 * @param record What the worker's {@linkcode setupForwardedLogging} sink posted.
 */
export function emitForwardedLog(record: ForwardedLogRecord): void {
  getLogger(record.category).emit({
    level: record.level,
    timestamp: record.timestamp,
    message: record.message,
    rawMessage: record.rawMessage,
    properties: record.properties,
  });
}
