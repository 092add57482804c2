/**
 * `validate`: check a scenario config and print the resolved plan (settings with
 * defaults, extractors in run order, which would be skipped and why, the run
 * directory that would be created) without creating anything.
 *
 * Usage: deno task validate <scenario.yaml> [--output-root DIR] [--json] [--verbose | --quiet]
 *
 * @module
 */
import {
  ConfigError,
  formatRunPlan,
  loadScenario,
  planRun,
  type ScenarioOverride,
} from "../lib/config/mod.ts";
import * as nodePath from "node:path";
import { hostCapabilities } from "../lib/hardware/mod.ts";
import { getSuiteLogger, setupLogging, verbosityFromFlags } from "../lib/log/mod.ts";
import { outputRootProblem } from "../lib/run/mod.ts";
import { logExtractorSkipped } from "../lib/train/failures.ts";
import { checkHeldOut } from "../lib/train/prepare.ts";
import {
  EXIT_FAILURE,
  EXIT_INVALID,
  EXIT_OK,
  isInvalidFileInput,
  parseCommandLine,
  parseOverrideFlags,
  refuseEmptyPathFlags,
  reportUsageError,
  UsageError,
  writeStdout,
} from "./_cli.ts";

/** Help text of the validate command. */
export const VALIDATE_HELP =
  `Check a scenario config and print what a run would do, without creating anything.

Usage: deno task validate <scenario.yaml> [options]

Options:
  --output-root DIR   Output root as train would use it (overrides run.output_root)
  --set KEY=VALUE     Override one scenario setting before validation (repeatable), e.g.
                      --set run.total_timesteps=100000 --set run.ppo.learning_rate=1e-4
  --seed N            The same as --set run.seed=N
  --json              Print the plan as JSON
  -v, --verbose       More log output
  -q, --quiet         Only warnings and errors
  -h, --help          Show this help

Exit codes: 0 valid, 1 failure, 2 invalid config or command line.
`;

/**
 * Run the validate command.
 *
 * @param args Command-line arguments.
 * @returns Exit code.
 */
export async function main(args: string[]): Promise<number> {
  let file: string;
  let values: Record<string, unknown>;
  let overrides: ScenarioOverride[] = [];
  try {
    const parsed = parseCommandLine(args, {
      "output-root": { type: "string" },
      json: { type: "boolean", default: false },
      set: { type: "string", multiple: true },
      seed: { type: "string" },
      verbose: { type: "boolean", short: "v", default: false },
      quiet: { type: "boolean", short: "q", default: false },
      help: { type: "boolean", short: "h", default: false },
    });
    values = parsed.values;
    if (values.help) {
      writeStdout(VALIDATE_HELP);
      return EXIT_OK;
    }
    if (parsed.positionals.length !== 1) {
      throw new UsageError(
        parsed.positionals.length === 0
          ? "Missing the scenario file argument"
          : `Expected one scenario file, got ${parsed.positionals.length} arguments`,
      );
    }
    file = parsed.positionals[0];
    refuseEmptyPathFlags(values, ["output-root"]);
    overrides = parseOverrideFlags(values.set, values.seed);
    verbosityFromFlags(values);
  } catch (error) {
    if (error instanceof UsageError || error instanceof RangeError) {
      return reportUsageError("validate", new UsageError((error as Error).message));
    }
    throw error;
  }
  const logging = await setupLogging({ verbosity: verbosityFromFlags(values) });
  const logger = getSuiteLogger("validate");
  try {
    const scenario = await loadScenario(file, { overrides });
    checkHeldOut(scenario);
    const plan = planRun(scenario, {
      host: await hostCapabilities(),
      outputRootFlag: values["output-root"] as string | undefined,
    });
    const rootProblem = await outputRootProblem(nodePath.dirname(plan.run_directory));
    if (rootProblem !== null) {
      const setting = plan.output_root_source === "flag"
        ? "--output-root"
        : plan.output_root_source === "config"
        ? "run.output_root"
        : plan.output_root_source === "default"
        ? "output root"
        : plan.output_root_source;
      logger.error("{setting}: {problem}", { setting, problem: rootProblem });
      return EXIT_INVALID;
    }
    for (const warning of plan.warnings) logger.warn("{warning}", { warning });
    for (const extractor of plan.extractors) {
      if (extractor.action === "skip") {
        logExtractorSkipped(logger, extractor.name, {
          reason: extractor.reason ?? "",
          hint: extractor.hint ?? "",
        });
      }
    }
    writeStdout(values.json ? `${JSON.stringify(plan, null, 2)}\n` : formatRunPlan(plan));
    logger.info("Scenario {file} is valid", { file });
    return EXIT_OK;
  } catch (error) {
    if (error instanceof ConfigError) {
      logger.error("Invalid scenario config:\n{message}", { message: error.message });
      return EXIT_INVALID;
    }
    if (isInvalidFileInput(error)) {
      logger.error("{message}", { message: error.message });
      return EXIT_INVALID;
    }
    logger.error("validate failed: {message}", { message: (error as Error).message });
    return EXIT_FAILURE;
  } finally {
    await logging.close();
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
