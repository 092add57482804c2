/**
 * `slurm status`: each array task's state from the run's manifest (not started,
 * running, success, failed, interrupted, skipped, with steps and reason), beside the
 * state SLURM reports for its job (squeue for queued and running jobs, then sacct, then
 * scontrol for recently finished ones; whichever the host has).
 *
 * @module
 */
import * as nodePath from "node:path";
import { guardDirectory } from "../internal/safe_path.ts";
import { RunDirectoryError } from "../report/run_directory.ts";
import { isMultiSeed, trialSeeds } from "../config/trials.ts";
import { MANIFEST_FILE_NAME, type ManifestEvent, readManifest } from "../run/manifest.ts";
import { eventTrial, trialKey } from "../run/trial.ts";
import { INTERRUPTED_REASON } from "../train/failures.ts";
import { _runCommand } from "./_command.ts";
import { SlurmCommandError } from "./errors.ts";
import {
  latestSummarizeSubmission,
  latestTaskSubmissions,
  readJobsFile,
  type SlurmJobsFile,
} from "./jobs.ts";
import { arrayScriptName, shellQuote } from "./scripts.ts";

/** An extractor's state as its manifest events tell it. */
export type ExtractorJobState =
  | "not started"
  | "running"
  | "success"
  | "failed"
  | "interrupted"
  | "skipped";

/** One extractor's progress from the manifest. */
export interface ExtractorProgress {
  /** Extractor entry name, or trial key `<name>/seed_<k>` in a multi-seed run. */
  extractor: string;
  /** State from its last start or finish event. */
  state: ExtractorJobState;
  /** Environment steps reached (last checkpoint, evaluation or record), or null. */
  steps: number | null;
  /** Reason of a failed, interrupted or skipped record, else null. */
  reason: string | null;
  /** Last checkpoint, relative to the run directory, or null. */
  lastCheckpoint: string | null;
  /** How often it started (more than 1 after a resume or requeue). */
  starts: number;
  /** ISO time of its last event, or null. */
  updatedAt: string | null;
}

/**
 * Each extractor's progress from manifest events, in the given order. A record that
 * failed with reason "interrupted" counts as interrupted; a later start makes the
 * extractor running again.
 *
 * @param events Manifest events in file order.
 * @param names Extractor names to report.
 * @returns One entry per name.
 */
export function extractorProgress(
  events: readonly ManifestEvent[],
  names: readonly string[],
): ExtractorProgress[] {
  const byName = new Map<string, ExtractorProgress>(names.map((extractor) => [extractor, {
    extractor,
    state: "not started",
    steps: null,
    reason: null,
    lastCheckpoint: null,
    starts: 0,
    updatedAt: null,
  }]));
  const reach = (progress: ExtractorProgress, step: number) => {
    progress.steps = Math.max(progress.steps ?? 0, step);
  };
  for (const event of events) {
    if (!("extractor" in event)) continue;
    const progress = byName.get(trialKey(eventTrial(event)));
    if (progress === undefined) continue;
    progress.updatedAt = event.time;
    switch (event.event) {
      case "extractor_started":
        progress.state = "running";
        progress.reason = null;
        progress.starts++;
        break;
      case "checkpoint_written":
        progress.lastCheckpoint = event.path;
        reach(progress, event.step);
        break;
      case "evaluation_done":
        reach(progress, event.timestep);
        break;
      case "extractor_finished": {
        const { record } = event;
        progress.state = record.status === "failed" && record.reason === INTERRUPTED_REASON
          ? "interrupted"
          : record.status;
        progress.reason = record.reason ?? null;
        if (record.training_steps !== undefined && record.training_steps > 0) {
          progress.steps = record.training_steps;
        }
        break;
      }
    }
  }
  return names.map((name) => byName.get(name) as ExtractorProgress);
}

/** A job's state as SLURM reports it. */
export interface SlurmJobState {
  /** Job id; array tasks as `<array job id>_<index>`. */
  jobId: string;
  /** SLURM state, e.g. PENDING, RUNNING, COMPLETED, FAILED, TIMEOUT, PREEMPTED. */
  state: string;
  /** Pending reason or node list, or null. */
  reason: string | null;
  /** Exit code `<code>:<signal>`, or null. */
  exitCode: string | null;
  /** Elapsed time as SLURM writes it, or null. */
  elapsed: string | null;
  /** Which command reported it. */
  source: "squeue" | "sacct" | "scontrol";
}

