/**
 * Hand a comparison to SLURM: create the run directory and manifest on a shared path
 * (the same start as `train`), write the job-array scripts and the summarize script
 * into `<run_dir>/slurm/`, and submit them with sbatch; later, submit single array
 * tasks again (a pre-empted or failed task continues through `resume`).
 *
 * @module
 */
import * as nodePath from "node:path";
import { mkdirNoFollow } from "../internal/safe_path.ts";
import { writeTextFileAtomic } from "../internal/atomic_write.ts";
import type { RunDirectory } from "../run/paths.ts";
import { plannedTrials, type PreparedComparison } from "../train/prepare.ts";
import { createRun } from "../train/create_run.ts";
import { _runCommand } from "./_command.ts";
import { SlurmCommandError } from "./errors.ts";
import {
  readJobsFile,
  type SlurmJobsFile,
  type SlurmSubmissionRecord,
  writeJobsFile,
} from "./jobs.ts";
import {
  arrayScript,
  arrayScriptName,
  arraySpec,
  type ArrayTask,
  dependencySpec,
  LOGS_DIR_NAME,
  shellQuote,
  SLURM_DIR_NAME,
  type SlurmScriptContext,
  SUMMARIZE_SCRIPT,
  summarizeScript,
  tasksOfKind,
} from "./scripts.ts";
import { resolveSlurmSettings, type SlurmOverrides } from "./settings.ts";

/** Folders that compute nodes usually do not share with the submitting host. */
const _NODE_LOCAL_ROOTS = ["/tmp", "/var/tmp", "/dev/shm", "/run"];

/** Options of {@linkcode createSlurmRun}. */
export interface CreateSlurmRunOptions {
  /**
   * Flag values laid over the scenario's `slurm:` block (see resolveSlurmSettings).
   * @default {}
   */
  overrides?: SlurmOverrides;
  /**
   * Project directory (holds deno.json) the jobs run `deno task` in.
   * @default Deno.cwd()
   */
  projectDir?: string;
  /**
   * Command-line arguments recorded in run_started.
   * @default undefined
   */
  argv?: string[];
}

/** A run handed to SLURM, written but not yet submitted. */
export interface SlurmRun {
  /** The new run directory. */
  run: RunDirectory;
  /** The job record as written to jobs.json (no submissions yet). */
  jobs: SlurmJobsFile;
  /** Absolute paths of the array scripts (CPU first), one per resource kind present. */
  arrayScripts: string[];
  /** Absolute path of the summarize script. */
  summarizeScript: string;
  /** Warnings, e.g. a run directory on a node-local file system. */
  warnings: string[];
}

/**
 * The script context of a run from its job record.
 *
 * @param jobs The job record.
 * @returns What the scripts are written from.
 */
export function scriptContext(jobs: SlurmJobsFile): SlurmScriptContext {
  return {
    runDir: jobs.run_dir,
    projectDir: jobs.project_dir,
    runId: jobs.run_id,
    tasks: jobs.tasks,
    settings: jobs.settings,
    testMode: jobs.test_mode,
  };
}

/**
 * The array tasks of a prepared comparison: its runnable trials in run order (one per
 * extractor, or per extractor and seed in a multi-seed run), index 0, 1, ...; a task requests a GPU when its extractor expects one
 * (expected_resources gpu) or run.device is cuda.
 *
 * @param prepared The comparison (plan and scenario).
 * @returns The tasks.
 * @throws {RangeError} When no extractor can run, or a name contains a comma (which
 * `--only` would split).
 */
export function arrayTasks(prepared: PreparedComparison): ArrayTask[] {
  const profiles = new Map(prepared.scenario.extractors.map((p) => [p.name, p]));
  const cuda = prepared.scenario.settings.run.device === "cuda";
  const runnable = plannedTrials(prepared).filter(({ planned }) => planned.action === "run");
  if (runnable.length === 0) {
    throw new RangeError(`No extractor of ${prepared.scenario.file} can run; nothing to submit`);
  }
  return runnable.map(({ planned, trial }, index) => {
    if (planned.name.includes(",")) {
      throw new RangeError(
        `Extractor name "${planned.name}" contains a comma, which --only would split; rename it`,
      );
    }
    const gpu = cuda || profiles.get(planned.name)?.expected_resources === "gpu";
    return trial.seed === null
      ? { index, extractor: planned.name, gpu }
      : { index, extractor: planned.name, seed: trial.seed, gpu };
  });
}

function _nodeLocal(path: string): string | null {
  return _NODE_LOCAL_ROOTS.find((root) => path === root || path.startsWith(`${root}/`)) ?? null;
}

