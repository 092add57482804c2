/**
 * The sbatch scripts of a run: one job array per resource kind (CPU extractors in
 * `array.sbatch`, GPU extractors with a `--gres` request in `array_gpu.sbatch`) whose
 * task i trains extractor i alone through `deno task resume <run_dir> --only <name>`,
 * and `summarize.sbatch`, which rebuilds the run's summary once every array task has
 * ended (`--dependency=afterany:<array job ids>`).
 *
 * Array task indices are global over the run (the run order of the runnable
 * extractors), so index i names the same extractor in every script, in `jobs.json` and
 * in `slurm status`. Paths are quoted for bash in the script body and for sbatch's own
 * parser in `#SBATCH` lines, so run directories and projects may contain spaces.
 *
 * Source of the layout: robot_sf `SLURM/feature_extractor_comparison/` (one job per
 * extractor, an analysis job with `--dependency=afterany`), made a job array.
 *
 * @module
 */
import * as nodePath from "node:path";
import type { ResolvedSlurmSettings } from "./settings.ts";

/** Folder of the SLURM files inside a run directory. */
export const SLURM_DIR_NAME = "slurm";
/** Job array of the CPU extractors. */
export const CPU_ARRAY_SCRIPT = "array.sbatch";
/** Job array of the GPU extractors (with the `--gres` request). */
export const GPU_ARRAY_SCRIPT = "array_gpu.sbatch";
/** The summarize job. */
export const SUMMARIZE_SCRIPT = "summarize.sbatch";
/** Folder of the job logs inside {@linkcode SLURM_DIR_NAME}. */
export const LOGS_DIR_NAME = "logs";

/** One array task: the extractor it trains and the resources it needs. */
export interface ArrayTask {
  /** Array index (position of the extractor among the runnable ones, in run order). */
  index: number;
  /** Extractor entry name (passed to `--only`). */
  extractor: string;
  /** Trial seed (passed to `--seeds`) in a multi-seed run; absent in a single-seed run. */
  seed?: number;
  /** Whether the task requests a GPU (expected_resources gpu, or run.device cuda). */
  gpu: boolean;
}

/** What the scripts of a run are written from. */
export interface SlurmScriptContext {
  /** Absolute run directory (on a file system the compute nodes share). */
  runDir: string;
  /** Absolute project directory (holds deno.json); the jobs run `deno task` there. */
  projectDir: string;
  /** run.run_id (directory-safe); names the jobs `mx-<run_id>`. */
  runId: string;
  /** Every array task of the run, in index order. */
  tasks: readonly ArrayTask[];
  /** Resources, Deno command, setup lines. */
  settings: ResolvedSlurmSettings;
  /** Whether the run was prepared in test mode (the jobs then set MULTI_EXTRACTOR_TEST_MODE=1). */
  testMode: boolean;
}

/**
 * Quote a string as one bash word: inside single quotes, each `'` written as `'\''`.
 *
 * @param value Any string.
 * @returns e.g. `'/runs/my run'`.
 */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * Quote a value for an `#SBATCH` line: sbatch's parser splits on blanks outside double
 * quotes, removes the quotes, takes `\` as an escape, and ends the line at an unescaped
 * `#`; so the value goes in double quotes with `\`, `"` and `#` escaped.
 *
 * @param value One line of text.
 * @returns e.g. `"/runs/my run"`.
 * @throws {RangeError} When the value contains a line break.
 */
export function sbatchQuote(value: string): string {
  if (/[\r\n]/.test(value)) {
    throw new RangeError(`An #SBATCH value must be one line, got ${JSON.stringify(value)}`);
  }
  return `"${value.replace(/[\\"#]/g, "\\$&")}"`;
}

/**
 * An sbatch file-name pattern for a literal path: `%` doubled so that SLURM does not
 * read it as a replacement symbol.
 *
 * @param path A path.
 * @returns The path with every `%` written `%%`.
 */
export function literalFilename(path: string): string {
  return path.replaceAll("%", "%%");
}

/**
 * The `--array` value of a set of indices: runs of consecutive indices as ranges, the
 * rest comma-separated, and `%N` when at most N tasks may run at once.
 *
 * @param indices Array indices (integers >= 0, any order, no duplicates needed).
 * @param maxConcurrent At most this many tasks at once, or null for no limit.
 * @returns e.g. "0-3", "0,2,5-7%2".
 * @throws {RangeError} When there is no index, an index is not an integer >= 0, or
 * maxConcurrent is not an integer >= 1.
 */