/** SLURM states of jobs that are queued or running (not ended). */
export const ACTIVE_SLURM_STATES: readonly string[] = Object.freeze([
  "PENDING",
  "CONFIGURING",
  "RUNNING",
  "COMPLETING",
  "SUSPENDED",
  "REQUEUED",
  "REQUEUE_FED",
  "REQUEUE_HOLD",
  "RESIZING",
  "SIGNALING",
  "STAGE_OUT",
  "STOPPED",
  "RESV_DEL_HOLD",
]);

/**
 * Expand a job id with an array index range, as squeue, sacct and scontrol write
 * pending array tasks: `12_[0-2,5%2]` gives `12_0 12_1 12_2 12_5`; other ids are kept.
 *
 * @param jobId Job id text.
 * @returns One id per array task.
 */
export function expandArrayJobId(jobId: string): string[] {
  const match = /^(\d+)_\[([^\]]*)\]$/.exec(jobId);
  if (match === null) return [jobId];
  return expandIndexRange(match[2]).map((index) => `${match[1]}_${index}`);
}

/**
 * The indices of an array range `0-3,7` (a `%N` limit and `:step` are honoured).
 *
 * @param range Range text.
 * @returns Indices in the order written; an unreadable part is left out.
 */
export function expandIndexRange(range: string): number[] {
  const indices: number[] = [];
  for (const part of range.replace(/%\d+$/, "").split(",")) {
    const match = /^(\d+)(?:-(\d+)(?::(\d+))?)?$/.exec(part.trim());
    if (match === null) continue;
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    const step = match[3] === undefined ? 1 : Math.max(1, Number(match[3]));
    for (let index = first; index <= last; index += step) indices.push(index);
  }
  return indices;
}

function _firstWord(state: string): string {
  return state.trim().split(/\s+/)[0] ?? "";
}

/** `squeue --format` used by {@linkcode querySlurmJobs}: job id, state, elapsed, reason or nodes. */
export const SQUEUE_FORMAT = "%i|%T|%M|%R";
/** `sacct --format` used by {@linkcode querySlurmJobs}. */
export const SACCT_FORMAT = "JobID,State,ExitCode,Elapsed,NodeList";

/**
 * Parse `squeue --noheader --array --format=%i|%T|%M|%R` output.
 *
 * @param text squeue's output.
 * @returns One state per job or array task (ranges expanded).
 */
export function parseSqueue(text: string): SlurmJobState[] {
  const states: SlurmJobState[] = [];
  for (const line of text.split("\n")) {
    const fields = line.trim().split("|");
    if (fields.length < 4 || fields[0] === "") continue;
    const [id, state, elapsed, ...reason] = fields;
    for (const jobId of expandArrayJobId(id)) {
      states.push({
        jobId,
        state: _firstWord(state),
        reason: reason.join("|").replace(/^\((.*)\)$/, "$1") || null,
        exitCode: null,
        elapsed: elapsed || null,
        source: "squeue",
      });
    }
  }
  return states;
}

/**
 * Parse `sacct --noheader --parsable2 --allocations --format=JobID,State,ExitCode,Elapsed,NodeList`
 * output. A state such as "CANCELLED by 1000" keeps its first word.
 *
 * @param text sacct's output.
 * @returns One state per job or array task (ranges expanded); job steps are left out.
 */
export function parseSacct(text: string): SlurmJobState[] {
  const states: SlurmJobState[] = [];
  for (const line of text.split("\n")) {
    const fields = line.trim().split("|");
    if (fields.length < 4 || fields[0] === "" || fields[0].includes(".")) continue;
    const [id, state, exitCode, elapsed, nodes] = fields;
    for (const jobId of expandArrayJobId(id)) {
      states.push({
        jobId,
        state: _firstWord(state),
        reason: nodes && nodes !== "None assigned" ? nodes : null,
        exitCode: exitCode || null,
        elapsed: elapsed || null,
        source: "sacct",
      });
    }
  }
  return states;
}

/**
 * Parse `scontrol --oneliner show job <id>` output: one `Key=Value ...` line per job
 * or array task (`ArrayJobId` and `ArrayTaskId` name the task).
 *
 * @param text scontrol's output.
 * @returns One state per job or array task (ranges expanded).
 */
