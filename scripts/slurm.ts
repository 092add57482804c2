/**
 * `slurm`: run a comparison on a SLURM cluster as job arrays, one array task per
 * feature extractor in one shared run directory, and a summarize job after them.
 *
 * Usage:
 *   deno task slurm <scenario.yaml> [--dry-run] [--output-root DIR] [resource flags]
 *   deno task slurm status <run_dir> [--json] [--no-query]
 *   deno task slurm resubmit <run_dir> [--only NAME,...] [--dry-run]
 *
 * Exit codes: 0 success; 1 sbatch (or another SLURM command) failed; 2 invalid command
 * line, scenario or run directory.
 *
 * @module
 */
import * as nodePath from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError } from "../lib/config/mod.ts";
import { getSuiteLogger, setupLogging, verbosityFromFlags } from "../lib/log/mod.ts";
// Imported from their files, not the folders' mod.ts: these pull in neither ONNX Runtime
// nor the trainer, so the task needs no FFI permission.
import { RunDirectoryError } from "../lib/report/run_directory.ts";
import {
  createSlurmRun,
  formatSlurmStatus,
  manualSubmitCommands,
  resubmitSlurmRun,
  shellQuote,
  SlurmCommandError,
  type SlurmOverrides,
  slurmRunStatus,
  submitSlurmRun,
} from "../lib/slurm/mod.ts";
import { InvocationError, prepareComparison } from "../lib/train/prepare.ts";
import { testModeFromEnv } from "../lib/train/test_mode.ts";
import {
  EXIT_FAILURE,
  EXIT_INVALID,
  EXIT_OK,
  parseCommandLine,
  parseOnlyFlag,
  reportUsageError,
  UsageError,
  writeStdout,
} from "./_cli.ts";
import { readEnv } from "../lib/internal/env.ts";

/** Help text of the slurm command. */
export const SLURM_HELP = `Run a comparison on a SLURM cluster: one array task per extractor.

Usage:
  deno task slurm <scenario.yaml> [options]       create the run, write and submit the jobs
  deno task slurm status <run_dir> [--json]       each task's state (manifest and SLURM)
  deno task slurm resubmit <run_dir> [--only NAME,...] [--dry-run]
                                                  submit unfinished tasks again

The run directory (with its manifest) is created at once, on a path the compute nodes
must share. <run_dir>/slurm/ receives array.sbatch (CPU extractors), array_gpu.sbatch
(GPU extractors, with --gres), summarize.sbatch (--dependency=afterany on the arrays),
logs/ and jobs.json. Task i runs "<deno command> task resume <run_dir> --only <name i>"
in this project directory, so a requeued or resubmitted task continues from its
extractor's last checkpoint. Settings come from the scenario's slurm: block; flags
override them.

Options (submit):
  --dry-run                 Write the run directory and scripts; submit nothing
  --run-id ID               Run label (overrides run.run_id)
  --output-root DIR         Directory receiving the run directory (shared file system)
  --only NAME,...           Only these extractor entries (comma-separated, repeatable)
  --partition NAME          sbatch --partition
  --account NAME            sbatch --account
  --time LIMIT              sbatch --time of each array task (e.g. 04:00:00)
  --cpus-per-task N         sbatch --cpus-per-task of each array task
  --mem SIZE                sbatch --mem of each array task (e.g. 8G)
  --gpus COUNT|GRES         GPU request of GPU extractors (default 1, i.e. --gres=gpu:1)
  --deno-command CMD        Shell command that runs Deno on the nodes (default: deno)
  --sbatch-arg=ARG          Further sbatch option for every script (repeatable;
                            write it with "=": --sbatch-arg=--qos=high)
  --max-concurrent-tasks N  At most N array tasks at once (--array=...%N)
  --setup LINE              Shell line run before Deno starts (repeatable)

Options (status):
  --json                    Print the status as JSON
  --no-query                Do not ask squeue/sacct/scontrol

Common:
  -v, --verbose             More log output
  -q, --quiet               Only warnings and errors
  -h, --help                Show this help

Environment:
  MULTI_EXTRACTOR_TEST_MODE=1   Test mode for the whole run (recorded; the jobs set it too)
  SLURM_CONF                    Read by the SLURM commands as usual

Exit codes: 0 success, 1 a SLURM command failed, 2 invalid command line, scenario or
run directory.
`;

/** The project directory: the folder holding deno.json, one above scripts/. */
const _PROJECT_DIR = nodePath.dirname(nodePath.dirname(fileURLToPath(import.meta.url)));

function _count(flag: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value);
  if (!/^\d+$/.test(text) || Number(text) < 1) {
    throw new UsageError(`${flag} needs an integer >= 1, got "${text}"`);
  }
  return Number(text);
}