/**
 * Start a SLURM run of a prepared comparison: check the settings, create the run
 * directory with its manifest (run_started) like `train` does, and write
 * `slurm/array.sbatch` (CPU extractors), `slurm/array_gpu.sbatch` (GPU extractors, with
 * `--gres`), `slurm/summarize.sbatch` (its dependency as a comment until submission),
 * `slurm/logs/` and `slurm/jobs.json`. Submits nothing (see {@linkcode submitSlurmRun}).
 *
 * Prepare the comparison with `cudaUsable: true`: the compute nodes get the GPUs the
 * scripts request, so GPU extractors are planned to run.
 *
 * @example Write the scripts of the default scenario
 * ```ts
 * const prepared = await prepareComparison("configs/scenarios/multi_extractor_default.yaml", {
 *   cudaUsable: true,
 * });
 * const slurmRun = await createSlurmRun(prepared, { overrides: { partition: "cpu" } });
 * console.log(slurmRun.arrayScripts);
 * ```
 *
 * @param prepared The comparison from prepareComparison().
 * @param options Flag overrides, project directory, argv.
 * @returns The run directory, job record, script paths and warnings.
 * @throws {RangeError} When a setting cannot go into a script or no extractor can run
 * (nothing is written).
 * @throws {Error} When the scenario changed since it was validated, or the run
 * directory cannot be written.
 */
export async function createSlurmRun(
  prepared: PreparedComparison,
  options: CreateSlurmRunOptions = {},
): Promise<SlurmRun> {
  const settings = resolveSlurmSettings(prepared.scenario.settings.slurm, options.overrides ?? {});
  const tasks = arrayTasks(prepared);
  const projectDir = nodePath.resolve(options.projectDir ?? Deno.cwd());
  // The run lock is held until the scripts and jobs.json are written: a resume that
  // finds the run meanwhile is refused instead of training its extractors here.
  const { run, close } = await createRun(prepared, { argv: options.argv });
  let written: { jobs: SlurmJobsFile; arrayScripts: string[]; summarize: string };
  try {
    const slurmDir = nodePath.join(run.path, SLURM_DIR_NAME);
    await mkdirNoFollow(nodePath.join(slurmDir, LOGS_DIR_NAME));
    const jobs: SlurmJobsFile = {
      format_version: 1,
      run_dir: run.path,
      project_dir: projectDir,
      run_id: prepared.scenario.settings.run.run_id,
      test_mode: prepared.testMode,
      tasks,
      settings,
      scripts: [],
      submissions: [],
    };
    const context = scriptContext(jobs);
    const arrayScripts: string[] = [];
    for (const gpu of [false, true]) {
      if (tasksOfKind(tasks, gpu).length === 0) continue;
      const path = nodePath.join(slurmDir, arrayScriptName(gpu));
      await writeTextFileAtomic(path, arrayScript(context, gpu));
      arrayScripts.push(path);
      jobs.scripts.push(arrayScriptName(gpu));
    }
    const summarize = nodePath.join(slurmDir, SUMMARIZE_SCRIPT);
    await writeTextFileAtomic(summarize, summarizeScript(context));
    jobs.scripts.push(SUMMARIZE_SCRIPT);
    await writeJobsFile(run.path, jobs);
    written = { jobs, arrayScripts, summarize };
  } finally {
    await close();
  }
  const { jobs, arrayScripts, summarize } = written;

  const warnings: string[] = [];
  for (const [what, path] of [["run directory", run.path], ["project directory", projectDir]]) {
    const root = _nodeLocal(path);
    if (root !== null) {
      warnings.push(
        `The ${what} ${path} is under ${root}, which compute nodes usually do not share; ` +
          "use a shared file system (e.g. --output-root on /home or /scratch) on a real cluster",
      );
    }
  }
  return { run, jobs, arrayScripts, summarizeScript: summarize, warnings };
}

/**
 * The job id in `sbatch --parsable` output: `<id>` or `<id>;<cluster>` on the first
 * non-empty line.
 *
 * @param stdout sbatch's standard output.
 * @returns The job id, e.g. "1234".
 * @throws {SyntaxError} When the output holds no job id.
 */
export function parseSbatchJobId(stdout: string): string {
  const line = stdout.split("\n").map((text) => text.trim()).find((text) => text !== "") ?? "";
  const match = /^(\d+)(?:;\S+)?$/.exec(line);
  if (match === null) {
    throw new SyntaxError(`sbatch --parsable printed no job id: ${JSON.stringify(stdout.trim())}`);
  }
  return match[1];
}

/** Options of {@linkcode submitSlurmRun}. */
export interface SubmitSlurmRunOptions {
  /**
   * Array indices to submit (e.g. failed tasks to run again); each must be a task of the run.
   * @default null (every task)
   */
  indices?: readonly number[] | null;
  /**
   * sbatch command (name on PATH or absolute path).
   * @default "sbatch"
   */
  sbatch?: string;
  /**
   * Clock for the submission times.
   * @default () => new Date()
   */
  now?: () => Date;
}