export function parseScontrolJobs(text: string): SlurmJobState[] {
  const states: SlurmJobState[] = [];
  for (const line of text.split("\n")) {
    if (!line.includes("JobId=")) continue;
    const fields = new Map<string, string>();
    for (const match of line.matchAll(/(?:^|\s)([A-Za-z:/]+)=(\S*)/g)) {
      if (!fields.has(match[1])) fields.set(match[1], match[2]);
    }
    const state = fields.get("JobState");
    if (state === undefined) continue;
    const arrayJob = fields.get("ArrayJobId");
    const arrayTask = fields.get("ArrayTaskId");
    const ids = arrayJob !== undefined && arrayTask !== undefined
      ? expandIndexRange(arrayTask).map((index) => `${arrayJob}_${index}`)
      : [fields.get("JobId") as string];
    const reason = fields.get("Reason");
    const nodes = fields.get("NodeList");
    for (const jobId of ids) {
      states.push({
        jobId,
        state,
        reason: reason !== undefined && reason !== "None"
          ? reason
          : (nodes !== undefined && nodes !== "(null)" && nodes !== "" ? nodes : null),
        exitCode: fields.get("ExitCode") ?? null,
        elapsed: fields.get("RunTime") ?? null,
        source: "scontrol",
      });
    }
  }
  return states;
}

/** Options of {@linkcode querySlurmJobs}. */
export interface QuerySlurmJobsOptions {
  /**
   * squeue command.
   * @default "squeue"
   */
  squeue?: string;
  /**
   * sacct command.
   * @default "sacct"
   */
  sacct?: string;
  /**
   * scontrol command.
   * @default "scontrol"
   */
  scontrol?: string;
}

/** What {@linkcode querySlurmJobs} found. */
export interface SlurmJobStates {
  /** State by job id (array tasks as `<id>_<index>`). */
  jobs: Map<string, SlurmJobState>;
  /** Why a source gave nothing (missing command, accounting disabled, ...). */
  notes: string[];
}

function _note(error: unknown): string {
  if (error instanceof SlurmCommandError) {
    const program = error.command.split(" ")[0];
    return `${program}: ${error.exitCode === null ? error.message : error.stderr || error.message}`
      .split("\n")[0];
  }
  throw error;
}

/**
 * Ask SLURM about jobs: squeue for queued and running ones, then sacct, then scontrol
 * for those still unknown (also an array job of which squeue lists some tasks: the
 * others may have ended). A missing command or an error becomes a note; squeue missing
 * means this is no SLURM host and nothing else is tried.
 *
 * @param jobIds Job ids (array job ids cover all their tasks).
 * @param options Command names.
 * @returns States by job id and notes.
 */
export async function querySlurmJobs(
  jobIds: readonly string[],
  options: QuerySlurmJobsOptions = {},
): Promise<SlurmJobStates> {
  const jobs = new Map<string, SlurmJobState>();
  const notes: string[] = [];
  const ids = [...new Set(jobIds)];
  if (ids.length === 0) return { jobs, notes };
  const add = (states: SlurmJobState[]) => {
    for (const state of states) if (!jobs.has(state.jobId)) jobs.set(state.jobId, state);
  };
  try {
    const { stdout } = await _runCommand(options.squeue ?? "squeue", [
      "--noheader",
      "--array",
      `--jobs=${ids.join(",")}`,
      `--format=${SQUEUE_FORMAT}`,
    ]);
    add(parseSqueue(stdout));
  } catch (error) {
    const note = _note(error);
    // squeue refuses a list in which every job has left the controller; that is no problem.
    if (!/invalid job id/i.test(note)) notes.push(note);
    if (error instanceof SlurmCommandError && error.exitCode === null) return { jobs, notes };
  }
  try {
    const { stdout } = await _runCommand(options.sacct ?? "sacct", [
      "--noheader",
      "--parsable2",
      "--allocations",
      `--jobs=${ids.join(",")}`,
      `--format=${SACCT_FORMAT}`,
    ]);
    add(parseSacct(stdout));
  } catch (error) {
    notes.push(_note(error));
  }
  for (const id of ids) {
    // squeue lists only the tasks of an array that are queued or running; its finished
    // tasks are still to be found, so only an exact job id or an answer from sacct (which
    // lists every task) makes scontrol unnecessary.
    const known = [...jobs.values()].filter((state) =>
      state.jobId === id || state.jobId.startsWith(`${id}_`)
    );
    if (known.some((state) => state.jobId === id || state.source !== "squeue")) continue;
    try {
      const { stdout } = await _runCommand(options.scontrol ?? "scontrol", [
        "--oneliner",
        "show",
        "job",
        id,
      ]);
      add(parseScontrolJobs(stdout));
    } catch (error) {
      const note = _note(error);
      if (!/invalid job id/i.test(note)) notes.push(note);
    }
  }
  return { jobs, notes };
}