export function arraySpec(indices: readonly number[], maxConcurrent: number | null = null): string {
  if (indices.length === 0) throw new RangeError("A job array needs at least one index");
  for (const index of indices) {
    if (!Number.isInteger(index) || index < 0) {
      throw new RangeError(`Array indices must be integers >= 0, got ${index}`);
    }
  }
  if (maxConcurrent !== null && (!Number.isInteger(maxConcurrent) || maxConcurrent < 1)) {
    throw new RangeError(`The array task limit must be an integer >= 1, got ${maxConcurrent}`);
  }
  const sorted = [...new Set(indices)].sort((a, b) => a - b);
  const parts: string[] = [];
  let start = sorted[0];
  let previous = start;
  for (const index of [...sorted.slice(1), Number.NaN]) {
    if (index === previous + 1) {
      previous = index;
      continue;
    }
    parts.push(start === previous ? `${start}` : `${start}-${previous}`);
    start = index;
    previous = index;
  }
  return parts.join(",") + (maxConcurrent === null ? "" : `%${maxConcurrent}`);
}

/**
 * The `--dependency` value that waits for every given job to end in any state.
 *
 * @param jobIds Job ids (a job array's id stands for all its tasks).
 * @returns e.g. "afterany:1234:1240".
 * @throws {RangeError} When there is no job id or one is not a decimal number.
 */
export function dependencySpec(jobIds: readonly string[]): string {
  if (jobIds.length === 0) throw new RangeError("A dependency needs at least one job id");
  for (const id of jobIds) {
    if (!/^\d+$/.test(id)) throw new RangeError(`Job ids are decimal numbers, got "${id}"`);
  }
  return `afterany:${jobIds.join(":")}`;
}

/**
 * The tasks of one array script: GPU tasks for the GPU script, the others for the CPU one.
 *
 * @param tasks Every task of the run.
 * @param gpu Which kind.
 * @returns The tasks of that kind, in index order.
 */
export function tasksOfKind(tasks: readonly ArrayTask[], gpu: boolean): ArrayTask[] {
  return tasks.filter((task) => task.gpu === gpu).sort((a, b) => a.index - b.index);
}

/**
 * File name of the array script of a kind.
 *
 * @param gpu Whether the script holds the GPU tasks.
 * @returns {@linkcode GPU_ARRAY_SCRIPT} or {@linkcode CPU_ARRAY_SCRIPT}.
 */
export function arrayScriptName(gpu: boolean): string {
  return gpu ? GPU_ARRAY_SCRIPT : CPU_ARRAY_SCRIPT;
}

function _directive(option: string, value: string | number | null): string[] {
  if (value === null) return [];
  return [`#SBATCH --${option}=${typeof value === "number" ? value : sbatchQuote(value)}`];
}

function _commonDirectives(context: SlurmScriptContext): string[] {
  const { settings } = context;
  return [
    ..._directive("chdir", context.projectDir),
    ..._directive("partition", settings.partition),
    ..._directive("account", settings.account),
  ];
}

function _prologue(context: SlurmScriptContext): string[] {
  const lines = [
    `RUN_DIR=${shellQuote(context.runDir)}`,
    `cd ${shellQuote(context.projectDir)} || exit 1`,
  ];
  if (context.testMode) lines.push("export MULTI_EXTRACTOR_TEST_MODE=1");
  lines.push(...context.settings.setup_commands);
  return lines;
}

function _logsDir(context: SlurmScriptContext): string {
  return nodePath.join(context.runDir, SLURM_DIR_NAME, LOGS_DIR_NAME);
}

/**
 * The job-array script of one resource kind. Task i runs
 * `<deno_command> task resume "$RUN_DIR" --only "<extractor i>"` in the project
 * directory, after the setup lines; the GPU script also requests `--gres`. Tasks are
 * `--requeue`able: a re-run task continues from the extractor's last checkpoint.
 *
 * @example The CPU array of a two-extractor run
 * ```ts
 * const text = arrayScript({
 *   runDir: "/shared/runs/20261129-120000-default",
 *   projectDir: "/shared/multi-extractor",
 *   runId: "default",
 *   tasks: [{ index: 0, extractor: "dynamics_original", gpu: false }, { index: 1, extractor: "mlp_small", gpu: false }],
 *   settings: resolveSlurmSettings({ partition: "cpu", time: "04:00:00" }),
 *   testMode: false,
 * }, false);
 * // #SBATCH --array=0-1 ... deno task resume "$RUN_DIR" --only "$NAME"
 * ```
 *
 * @param context Run directory, project, tasks, settings.
 * @param gpu Whether to write the GPU tasks' script (else the CPU tasks').
 * @returns The script text (bash, ends with a newline).
 * @throws {RangeError} When the run has no task of that kind, or a value has a line break.
 */