function _overrides(values: Record<string, unknown>): SlurmOverrides {
  const gpus = values.gpus as string | undefined;
  const overrides: SlurmOverrides = {
    partition: values.partition as string | undefined,
    account: values.account as string | undefined,
    time: values.time as string | undefined,
    cpus_per_task: _count("--cpus-per-task", values["cpus-per-task"]),
    mem: values.mem as string | undefined,
    gpus: gpus !== undefined && /^\d+$/.test(gpus) ? Number(gpus) : gpus,
    deno_command: values["deno-command"] as string | undefined,
    extra_sbatch_args: values["sbatch-arg"] as string[] | undefined,
    max_concurrent_tasks: _count("--max-concurrent-tasks", values["max-concurrent-tasks"]),
    setup_commands: values.setup as string[] | undefined,
  };
  for (const key of Object.keys(overrides) as (keyof SlurmOverrides)[]) {
    if (overrides[key] === undefined) delete overrides[key];
  }
  return overrides;
}

const _COMMON = {
  verbose: { type: "boolean", short: "v", default: false },
  quiet: { type: "boolean", short: "q", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const;

const _SUBMIT_FLAGS = {
  ..._COMMON,
  "dry-run": { type: "boolean", default: false },
  "run-id": { type: "string" },
  "output-root": { type: "string" },
  only: { type: "string", multiple: true },
  partition: { type: "string" },
  account: { type: "string" },
  time: { type: "string" },
  "cpus-per-task": { type: "string" },
  mem: { type: "string" },
  gpus: { type: "string" },
  "deno-command": { type: "string" },
  "sbatch-arg": { type: "string", multiple: true },
  "max-concurrent-tasks": { type: "string" },
  setup: { type: "string", multiple: true },
} as const;

const _STATUS_FLAGS = {
  ..._COMMON,
  json: { type: "boolean", default: false },
  "no-query": { type: "boolean", default: false },
} as const;

const _RESUBMIT_FLAGS = {
  ..._COMMON,
  only: { type: "string", multiple: true },
  "dry-run": { type: "boolean", default: false },
} as const;

type _Command = "submit" | "status" | "resubmit";

async function _submit(
  config: string,
  values: Record<string, unknown>,
  args: string[],
): Promise<number> {
  const logger = getSuiteLogger("slurm");
  const overrides = _overrides(values);
  const testMode = testModeFromEnv(readEnv);
  const prepared = await prepareComparison(config, {
    runId: (values["run-id"] as string | undefined) ?? null,
    outputRoot: (values["output-root"] as string | undefined) ?? null,
    only: parseOnlyFlag(values.only),
    testMode,
    // The compute nodes get the GPUs the scripts request; plan for them, not for this host.
    cudaUsable: true,
    probe: { providers: [], nvidiaSmi: null },
  });
  for (const warning of prepared.plan.warnings) logger.warn("{warning}", { warning });
  for (const entry of prepared.plan.extractors.filter((e) => e.action === "skip")) {
    logger.warn("{extractor} skipped: {reason}", { extractor: entry.name, reason: entry.reason });
  }
  const slurmRun = await createSlurmRun(prepared, {
    overrides,
    projectDir: _PROJECT_DIR,
    argv: args,
  });
  for (const warning of slurmRun.warnings) logger.warn("{warning}", { warning });
  const runDir = slurmRun.run.path;
  logger.info("Run directory {path}", { path: runDir });
  for (const task of slurmRun.jobs.tasks) {
    logger.info("Array task {index}: {extractor} ({resources})", {
      index: task.index,
      extractor: task.seed === undefined ? task.extractor : `${task.extractor}/seed_${task.seed}`,
      resources: task.gpu ? `GPU, --gres=${slurmRun.jobs.settings.gres}` : "CPU",
    });
  }
  const lines = [`Run directory: ${runDir}`];
  for (const script of [...slurmRun.arrayScripts, slurmRun.summarizeScript]) {
    lines.push(`Script: ${script}`);
  }
  if (values["dry-run"]) {
    lines.push(
      "Dry run: nothing submitted. Submit with:",
      ...manualSubmitCommands(slurmRun.jobs).map((line) => `  ${line}`),
      `or: deno task slurm resubmit ${shellQuote(runDir)}`,
    );
    writeStdout(`${lines.join("\n")}\n`);
    return EXIT_OK;
  }
  const submission = await submitSlurmRun(runDir);
  for (const job of submission.arrays) {
    lines.push(`Submitted array job ${job.jobId} (${nodePath.basename(job.script)})`);
  }
  lines.push(
    `Submitted summarize job ${submission.summarize.jobId} ` +
      `(after ${submission.arrays.map((job) => job.jobId).join(", ")})`,
    `Status: deno task slurm status ${shellQuote(runDir)}`,
  );
  writeStdout(`${lines.join("\n")}\n`);
  return EXIT_OK;
}

async function _status(runDir: string, values: Record<string, unknown>): Promise<number> {
  const status = await slurmRunStatus(runDir, { query: !values["no-query"] });
  if (values.json) {
    writeStdout(`${JSON.stringify(status, null, 2)}\n`);
  } else {
    writeStdout(formatSlurmStatus(status));
  }
  return EXIT_OK;
}

async function _resubmit(runDir: string, values: Record<string, unknown>): Promise<number> {
  const logger = getSuiteLogger("slurm");
  const result = await resubmitSlurmRun(runDir, {
    only: parseOnlyFlag(values.only),
    dryRun: values["dry-run"] as boolean,
  });
  if (result.summaryOnly) {
    const what = "Every task ended well, but the summary is missing or older than the last result";
    writeStdout(
      result.submission === null
        ? `${what}; dry run: the summarize job alone would be submitted\n`
        : `${what}: submitted summarize job ${result.submission.summarize.jobId}\n`,
    );
    return EXIT_OK;
  }
  if (result.tasks.length === 0) {
    writeStdout(
      "Every task succeeded, was skipped, or is queued or running, and the summary is current " +
        "or on its way; nothing to submit\n",
    );
    return EXIT_OK;
  }
  const lines = result.tasks.map((task) =>
    `Task ${task.index} ${task.extractor}: ${task.manifest.state}` +
    (task.slurm === null ? "" : `, SLURM ${task.slurm.state}`)
  );
  if (result.submission === null) {
    lines.push("Dry run: nothing submitted");
  } else {
    for (const job of result.submission.arrays) {
      lines.push(`Submitted array job ${job.jobId} (tasks ${job.indices.join(",")})`);
      logger.info("Submitted {script} as {jobId}", {
        script: nodePath.basename(job.script),
        jobId: job.jobId,
      });
    }
    lines.push(`Submitted summarize job ${result.submission.summarize.jobId}`);
  }
  writeStdout(`${lines.join("\n")}\n`);
  return EXIT_OK;
}

/**
 * Run the slurm command.
 *
 * @param args Command-line arguments.
 * @returns Exit code.
 */
export async function main(args: string[]): Promise<number> {
  const command: _Command = args[0] === "status"
    ? "status"
    : args[0] === "resubmit"
    ? "resubmit"
    : "submit";
  const rest = command === "submit" ? args : args.slice(1);
  let values: Record<string, unknown>;
  let target: string;
  try {
    const parsed = parseCommandLine(
      rest,
      command === "submit" ? _SUBMIT_FLAGS : command === "status" ? _STATUS_FLAGS : _RESUBMIT_FLAGS,
    );
    values = parsed.values;
    if (values.help) {
      writeStdout(SLURM_HELP);
      return EXIT_OK;
    }
    if (parsed.positionals.length === 0) {
      throw new UsageError(
        command === "submit"
          ? "Missing the scenario argument"
          : "Missing the run directory argument",
      );
    }
    if (parsed.positionals.length > 1) {
      throw new UsageError(`Unexpected argument "${parsed.positionals[1]}"`);
    }
    target = parsed.positionals[0];
    parseOnlyFlag(values.only);
    if (command === "submit") _overrides(values);
    verbosityFromFlags(values);
  } catch (error) {
    if (error instanceof UsageError || error instanceof RangeError) {
      return reportUsageError("slurm", new UsageError((error as Error).message));
    }
    throw error;
  }
  const logging = await setupLogging({ verbosity: verbosityFromFlags(values) });
  const logger = getSuiteLogger("slurm");
  try {
    if (command === "status") return await _status(target, values);
    if (command === "resubmit") return await _resubmit(target, values);
    return await _submit(target, values, args);
  } catch (error) {
    if (error instanceof ConfigError) {
      logger.error("Invalid scenario config:\n{message}", { message: error.message });
      return EXIT_INVALID;
    }
    if (
      error instanceof InvocationError || error instanceof RunDirectoryError ||
      error instanceof RangeError
    ) {
      logger.error("{message}", { message: (error as Error).message });
      return EXIT_INVALID;
    }
    if (error instanceof SlurmCommandError) {
      logger.error("{message}", { message: error.message });
      if (error.hint !== null) logger.error("{hint}", { hint: error.hint });
      return EXIT_FAILURE;
    }
    logger.error("slurm failed: {message}", {
      message: (error as Error).message,
      stack: (error as Error).stack,
    });
    return EXIT_FAILURE;
  } finally {
    await logging.close();
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
