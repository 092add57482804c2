/**
 * `resume`: finish a run that `train` (or a resume) left unfinished: keep finished
 * extractors, continue interrupted ones from their latest good checkpoint, train the
 * ones never started, and rewrite the summaries.
 *
 * Usage: deno task resume <run_dir> | --latest [--output-root DIR]
 *   [--only NAME,...] [--seeds K,...] [--retry-failed] [--verbose | --quiet]
 *
 * Exit codes: 0 finished (or already finished: nothing changed); 1 an extractor this
 * resume trained failed (or the run could not be written); 2 invalid command line, or
 * a run directory resume refuses (edited scenario, newer manifest format, another
 * process working on it; nothing changed); 130 interrupted again.
 *
 * @module
 */
import { RUN_LOG_FILE_NAME, verbosityFromFlags } from "../lib/log/mod.ts";
import {
  InvocationError,
  prepareResume,
  resolveLatestRun,
  resumeComparison,
  ResumeRefusedError,
} from "../lib/train/mod.ts";
import {
  EXIT_FAILURE,
  EXIT_INVALID,
  EXIT_OK,
  isInvalidFileInput,
  parseCommandLine,
  parseOnlyFlag,
  parseSeedsFlag,
  refuseEmptyPathFlags,
  reportUsageError,
  systemPathMessage,
  UsageError,
  writeStdout,
} from "./_cli.ts";
import {
  EXIT_INTERRUPTED,
  progressHooks,
  reportOutcome,
  setupTrainingConsole,
} from "./_training.ts";

/** Help text of the resume command. */
export const RESUME_HELP =
  `Finish an interrupted run: keep finished extractors, continue interrupted
ones from their latest good checkpoint, train the ones not started, rewrite the summaries.

Usage: deno task resume <run_dir> [options]
       deno task resume --latest [--output-root DIR] [options]

Options:
  --latest             Resume the newest run directory under the output root
  --output-root DIR    Output root searched by --latest (default: MULTI_EXTRACTOR_TMP,
                       ROBOT_SF_MULTI_EXTRACTOR_TMP, then tmp/multi_extractor_training)
  --only NAME,...      Resume only these extractors; the others are left untouched
  --seeds K,...        Resume only the trials of these seeds (a multi-seed run)
                       (several such processes may share one run directory)
  --retry-failed       Also train again extractors that failed (an interrupted one, or
                       one stopped by a full disk, an I/O error, lack of memory or a
                       killed worker, is continued anyway): from the newest good
                       checkpoint, or from scratch after a divergence (NaN/Inf)
  -v, --verbose        More log output
  -q, --quiet          Only warnings and errors; no progress bars
  -h, --help           Show this help

The run keeps its own scenario copy (scenario.yaml), test mode and --only selection.
A finished run is left unchanged.

Exit codes: 0 finished (or already finished), 1 an extractor trained here failed,
2 invalid command line or a run directory that cannot be resumed (nothing changed),
130 interrupted again.
`;

/**
 * Run the resume command.
 *
 * @param args Command-line arguments.
 * @returns Exit code.
 */
export async function main(args: string[]): Promise<number> {
  let values: Record<string, unknown>;
  let positionals: string[];
  let only: string[] | null = null;
  let seeds: number[] | null = null;
  try {
    const parsed = parseCommandLine(args, {
      latest: { type: "boolean", default: false },
      "output-root": { type: "string" },
      only: { type: "string", multiple: true },
      seeds: { type: "string", multiple: true },
      "retry-failed": { type: "boolean", default: false },
      verbose: { type: "boolean", short: "v", default: false },
      quiet: { type: "boolean", short: "q", default: false },
      help: { type: "boolean", short: "h", default: false },
    });
    values = parsed.values;
    positionals = parsed.positionals;
    if (values.help) {
      writeStdout(RESUME_HELP);
      return EXIT_OK;
    }
    if (values.latest && positionals.length > 0) {
      throw new UsageError("Give either a run directory or --latest, not both");
    }
    if (!values.latest && positionals.length !== 1) {
      throw new UsageError(
        positionals.length === 0
          ? "Missing run directory (or --latest)"
          : `Unexpected argument "${positionals[1]}" (one run directory at a time)`,
      );
    }
    if (values["output-root"] !== undefined && !values.latest) {
      throw new UsageError("--output-root only goes with --latest");
    }
    refuseEmptyPathFlags(values, ["output-root"]);
    only = parseOnlyFlag(values.only);
    seeds = parseSeedsFlag(values.seeds);
    verbosityFromFlags(values);
  } catch (error) {
    if (error instanceof UsageError || error instanceof RangeError) {
      return reportUsageError("resume", new UsageError((error as Error).message));
    }
    throw error;
  }

  const { display, logging, logger, signals } = await setupTrainingConsole(
    "resume",
    verbosityFromFlags(values),
  );
  try {
    let runDir = positionals[0];
    if (values.latest) {
      const latest = await resolveLatestRun((values["output-root"] as string) ?? null);
      logger.info("Newest run under {root}: {path}", {
        root: latest.root.path,
        path: latest.runDir,
      });
      runDir = latest.runDir;
    }
    const resume = await prepareResume(runDir, {
      only,
      seeds,
      retryFailed: values["retry-failed"] as boolean,
    });
    const kept = resume.entries.filter((e) => e.action === "keep" && e.record?.status === "failed");
    if (resume.finished) {
      for (const warning of resume.warnings) logger.warn("{warning}", { warning });
      logger.info("Run {path} is finished; nothing to resume (nothing was changed)", {
        path: resume.run.path,
      });
      if (kept.length > 0) {
        logger.info("Failed and kept: {names} (--retry-failed trains them again)", {
          names: kept.map((e) => e.name).join(", "),
        });
      }
      return EXIT_OK;
    }
    if (signals.signal.aborted) return EXIT_INTERRUPTED; // nothing written yet
    const result = await resumeComparison(resume, {
      signal: signals.signal,
      argv: args,
      onRunCreated: (run) => logging.attachRunLog(`${run.path}/${RUN_LOG_FILE_NAME}`),
      ...progressHooks(display, logger, resume.prepared.scenario.settings.run.total_timesteps),
    });
    display.stop();
    if (result.outcome === "finished") {
      logger.info("Run {path} is finished; nothing to resume (another process finished it)", {
        path: result.run.path,
      });
      return EXIT_OK;
    }
    return reportOutcome(logger, {
      records: result.records,
      summaryPath: result.summary?.files.markdown ?? null,
      outcome: result.outcome,
      resumeCommand: result.resumeCommand,
      runPath: result.run.path,
    });
  } catch (error) {
    display.stop();
    if (
      error instanceof ResumeRefusedError || error instanceof InvocationError ||
      isInvalidFileInput(error)
    ) {
      logger.error("{message}", { message: error.message });
      return EXIT_INVALID;
    }
    const systemPath = systemPathMessage(error);
    if (systemPath !== null) {
      logger.error("{message}", { message: systemPath });
      return EXIT_INVALID;
    }
    logger.error("resume failed: {message}", {
      message: (error as Error).message,
      stack: (error as Error).stack,
    });
    return EXIT_FAILURE;
  } finally {
    signals.dispose();
    await logging.close();
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
