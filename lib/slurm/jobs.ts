/**
 * `<run_dir>/slurm/jobs.json`: what `slurm` wrote and submitted for a run (the array
 * tasks, the settings, and every sbatch submission with its job id), so that
 * `slurm status` can match array tasks to SLURM jobs and `slurm resubmit` can submit
 * single tasks again. One writer (the submitting process) replaces it atomically; the
 * array tasks never touch it.
 *
 * @module
 */
import * as nodePath from "node:path";
import { readInputFile } from "../internal/input_file.ts";
import { writeJsonFileAtomic } from "../internal/atomic_write.ts";
import type { ArrayTask } from "./scripts.ts";
import { SLURM_DIR_NAME } from "./scripts.ts";
import type { ResolvedSlurmSettings } from "./settings.ts";

/** File name of the job record inside `<run_dir>/slurm/`. */
export const JOBS_FILE_NAME = "jobs.json";
/** Format written by this version. */
export const JOBS_FORMAT_VERSION = 1;

/** One sbatch call. */
export interface SlurmSubmissionRecord {
  /** ISO 8601 time of the call (UTC). */
  time: string;
  /** Script file name inside `<run_dir>/slurm/`. */
  script: string;
  /** Job id sbatch printed (a job array's id). */
  job_id: string;
  /** Array indices submitted; empty for the summarize job. */
  indices: number[];
  /** `--dependency` value, or null. */
  dependency: string | null;
}

/** Contents of jobs.json. */
export interface SlurmJobsFile {
  /** Format of the file. */
  format_version: typeof JOBS_FORMAT_VERSION;
  /** Absolute run directory. */
  run_dir: string;
  /** Absolute project directory the jobs run `deno task` in. */
  project_dir: string;
  /** run.run_id (names the jobs). */
  run_id: string;
  /** Whether the run was prepared in test mode. */
  test_mode: boolean;
  /** Every array task of the run, in index order. */
  tasks: ArrayTask[];
  /** Settings the scripts were written with. */
  settings: ResolvedSlurmSettings;
  /** Script file names inside `<run_dir>/slurm/`: array scripts, then the summarize script. */
  scripts: string[];
  /** sbatch calls, oldest first. */
  submissions: SlurmSubmissionRecord[];
}

/**
 * Path of jobs.json of a run.
 *
 * @param runDir Run directory.
 * @returns `<runDir>/slurm/jobs.json`.
 */
export function jobsFilePath(runDir: string): string {
  return nodePath.join(runDir, SLURM_DIR_NAME, JOBS_FILE_NAME);
}

function _isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function _fail(path: string, message: string): never {
  throw new SyntaxError(`${path}: ${message}`);
}

/**
 * Parse and check jobs.json text.
 *
 * @param text File content.
 * @param path File path, for messages.
 * @returns The contents.
 * @throws {SyntaxError} When the text is not JSON, is from a newer format, or a field
 * is missing or has the wrong type (the message names the path and the field).
 */
export function parseJobsFile(text: string, path = JOBS_FILE_NAME): SlurmJobsFile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    _fail(path, `not valid JSON (${(error as Error).message})`);
  }
  if (!_isObject(value)) _fail(path, "not a JSON object");
  if (value.format_version !== JOBS_FORMAT_VERSION) {
    _fail(
      path,
      `format_version ${JSON.stringify(value.format_version)}; this reader understands ` +
        `${JOBS_FORMAT_VERSION}`,
    );
  }
  for (const key of ["run_dir", "project_dir", "run_id"]) {
    if (typeof value[key] !== "string") _fail(path, `${key} must be a string`);
  }
  if (typeof value.test_mode !== "boolean") _fail(path, "test_mode must be true or false");
  if (!_isObject(value.settings)) _fail(path, "settings must be an object");
  if (!Array.isArray(value.tasks)) _fail(path, "tasks must be a list");
  value.tasks.forEach((task: unknown, i: number) => {
    if (
      !_isObject(task) || !Number.isInteger(task.index) || (task.index as number) < 0 ||
      typeof task.extractor !== "string" || typeof task.gpu !== "boolean" ||
      (task.seed !== undefined && !Number.isInteger(task.seed))
    ) {
      _fail(path, `tasks[${i}] must have an integer index >= 0, an extractor name and gpu`);
    }
  });
  if (!Array.isArray(value.scripts) || value.scripts.some((s) => typeof s !== "string")) {
    _fail(path, "scripts must be a list of file names");
  }
  if (!Array.isArray(value.submissions)) _fail(path, "submissions must be a list");
  value.submissions.forEach((entry: unknown, i: number) => {
    if (
      !_isObject(entry) || typeof entry.time !== "string" || typeof entry.script !== "string" ||
      typeof entry.job_id !== "string" || !Array.isArray(entry.indices) ||
      entry.indices.some((index) => !Number.isInteger(index)) ||
      (entry.dependency !== null && typeof entry.dependency !== "string")
    ) {
      _fail(path, `submissions[${i}] must have time, script, job_id, indices and dependency`);
    }
  });
  return value as unknown as SlurmJobsFile;
}

/**
 * Read a run's jobs.json.
 *
 * @param runDir Run directory.
 * @returns The contents.
 * @throws {Deno.errors.NotFound} When the run has no jobs.json (not made by `slurm`).
 * @throws {SyntaxError} When the file is damaged (see {@linkcode parseJobsFile}).
 */
export async function readJobsFile(runDir: string): Promise<SlurmJobsFile> {
  const path = jobsFilePath(runDir);
  const bytes = await readInputFile(path, { kind: "json", nativeNotFound: true });
  return parseJobsFile(new TextDecoder().decode(bytes), path);
}

/**
 * Replace a run's jobs.json atomically.
 *
 * @param runDir Run directory (its `slurm/` folder must exist).
 * @param jobs The contents.
 * @throws {Deno.errors.NotFound} When `<runDir>/slurm/` does not exist.
 */
export async function writeJobsFile(runDir: string, jobs: SlurmJobsFile): Promise<void> {
  await writeJsonFileAtomic(jobsFilePath(runDir), jobs);
}

/**
 * The submission that last included each array task: the job id of task i is
 * `<job_id>_<i>` of that submission.
 *
 * @param jobs The job record.
 * @returns Latest submission by array index (tasks never submitted are absent).
 */
export function latestTaskSubmissions(jobs: SlurmJobsFile): Map<number, SlurmSubmissionRecord> {
  const latest = new Map<number, SlurmSubmissionRecord>();
  for (const submission of jobs.submissions) {
    for (const index of submission.indices) latest.set(index, submission);
  }
  return latest;
}

/**
 * The last summarize submission, or null when none was made.
 *
 * @param jobs The job record.
 * @returns The submission.
 */
export function latestSummarizeSubmission(jobs: SlurmJobsFile): SlurmSubmissionRecord | null {
  const summaries = jobs.submissions.filter((entry) => entry.indices.length === 0);
  return summaries[summaries.length - 1] ?? null;
}
