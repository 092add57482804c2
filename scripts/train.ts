/**
 * `train`: the main job. Trains a PPO policy with every feature extractor of a
 * scenario, in priority order, and writes the comparison (summary.json, summary.md,
 * complete_results.json, figures) into a new run directory.
 *
 * Usage: deno task train [--config FILE] [--run-id ID] [--output-root DIR]
 *   [--only NAME,...] [--seeds K,...] [--set KEY=VALUE ...] [--seed N] [--verbose | --quiet]
 *
 * Exit codes: 0 every extractor succeeded or was skipped for an expected reason;
 * 1 an extractor failed (or the run could not be written); 2 invalid command line or
 * config; 130 interrupted (SIGINT/SIGTERM; the message says how to resume).
 *
 * @module
 */
import { ConfigError, type ScenarioOverride } from "../lib/config/mod.ts";
import { RUN_LOG_FILE_NAME, verbosityFromFlags } from "../lib/log/mod.ts";
import {
  InvocationError,
  prepareComparison,
  runComparison,
  testModeFromEnv,
} from "../lib/train/mod.ts";
import {
  EXIT_FAILURE,
  EXIT_INVALID,
  EXIT_OK,
  isInvalidFileInput,
  parseCommandLine,
  parseOnlyFlag,
  parseOverrideFlags,
  parseSeedsFlag,
  refuseEmptyPathFlags,
  reportUsageError,
  UsageError,
  writeStdout,
} from "./_cli.ts";
import {
  EXIT_INTERRUPTED,
  progressHooks,
  reportOutcome,
  setupTrainingConsole,
} from "./_training.ts";
import { readEnv } from "../lib/internal/env.ts";

export { EXIT_INTERRUPTED };

/** Scenario trained when --config is not given. */
export const DEFAULT_CONFIG = "configs/scenarios/multi_extractor_default.yaml";

/** Help text of the train command. */
export const TRAIN_HELP =
  `Train a PPO policy with every feature extractor of a scenario and compare them.

Usage: deno task train [options]

Options:
  --config FILE        Scenario (default: ${DEFAULT_CONFIG})
  --run-id ID          Run label (overrides run.run_id; names the run directory)
  --output-root DIR    Directory receiving the run directory (overrides run.output_root
                       and MULTI_EXTRACTOR_TMP / ROBOT_SF_MULTI_EXTRACTOR_TMP)
  --only NAME,...      Train only these extractor entries (comma-separated, repeatable)
  --set KEY=VALUE      Override one scenario setting before validation, e.g.
                       --set run.total_timesteps=100000 --set run.ppo.learning_rate=1e-4
                       (repeatable; the run's scenario copy keeps the overrides)
  --seed N             The same as --set run.seed=N
  --seeds K,...        Train one trial per extractor and seed, with these seeds instead of the
                       scenario's (run.seeds / run.num_seeds / run.seed)
  -v, --verbose        More log output
  -q, --quiet          Only warnings and errors; no progress bars
  -h, --help           Show this help

Environment:
  MULTI_EXTRACTOR_TEST_MODE=1   Shorten every run to at most 256 steps (real training);
                                ROBOT_SF_MULTI_EXTRACTOR_TEST_MODE=1 works too

Exit codes: 0 every extractor succeeded or was skipped for an expected reason,
1 an extractor failed, 2 invalid command line or config, 130 interrupted.
`;

/**
 * Run the train command.
 *
 * @param args Command-line arguments.
 * @returns Exit code.
 */
export async function main(args: string[]): Promise<number> {
  let values: Record<string, unknown>;
  let only: string[] | null = null;
  let seeds: number[] | null = null;
  let overrides: ScenarioOverride[] = [];
  try {
    const parsed = parseCommandLine(args, {
      config: { type: "string" },
      "run-id": { type: "string" },
      "output-root": { type: "string" },
      only: { type: "string", multiple: true },
      seeds: { type: "string", multiple: true },
      set: { type: "string", multiple: true },
      seed: { type: "string" },
      verbose: { type: "boolean", short: "v", default: false },
      quiet: { type: "boolean", short: "q", default: false },
      help: { type: "boolean", short: "h", default: false },
    });
    values = parsed.values;
    if (values.help) {
      writeStdout(TRAIN_HELP);
      return EXIT_OK;
    }
    if (parsed.positionals.length > 0) {
      throw new UsageError(
        `Unexpected argument "${parsed.positionals[0]}" (the scenario goes after --config)`,
      );
    }
    refuseEmptyPathFlags(values, ["config", "output-root"]);
    only = parseOnlyFlag(values.only);
    seeds = parseSeedsFlag(values.seeds);
    overrides = parseOverrideFlags(values.set, values.seed);
    verbosityFromFlags(values);
  } catch (error) {
    if (error instanceof UsageError || error instanceof RangeError) {
      return reportUsageError("train", new UsageError((error as Error).message));
    }
    throw error;
  }

  const { display, logging, logger, signals } = await setupTrainingConsole(
    "train",
    verbosityFromFlags(values),
  );
  try {
    const config = (values.config as string | undefined) ?? DEFAULT_CONFIG;
    const testMode = testModeFromEnv(readEnv);
    const prepared = await prepareComparison(config, {
      runId: (values["run-id"] as string | undefined) ?? null,
      outputRoot: (values["output-root"] as string | undefined) ?? null,
      only,
      seeds,
      overrides,
      testMode,
    });
    for (const warning of prepared.plan.warnings) logger.warn("{warning}", { warning });
    for (const note of prepared.hardware.notes) logger.debug("Hardware probe: {note}", { note });
    const runnable = prepared.plan.extractors.filter((e) => e.action === "run").length;
    logger.info(
      "Scenario {file}: {count} extractor entries, {runnable} to train{mode}",
      {
        file: prepared.scenario.file,
        count: prepared.plan.extractors.length,
        runnable,
        mode: testMode ? " (test mode)" : "",
      },
    );
    if (signals.signal.aborted) return EXIT_INTERRUPTED; // nothing written yet
    const result = await runComparison(prepared, {
      signal: signals.signal,
      argv: args,
      onRunCreated: (run) => logging.attachRunLog(`${run.path}/${RUN_LOG_FILE_NAME}`),
      ...progressHooks(display, logger, prepared.scenario.settings.run.total_timesteps),
    });
    display.stop();
    return reportOutcome(logger, {
      ...result,
      summaryPath: result.summary.files.markdown,
      runPath: result.run.path,
    });
  } catch (error) {
    display.stop();
    if (error instanceof ConfigError) {
      logger.error("Invalid scenario config:\n{message}", { message: error.message });
      return EXIT_INVALID;
    }
    if (error instanceof InvocationError || isInvalidFileInput(error)) {
      logger.error("{message}", { message: error.message });
      return EXIT_INVALID;
    }
    logger.error("train failed: {message}", {
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
