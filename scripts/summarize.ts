/**
 * `summarize`: rebuild summary.json, summary.md, complete_results.json and the figures
 * of a run directory from its manifest and per-extractor files, or merge several run
 * directories (e.g. from different hosts) into one comparison with --out.
 *
 * Usage: deno task summarize <run_dir> [<run_dir>...] [--out DIR] [--baseline NAME] [--run-id LABEL] [--no-figures]
 *
 * @module
 */
import * as nodePath from "node:path";
import {
  getSuiteLogger,
  RUN_LOG_FILE_NAME,
  setupLogging,
  verbosityFromFlags,
} from "../lib/log/mod.ts";
import { mergeRuns, RunDirectoryError, summarizeRun } from "../lib/report/mod.ts";
import {
  EXIT_FAILURE,
  EXIT_INVALID,
  EXIT_OK,
  isInvalidFileInput,
  parseCommandLine,
  refuseEmptyPathFlags,
  reportUsageError,
  systemPathMessage,
  UsageError,
  writeStdout,
} from "./_cli.ts";

/** Help text of the summarize command. */
export const SUMMARIZE_HELP = `Rebuild the summary files of a run directory, or merge several runs.

Usage: deno task summarize <run_dir> [<run_dir>...] [options]

With one run directory the files are rewritten in it (or in --out).
With several, --out is required: the merged comparison is written there, with every
host in its hardware overview. Figures (learning curves, final metrics; SVG and PNG)
go to figures/ beside summary.md and are linked from it.

Options:
  --out DIR           Directory for summary.json, summary.md, complete_results.json
  --baseline NAME     Baseline extractor for sample efficiency (default: the scenario's)
  --run-id LABEL      Label of a merged comparison (default: merged-<n>-runs)
  --no-figures        Do not draw the figures
  -v, --verbose       More log output
  -q, --quiet         Only warnings and errors
  -h, --help          Show this help

Exit codes: 0 success, 1 failure, 2 invalid command line or not a run directory.
`;

/**
 * Run the summarize command.
 *
 * @param args Command-line arguments.
 * @returns Exit code.
 */
export async function main(args: string[]): Promise<number> {
  let values: Record<string, unknown>;
  let dirs: string[];
  try {
    const parsed = parseCommandLine(args, {
      out: { type: "string" },
      baseline: { type: "string" },
      "run-id": { type: "string" },
      "no-figures": { type: "boolean", default: false },
      verbose: { type: "boolean", short: "v", default: false },
      quiet: { type: "boolean", short: "q", default: false },
      help: { type: "boolean", short: "h", default: false },
    });
    values = parsed.values;
    if (values.help) {
      writeStdout(SUMMARIZE_HELP);
      return EXIT_OK;
    }
    refuseEmptyPathFlags(values, ["out"]);
    dirs = parsed.positionals;
    if (dirs.length === 0) throw new UsageError("Missing the run directory argument");
    if (dirs.length > 1 && values.out === undefined) {
      throw new UsageError("Merging several run directories needs --out DIR");
    }
    if (dirs.length === 1 && values["run-id"] !== undefined) {
      throw new UsageError("--run-id labels a merged comparison; give several run directories");
    }
    verbosityFromFlags(values);
  } catch (error) {
    if (error instanceof UsageError || error instanceof RangeError) {
      return reportUsageError("summarize", new UsageError((error as Error).message));
    }
    throw error;
  }
  const logging = await setupLogging({ verbosity: verbosityFromFlags(values) });
  const logger = getSuiteLogger("summarize");
  try {
    const out = values.out as string | undefined;
    const baseline = values.baseline as string | undefined;
    const figures = values["no-figures"] ? false : {};
    let result;
    if (dirs.length === 1) {
      const runDir = nodePath.resolve(dirs[0]);
      if (out === undefined || nodePath.resolve(out) === runDir) {
        try {
          await Deno.stat(nodePath.join(runDir, "manifest.jsonl"));
          await logging.attachRunLog(nodePath.join(runDir, RUN_LOG_FILE_NAME));
        } catch {
          // not a run directory: summarizeRun reports it
        }
      }
      result = await summarizeRun(runDir, { outDir: out, baseline, figures });
    } else {
      result = await mergeRuns(dirs, out as string, {
        baseline,
        runId: values["run-id"] as string | undefined,
        figures,
      });
    }
    for (const note of result.summary.notes ?? []) logger.warn("{note}", { note });
    for (const note of result.figures.notes) logger.info("Figures: {note}", { note });
    if (result.figures.links.length > 0) {
      logger.info("{count} figures written to {dir}", {
        count: result.figures.links.length,
        dir: nodePath.join(nodePath.dirname(result.files.markdown), "figures"),
      });
    }
    logger.info("Summary of {runId} written: {json}", {
      runId: result.summary.run_id,
      json: result.files.json,
    });
    writeStdout(`${result.files.json}\n${result.files.markdown}\n${result.files.legacy}\n`);
    return EXIT_OK;
  } catch (error) {
    if (
      error instanceof RunDirectoryError || error instanceof RangeError ||
      isInvalidFileInput(error)
    ) {
      logger.error("{message}", { message: (error as Error).message });
      return EXIT_INVALID;
    }
    const systemPath = systemPathMessage(error);
    if (systemPath !== null) {
      logger.error("{message}", { message: systemPath });
      return EXIT_INVALID;
    }
    logger.error("summarize failed: {message}", { message: (error as Error).message });
    return EXIT_FAILURE;
  } finally {
    await logging.close();
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
