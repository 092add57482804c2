/**
 * What the training scripts (`train`, `resume`) share: SIGINT/SIGTERM handling (the
 * first signal asks the run to stop at its next safe point, where the running
 * extractor writes a checkpoint and is recorded as interrupted; a second one more than
 * a second later exits at once), progress output (bars on a terminal, throttled lines
 * otherwise) and the closing report of the records.
 *
 * @module
 */
import {
  createProgressDisplay,
  getSuiteLogger,
  type Logger,
  type LoggingSession,
  type ProgressDisplay,
  setupLogging,
  type Verbosity,
} from "../lib/log/mod.ts";
import type { ExtractorConfigurationProfile } from "../lib/config/mod.ts";
import type { ExtractorRunRecord } from "../lib/run/mod.ts";
import {
  formatProgress,
  ProgressThrottle,
  shellWord,
  type TrainingProgress,
} from "../lib/train/mod.ts";
import { EXIT_FAILURE, EXIT_OK, writeStderr } from "./_cli.ts";
import { readEnv } from "../lib/internal/env.ts";

/** Exit code of a run stopped by SIGINT or SIGTERM (128 + SIGINT). */
export const EXIT_INTERRUPTED = 130;

/** A second SIGINT/SIGTERM within this many ms of the first counts as the same one. */
const SIGNAL_REPEAT_MS = 1000;

/** Options of {@linkcode interruptOnSignals}. */
export interface InterruptOnSignalsOptions {
  /** Script name for the message of a forced exit. */
  script: string;
  /** Logger for the first signal's warning. */
  logger: Logger;
  /** Called before a forced exit (e.g. to stop progress bars). */
  beforeExit?: () => void;
}

/** Installed signal handlers. */
export interface SignalHandlers {
  /** Aborted by the first signal. */
  signal: AbortSignal;
  /** Remove the handlers. */
  dispose(): void;
}

/**
 * Install the handlers.
 *
 * @param options Script name, logger, hook before a forced exit.
 * @returns The abort signal and a dispose function.
 */
export function interruptOnSignals(options: InterruptOnSignalsOptions): SignalHandlers {
  const controller = new AbortController();
  let firstSignalAt: number | null = null;
  const onSignal = (signal: Deno.Signal) => () => {
    // Ctrl-C under `deno task` arrives twice at once (from the terminal and forwarded by the
    // task runner): only a signal more than a second after the first one exits at once.
    const now = performance.now();
    if (firstSignalAt !== null && now - firstSignalAt < SIGNAL_REPEAT_MS) return;
    if (firstSignalAt !== null) {
      options.beforeExit?.();
      writeStderr(
        `${options.script}: second ${signal}; exiting at once (the last checkpoint is kept)\n`,
      );
      Deno.exit(EXIT_INTERRUPTED);
    }
    options.logger.warn(
      "{signal} received: stopping at the next safe point and writing a checkpoint " +
        "(send it again to exit at once)",
      { signal },
    );
    firstSignalAt = now;
    controller.abort(new DOMException(`${signal} received`, "AbortError"));
  };
  const listeners: [Deno.Signal, () => void][] = [];
  for (const signal of ["SIGINT", "SIGTERM"] as Deno.Signal[]) {
    try {
      const listener = onSignal(signal);
      Deno.addSignalListener(signal, listener);
      listeners.push([signal, listener]);
    } catch {
      // signal not supported on this platform (SIGTERM on Windows)
    }
  }
  return {
    signal: controller.signal,
    dispose() {
      for (const [signal, listener] of listeners) Deno.removeSignalListener(signal, listener);
    },
  };
}

/** Console output of a training script. */
export interface TrainingConsole {
  /** Progress bars (active on a terminal unless quiet). */
  display: ProgressDisplay;
  /** The logging session (attach the run log to it). */
  logging: LoggingSession;
  /** The "train" logger. */
  logger: Logger;
  /** SIGINT/SIGTERM handling; dispose when done. */
  signals: SignalHandlers;
}

/**
 * Set up a training script's console: progress bars on a terminal (log lines go above
 * them), else throttled progress log lines; logging at `verbosity`; SIGINT/SIGTERM
 * handling that stops the bars before an immediate exit.
 *
 * @param script Script name for messages ("train", "resume").
 * @param verbosity Console verbosity.
 * @returns Display, logging session, logger and signal handlers.
 */