/** One array task's status. */
export interface TaskStatus {
  /** Array index. */
  index: number;
  /** Extractor it trains, or its trial key `<name>/seed_<k>` in a multi-seed run. */
  extractor: string;
  /** Whether it requests a GPU. */
  gpu: boolean;
  /** Its script file name. */
  script: string;
  /** Its current SLURM job id (`<array job id>_<index>`), or null when never submitted. */
  jobId: string | null;
  /** Progress from the manifest. */
  manifest: ExtractorProgress;
  /** SLURM's view, or null when unknown. */
  slurm: SlurmJobState | null;
  /** Whether `slurm resubmit` would submit it again: not finished well and not queued or running. */
  resubmit: boolean;
}

/** Status of a SLURM run. */
export interface SlurmRunStatus {
  /** Absolute run directory. */
  runDir: string;
  /** run.run_id. */
  runId: string;
  /** Every array task. */
  tasks: TaskStatus[];
  /** Scenario entries that are no array task (invalid entries: skipped with their reason). */
  others: ExtractorProgress[];
  /** The last summarize job and SLURM's view of it, or null when none was submitted. */
  summarize: { jobId: string; slurm: SlurmJobState | null } | null;
  /** Notes from the SLURM queries and the manifest. */
  notes: string[];
}

/** Options of {@linkcode slurmRunStatus}. */
export interface SlurmRunStatusOptions extends QuerySlurmJobsOptions {
  /**
   * Ask SLURM (false: the manifest only).
   * @default true
   */
  query?: boolean;
}

/**
 * Whether a task needs submitting again: its extractor neither succeeded nor was
 * skipped, and SLURM does not report its job as queued or running.
 *
 * @param manifest The extractor's progress.
 * @param slurm SLURM's view of its job, or null.
 * @returns True when `slurm resubmit` should submit it.
 */
export function needsResubmit(manifest: ExtractorProgress, slurm: SlurmJobState | null): boolean {
  if (manifest.state === "success" || manifest.state === "skipped") return false;
  return slurm === null || !ACTIVE_SLURM_STATES.includes(slurm.state);
}

/**
 * The status of a run submitted with `slurm`: its job record, its manifest and, when
 * asked, SLURM's view of each task and of the summarize job.
 *
 * @param runDir Run directory.
 * @param options Whether to ask SLURM, and the command names.
 * @returns The status.
 * @throws {RunDirectoryError} When the directory does not exist or is a file, has no
 * manifest, no run_started event or no `slurm/jobs.json`, or one of them is damaged.
 */
export async function slurmRunStatus(
  runDir: string,
  options: SlurmRunStatusOptions = {},
): Promise<SlurmRunStatus> {
  const directory = nodePath.resolve(runDir);
  guardDirectory(directory); // status and resubmit reach its files without following links
  let info: Deno.FileInfo | null;
  try {
    info = await Deno.stat(directory);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    info = null;
  }
  if (info === null || !info.isDirectory) {
    throw new RunDirectoryError(
      info === null
        ? "does not exist (give the run directory that `deno task slurm` printed)"
        : "is not a directory (give the run directory that `deno task slurm` printed)",
      directory,
    );
  }
  let jobs: SlurmJobsFile;
  try {
    jobs = await readJobsFile(directory);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new RunDirectoryError(
        "no slurm/jobs.json; not a run submitted with `deno task slurm`",
        directory,
      );
    }
    throw new RunDirectoryError((error as Error).message, directory);
  }
  let events: ManifestEvent[];
  const notes: string[] = [];
  try {
    const manifest = await readManifest(nodePath.join(directory, MANIFEST_FILE_NAME));
    events = manifest.events;
    if (manifest.torn !== null) {
      notes.push(`${MANIFEST_FILE_NAME} line ${manifest.torn.line} was cut short and was skipped`);
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new RunDirectoryError(`no ${MANIFEST_FILE_NAME}; not a run directory`, directory);
    }
    throw new RunDirectoryError((error as Error).message, directory);
  }
  const started = events.find((event) => event.event === "run_started");
  if (started === undefined || started.event !== "run_started") {
    throw new RunDirectoryError(`${MANIFEST_FILE_NAME} has no run_started event`, directory);
  }
  const order = Array.isArray(started.config.order)
    ? (started.config.order as unknown[]).filter((name): name is string => typeof name === "string")
    : [];
  const taskNames = jobs.tasks.map((task) =>
    trialKey({ extractor: task.extractor, seed: task.seed ?? null })
  );
  const run = started.config.run as { seed?: number; seeds?: number[]; num_seeds?: number };
  const runTrials = run !== undefined && isMultiSeed(run)
    ? trialSeeds(run as { seed: number }).flatMap((seed) =>
      order.map((extractor) => trialKey({ extractor, seed }))
    )
    : order;
  const otherNames = runTrials.filter((name) => !taskNames.includes(name));
  const progress = extractorProgress(events, [...taskNames, ...otherNames]);
  const latest = latestTaskSubmissions(jobs);
  const summarizeSubmission = latestSummarizeSubmission(jobs);
  const queried = options.query ?? true;
  const submittedIds = [
    ...new Set([...latest.values()].map((submission) => submission.job_id)),
    ...(summarizeSubmission === null ? [] : [summarizeSubmission.job_id]),
  ];
  const states = queried
    ? await querySlurmJobs(submittedIds, options)
    : { jobs: new Map<string, SlurmJobState>(), notes: [] };
  notes.push(...states.notes);
  const tasks = jobs.tasks.map((task, i): TaskStatus => {
    const submission = latest.get(task.index);
    const jobId = submission === undefined ? null : `${submission.job_id}_${task.index}`;
    const slurm = jobId === null ? null : states.jobs.get(jobId) ?? null;
    const manifest = progress[i];
    return {
      index: task.index,
      extractor: taskNames[i],
      gpu: task.gpu,
      script: arrayScriptName(task.gpu),
      jobId,
      manifest,
      slurm,
      resubmit: submission !== undefined && needsResubmit(manifest, slurm),
    };
  });
  const invalid = Array.isArray(started.config.skipped)
    ? started.config.skipped as { name?: unknown; reason?: unknown }[]
    : [];
  const others = progress.slice(jobs.tasks.length).map((entry) => {
    const skipped = invalid.find((item) => item.name === entry.extractor);
    if (entry.state !== "not started" || skipped === undefined) return entry;
    return {
      ...entry,
      state: "skipped" as const,
      reason: `Invalid config entry: ${skipped.reason}`,
    };
  });
  return {
    runDir: directory,
    runId: jobs.run_id,
    tasks,
    others,
    summarize: summarizeSubmission === null ? null : {
      jobId: summarizeSubmission.job_id,
      slurm: states.jobs.get(summarizeSubmission.job_id) ?? null,
    },
    notes,
  };
}