/** One sbatch call that succeeded. */
export interface SubmittedJob {
  /** Absolute script path. */
  script: string;
  /** The job id. */
  jobId: string;
  /** Array indices submitted (empty for the summarize job). */
  indices: number[];
  /** The sbatch arguments used. */
  args: string[];
}

/** What {@linkcode submitSlurmRun} submitted. */
export interface SlurmSubmission {
  /** The array jobs (CPU first), one per resource kind with selected tasks. */
  arrays: SubmittedJob[];
  /** The summarize job, depending on every array job. */
  summarize: SubmittedJob;
}

/**
 * Submit a run written by {@linkcode createSlurmRun}: each array script with
 * `sbatch --parsable` (only the selected indices, through `--array`, when `indices` is
 * given), then `summarize.sbatch`, rewritten with `--dependency=afterany:<array job ids>`.
 * Every successful call is recorded in jobs.json at once, so a failure halfway leaves a
 * record of what was submitted.
 *
 * @param runDir Run directory with `slurm/jobs.json`.
 * @param options Indices to submit, the sbatch command, the clock.
 * @returns The job ids.
 * @throws {RangeError} When an index is not a task of the run, or the selection is empty.
 * @throws {SlurmCommandError} When sbatch is missing or refuses a script (its message;
 * `hint` names the jobs made so far and the command that finishes the submission).
 * @throws {SyntaxError} When sbatch prints no job id, or jobs.json is damaged.
 * @throws {Deno.errors.NotFound} When the run has no jobs.json.
 */
export async function submitSlurmRun(
  runDir: string,
  options: SubmitSlurmRunOptions = {},
): Promise<SlurmSubmission> {
  const jobs = await readJobsFile(runDir);
  const sbatch = options.sbatch ?? "sbatch";
  const now = options.now ?? (() => new Date());
  const known = new Set(jobs.tasks.map((task) => task.index));
  const selected = options.indices === undefined || options.indices === null
    ? [...known]
    : [...new Set(options.indices)];
  if (selected.length === 0) throw new RangeError("No array task selected to submit");
  for (const index of selected) {
    if (!known.has(index)) {
      throw new RangeError(
        `Array task ${index} is not a task of ${runDir} (tasks ${arraySpec([...known])})`,
      );
    }
  }
  const submittedBefore = jobs.submissions.length;
  try {
    return await _submit(jobs, selected, sbatch, now);
  } catch (error) {
    if (error instanceof SlurmCommandError) {
      error.hint = failedSubmissionHint(jobs, submittedBefore, selected);
    }
    throw error;
  }
}

async function _submit(
  jobs: SlurmJobsFile,
  selected: readonly number[],
  sbatch: string,
  now: () => Date,
): Promise<SlurmSubmission> {
  const known = new Set(jobs.tasks.map((task) => task.index));
  const subset = selected.length < known.size;
  const slurmDir = nodePath.join(jobs.run_dir, SLURM_DIR_NAME);
  const record = async (submission: SlurmSubmissionRecord) => {
    jobs.submissions.push(submission);
    await writeJobsFile(jobs.run_dir, jobs);
  };
  const arrays: SubmittedJob[] = [];
  for (const gpu of [false, true]) {
    const indices = tasksOfKind(jobs.tasks, gpu).map((task) => task.index)
      .filter((index) => selected.includes(index));
    if (indices.length === 0) continue;
    const script = nodePath.join(slurmDir, arrayScriptName(gpu));
    const args = [
      "--parsable",
      ...(subset ? [`--array=${arraySpec(indices, jobs.settings.max_concurrent_tasks)}`] : []),
      script,
    ];
    const { stdout } = await _runCommand(sbatch, args);
    const jobId = parseSbatchJobId(stdout);
    await record({
      time: now().toISOString(),
      script: arrayScriptName(gpu),
      job_id: jobId,
      indices,
      dependency: null,
    });
    arrays.push({ script, jobId, indices, args });
  }
  const summarize = await _submitSummarize(jobs, arrays.map((job) => job.jobId), sbatch, now);
  return { arrays, summarize };
}