export async function setupTrainingConsole(
  script: string,
  verbosity: Verbosity,
): Promise<TrainingConsole> {
  const display = createProgressDisplay({ quiet: verbosity === "quiet" });
  const logging = await setupLogging({
    verbosity,
    consoleWriter: (text) => {
      if (!display.log(text)) writeStderr(text);
    },
  });
  const logger = getSuiteLogger("train");
  const signals = interruptOnSignals({ script, logger, beforeExit: () => display.stop() });
  return { display, logging, logger, signals };
}

/** Progress callbacks of runComparison / resumeComparison. */
export interface ProgressHooks {
  /** An extractor starts training. */
  onExtractorStart: (profile: ExtractorConfigurationProfile) => void;
  /** Progress of a running extractor (several with run.parallel_extractors > 1). */
  onProgress: (extractor: string, progress: TrainingProgress) => void;
}

/**
 * Progress output: a bar per extractor when the display is active, else a log line
 * every few seconds.
 *
 * @param display The progress display.
 * @param logger Logger of the lines.
 * @param totalSteps Env steps per extractor.
 * @returns The callbacks.
 */
export function progressHooks(
  display: ProgressDisplay,
  logger: Logger,
  totalSteps: number,
): ProgressHooks {
  const throttle = new ProgressThrottle();
  // One bar per extractor (several train at once with run.parallel_extractors > 1).
  const bars = new Map<string, (progress: TrainingProgress) => void>();
  return {
    onExtractorStart: (profile) => {
      if (display.active) bars.set(profile.name, display.extractor(profile.name, totalSteps));
    },
    onProgress: (extractor, progress) => {
      const bar = bars.get(extractor);
      if (bar !== undefined) bar(progress);
      else if (throttle.accept(extractor, progress)) {
        logger.info("{line}", { line: formatProgress(extractor, progress) });
      }
    },
  };
}

/**
 * Log one line per record: status and best mean reward, or the reason.
 *
 * @param logger The logger.
 * @param records Records to report.
 */
export function logRecords(logger: Logger, records: readonly ExtractorRunRecord[]): void {
  for (const record of records) {
    const best = record.metrics?.best_mean_reward;
    const detail = record.status === "success"
      ? `best mean reward ${best === undefined ? "n/a" : best.toFixed(3)}`
      : record.reason;
    logger.info("{extractor}: {status} ({detail})", {
      extractor: record.config_name,
      status: record.status,
      detail,
    });
  }
}

/** How a train or resume run ended, as {@linkcode reportOutcome} reports it. */
export interface RunOutcomeReport {
  /** Records to list. */
  records: readonly ExtractorRunRecord[];
  /** summary.md of the run, or null when none was written. */
  summaryPath: string | null;
  /** completed, failed or interrupted. */
  outcome: "completed" | "failed" | "interrupted";
  /** Command that resumes an interrupted run, else null. */
  resumeCommand: string | null;
  /** The run directory. */
  runPath: string;
}

/** Whether this process is a SLURM array task (SLURM_ARRAY_JOB_ID is set and readable). */
function _inSlurmArrayTask(): boolean {
  return (readEnv("SLURM_ARRAY_JOB_ID") ?? "") !== "";
}

/**
 * Log the records, the summary path and, for an interrupted run, how to resume it
 * (in a SLURM array task also how to submit it again from the login node); return the
 * exit code: 130 interrupted, 1 an extractor failed, else 0.
 *
 * @param logger The logger.
 * @param report The run's outcome.
 * @returns The script's exit code.
 */
export function reportOutcome(logger: Logger, report: RunOutcomeReport): number {
  logRecords(logger, report.records);
  if (report.summaryPath !== null) logger.info("Summary: {path}", { path: report.summaryPath });
  if (report.outcome === "interrupted") {
    logger.warn("Run interrupted; resume with: {command}", { command: report.resumeCommand });
    if (_inSlurmArrayTask()) {
      logger.warn("This is a SLURM array task: from the login node, {command} submits it again", {
        command: `deno task slurm resubmit ${shellWord(report.runPath)}`,
      });
    }
    return EXIT_INTERRUPTED;
  }
  return report.outcome === "failed" ? EXIT_FAILURE : EXIT_OK;
}