export function arrayScript(context: SlurmScriptContext, gpu: boolean): string {
  const tasks = tasksOfKind(context.tasks, gpu);
  if (tasks.length === 0) {
    throw new RangeError(`The run has no ${gpu ? "GPU" : "CPU"} extractor for a job array`);
  }
  const { settings } = context;
  const name = arrayScriptName(gpu);
  const spec = arraySpec(tasks.map((task) => task.index), settings.max_concurrent_tasks);
  // A multi-seed run: task i trains one trial, EXTRACTORS[i] with seed SEEDS[i].
  const trials = tasks.some((task) => task.seed !== undefined);
  const log = `${literalFilename(_logsDir(context))}/${name.replace(/\.sbatch$/, "")}-%A_%a.out`;
  const lines = [
    "#!/bin/bash",
    ..._directive("job-name", `mx-${context.runId}`),
    `#SBATCH --array=${spec}`,
    `#SBATCH --output=${sbatchQuote(log)}`,
    ..._commonDirectives(context),
    ..._directive("time", settings.time),
    ..._directive("cpus-per-task", settings.cpus_per_task),
    ..._directive("mem", settings.mem),
    ...(gpu ? _directive("gres", settings.gres) : []),
    "#SBATCH --requeue",
    ...settings.extra_sbatch_args.map((arg) => `#SBATCH ${sbatchQuote(arg)}`),
    "",
    `# multi-extractor: ${gpu ? "GPU" : "CPU"} extractors of the run directory below, one per`,
    "# array task. Task i trains EXTRACTORS[i] alone through `deno task resume --only`, so a",
    "# task that runs again (requeued after pre-emption, or resubmitted with",
    `# \`sbatch --array=<i> ${name}\`) continues from that extractor's last checkpoint.`,
    "# `deno task slurm status <run_dir>` shows every task's state.",
    `EXTRACTORS=(${
      tasks.map((task) => `[${task.index}]=${shellQuote(task.extractor)}`).join(" ")
    })`,
    ...(trials ? [`SEEDS=(${tasks.map((task) => `[${task.index}]=${task.seed}`).join(" ")})`] : []),
    'TASK="${SLURM_ARRAY_TASK_ID:-}"',
    'case "$TASK" in',
    `  ''|*[!0-9]*) echo "${name}: run it as a job array (sbatch --array=${spec})" >&2; exit 2 ;;`,
    "esac",
    'if [ -z "${EXTRACTORS[$TASK]+set}" ]; then',
    `  echo "${name}: array task $TASK trains no extractor (tasks ${spec})" >&2`,
    "  exit 2",
    "fi",
    'NAME="${EXTRACTORS[$TASK]}"',
    ...(trials ? ['SEED="${SEEDS[$TASK]}"'] : []),
    ..._prologue(context),
    'echo "multi-extractor: array task $TASK of job ${SLURM_ARRAY_JOB_ID:-?} trains $NAME on' +
    ' $(hostname) into $RUN_DIR"',
    `${settings.deno_command} task resume "$RUN_DIR" --only "$NAME"${
      trials ? ' --seeds "$SEED"' : ""
    }`,
    "",
  ];
  return lines.join("\n");
}

/** Options of {@linkcode summarizeScript}. */
export interface SummarizeScriptOptions {
  /**
   * Job ids of the array jobs to wait for (`--dependency=afterany:...`); null writes
   * the dependency as a comment, for a dry run where the ids are not known yet; an
   * empty list writes none (every array task has ended).
   * @default null
   */
  dependsOn?: readonly string[] | null;
}

/**
 * The summarize job: once every array task has ended (in any state), run
 * `<deno_command> task summarize "$RUN_DIR"` in the project directory, which rebuilds
 * summary.json, summary.md, complete_results.json and the figures from the manifest.
 *
 * @param context Run directory, project, settings.
 * @param options The array job ids it waits for.
 * @returns The script text (bash, ends with a newline).
 * @throws {RangeError} When a job id is not a decimal number, or a value has a line break.
 */
export function summarizeScript(
  context: SlurmScriptContext,
  options: SummarizeScriptOptions = {},
): string {
  const { settings } = context;
  const dependsOn = options.dependsOn ?? null;
  const log = `${literalFilename(_logsDir(context))}/summarize-%j.out`;
  const lines = [
    "#!/bin/bash",
    ..._directive("job-name", `mx-${context.runId}-summary`),
    `#SBATCH --output=${sbatchQuote(log)}`,
    ..._commonDirectives(context),
    "#SBATCH --cpus-per-task=1",
    dependsOn === null
      ? "## --dependency=afterany:<array job ids> goes on the sbatch command line (dry run)"
      : dependsOn.length === 0
      ? "## no dependency: every array task has ended (slurm resubmit of the summary alone)"
      : `#SBATCH --dependency=${dependencySpec(dependsOn)}`,
    ...settings.extra_sbatch_args.map((arg) => `#SBATCH ${sbatchQuote(arg)}`),
    "",
    "# multi-extractor: rebuild the summary of the run directory below once every array",
    "# task has ended, whatever its state (failed tasks are reported with their reason).",
    ..._prologue(context),
    'echo "multi-extractor: summarizing $RUN_DIR on $(hostname)"',
    `${settings.deno_command} task summarize "$RUN_DIR"`,
    "",
  ];
  return lines.join("\n");
}