function _manifestCell(progress: ExtractorProgress): string {
  const steps = progress.steps === null ? "" : ` (${progress.steps} steps)`;
  const reason = progress.reason === null || progress.state === "interrupted"
    ? ""
    : `: ${progress.reason}`;
  return `${progress.state}${steps}${reason}`;
}

function _slurmCell(jobId: string | null, slurm: SlurmJobState | null): string {
  if (jobId === null) return "not submitted";
  if (slurm === null) return `${jobId} (unknown to SLURM)`;
  const details = [
    slurm.elapsed,
    slurm.exitCode === null ? null : `exit ${slurm.exitCode}`,
    slurm.reason,
  ]
    .filter((part) => part !== null && part !== "");
  return `${jobId} ${slurm.state}${details.length > 0 ? ` (${details.join(", ")})` : ""}`;
}

function _table(rows: string[][]): string[] {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows.map((row) =>
    row.map((cell, column) => column === row.length - 1 ? cell : cell.padEnd(widths[column]))
      .join("  ").trimEnd()
  );
}

/**
 * Render a run's status as text: a table of the array tasks (index, extractor,
 * resources, manifest state, SLURM job and state), the other entries, the summarize
 * job, notes, and the command that resubmits the unfinished tasks.
 *
 * @param status The status.
 * @returns Lines of text, ending with a newline.
 */
export function formatSlurmStatus(status: SlurmRunStatus): string {
  const lines = [`Run ${status.runDir} (run_id ${status.runId})`, ""];
  const rows = [["Task", "Extractor", "Resources", "Manifest", "SLURM job"]];
  for (const task of status.tasks) {
    rows.push([
      String(task.index),
      task.extractor,
      task.gpu ? "gpu" : "cpu",
      _manifestCell(task.manifest),
      _slurmCell(task.jobId, task.slurm),
    ]);
  }
  for (const other of status.others) {
    rows.push(["-", other.extractor, "-", _manifestCell(other), "no array task"]);
  }
  lines.push(..._table(rows), "");
  if (status.summarize === null) {
    lines.push("Summarize job: not submitted");
  } else {
    lines.push(`Summarize job: ${_slurmCell(status.summarize.jobId, status.summarize.slurm)}`);
  }
  for (const note of status.notes) lines.push(`Note: ${note}`);
  const resubmit = status.tasks.filter((task) => task.resubmit);
  if (resubmit.length > 0) {
    lines.push(
      `Not finished and not queued: ${resubmit.map((task) => task.extractor).join(", ")}; ` +
        `submit again with: deno task slurm resubmit ${shellQuote(status.runDir)}`,
    );
  }
  return `${lines.join("\n")}\n`;
}