/** Write summarize.sbatch depending on `dependsOn`, submit it and record it in jobs.json. */
async function _submitSummarize(
  jobs: SlurmJobsFile,
  dependsOn: readonly string[],
  sbatch: string,
  now: () => Date,
): Promise<SubmittedJob> {
  const summarize = nodePath.join(jobs.run_dir, SLURM_DIR_NAME, SUMMARIZE_SCRIPT);
  await writeTextFileAtomic(summarize, summarizeScript(scriptContext(jobs), { dependsOn }));
  const args = ["--parsable", summarize];
  const { stdout } = await _runCommand(sbatch, args);
  const jobId = parseSbatchJobId(stdout);
  jobs.submissions.push({
    time: now().toISOString(),
    script: SUMMARIZE_SCRIPT,
    job_id: jobId,
    indices: [],
    dependency: dependsOn.length === 0 ? null : dependencySpec(dependsOn),
  });
  await writeJobsFile(jobs.run_dir, jobs);
  return { script: summarize, jobId, indices: [], args };
}

/**
 * Submit the summarize job of a run alone, with no dependency (every array task has
 * ended: e.g. the summarize job was cancelled or failed), and record it in jobs.json.
 *
 * @param runDir Run directory of a run submitted with `slurm`.
 * @param options sbatch command and clock (`indices` is ignored).
 * @returns The summarize job.
 * @throws {RunDirectoryError} When the directory has no readable `slurm/jobs.json`.
 * @throws {SlurmCommandError} When sbatch fails.
 */
export async function submitSummarizeJob(
  runDir: string,
  options: SubmitSlurmRunOptions = {},
): Promise<SubmittedJob> {
  const jobs = await readJobsFile(runDir);
  return await _submitSummarize(
    jobs,
    [],
    options.sbatch ?? "sbatch",
    options.now ?? (() => new Date()),
  );
}

/**
 * The commands that submit a written run by hand (what a dry run prints): sbatch for
 * each array script, then the summarize script with the dependency on their job ids.
 *
 * @param jobs The job record.
 * @returns Shell lines, e.g. `ID0=$(sbatch --parsable '<run>/slurm/array.sbatch')`.
 */
export function manualSubmitCommands(jobs: SlurmJobsFile): string[] {
  const slurmDir = nodePath.join(jobs.run_dir, SLURM_DIR_NAME);
  const lines: string[] = [];
  const ids: string[] = [];
  for (const name of jobs.scripts.filter((script) => script !== SUMMARIZE_SCRIPT)) {
    const variable = `ARRAY${ids.length}`;
    lines.push(`${variable}=$(sbatch --parsable ${shellQuote(nodePath.join(slurmDir, name))})`);
    ids.push(`\${${variable}%%;*}`);
  }
  lines.push(
    `sbatch --dependency=afterany:${ids.join(":")} ${
      shellQuote(nodePath.join(slurmDir, SUMMARIZE_SCRIPT))
    }`,
  );
  return lines;
}

/**
 * What to do after an sbatch call of a submission failed: which jobs the submission
 * made (from jobs.json) and the command that finishes it. With no job made, the run is
 * written and `slurm resubmit` submits it; with tasks left unsubmitted, `slurm resubmit`
 * submits those and a summarize job; with every array job made but no summarize job,
 * `sbatch summarize.sbatch` does (its `--dependency` is already written in).
 *
 * @param jobs The job record as read after the failure.
 * @param submittedBefore How many submissions jobs.json held before the submission began.
 * @param selected Array indices the submission was meant to submit.
 * @returns One or two sentences, e.g. "Submitted array job 11 (array.sbatch) but no
 * summarize job; submit it with: sbatch '<run>/slurm/summarize.sbatch'".
 */
export function failedSubmissionHint(
  jobs: SlurmJobsFile,
  submittedBefore: number,
  selected: readonly number[],
): string {
  const made = jobs.submissions.slice(submittedBefore);
  const arrays = made.filter((submission) => submission.indices.length > 0);
  const runDir = shellQuote(jobs.run_dir);
  if (arrays.length === 0) {
    return `Nothing was submitted; the run directory ${jobs.run_dir} is kept: submit it with: ` +
      `deno task slurm resubmit ${runDir}`;
  }
  const done = new Set(arrays.flatMap((submission) => submission.indices));
  const left = selected.filter((index) => !done.has(index));
  const submitted = `Submitted ${
    arrays.map((submission) => `array job ${submission.job_id} (${submission.script})`).join(", ")
  }`;
  if (left.length > 0) {
    return `${submitted} but not tasks ${arraySpec(left)} nor a summarize job; submit them ` +
      `with: deno task slurm resubmit ${runDir}`;
  }
  const summarize = nodePath.join(jobs.run_dir, SLURM_DIR_NAME, SUMMARIZE_SCRIPT);
  return `${submitted} but no summarize job; submit it with: sbatch ${shellQuote(summarize)} ` +
    `(it waits for ${made.map((submission) => submission.job_id).join(", ")}), or run ` +
    `deno task summarize ${runDir} once the tasks have ended`;
}
