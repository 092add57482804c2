/**
 * Resume: finish a run that `train` (or a resume) left unfinished, from its run
 * directory, with the same orchestration as `train`.
 *
 * {@linkcode prepareResume} reads the run and decides, writing nothing:
 * - refuses a manifest line of a newer format, a scenario copy (`scenario.yaml`)
 *   whose SHA-256 differs from run_started's, and a scenario this version resolves
 *   differently from the recorded one ({@linkcode ResumeRefusedError});
 * - per extractor (all, or the `--only` ones): keep a finished record (success,
 *   skipped, or failed for a reason other than an interruption or a transient fault,
 *   unless `retryFailed`); continue an interrupted or cut-short one, or one stopped by
 *   a transient fault (full disk, I/O error, out of memory, a killed worker:
 *   lib/train/failures.ts), from its newest good checkpoint (its file's SHA-256 must match its checkpoint_written event and the
 *   file must pass its own checksum; else the previous one is tried, with a warning;
 *   none good: it restarts from scratch, with a warning); start the ones never
 *   started; with `retryFailed`, continue a failed one from its newest good
 *   checkpoint too, except a divergence (NaN/Inf), which is trained again from scratch;
 * - whether the run is finished (every extractor kept and a summary written after
 *   the last record): then nothing is to be done.
 *
 * {@linkcode resumeComparison} takes the run lock (exclusive; shared with `only`, so
 * several `--only` processes can share a run), reads the manifest again, appends
 * run_resumed, trains, and rewrites summary.json, summary.md, complete_results.json
 * and the figures (summary_written).
 *
 * @example Resume a run
 * ```ts
 * const resume = await prepareResume("tmp/multi_extractor_training/20261129-120000-default");
 * if (!resume.finished) console.log((await resumeComparison(resume)).outcome);
 * ```
 *
 * @module
 */
import * as nodePath from "node:path";
import { closestName } from "../config/presets.ts";
import { ConfigError, parseScenario } from "../config/mod.ts";
import { resolvedConfig } from "../config/plan.ts";
import { readInputFile } from "../internal/input_file.ts";
import { assertNoSymlinksBelow, guardDirectory, UnsafePathError } from "../internal/safe_path.ts";
import { getSuiteLogger } from "../log/logging.ts";
import type { SummarizeResult } from "../report/summarize_run.ts";
import { sha256Hex } from "../run/hash.ts";
import {
  acquireFileLock,
  isExclusivelyLocked,
  LockBusyError,
  RUN_LOCK_FILE_NAME,
  TRAINING_LOCK_FILE_NAME,
} from "../run/locks.ts";
import {
  type CheckpointWrittenEvent,
  MANIFEST_FILE_NAME,
  MANIFEST_FORMAT_VERSION,
  type ManifestContents,
  ManifestError,
  ManifestWriter,
  readManifest,
  type ResumeAction,
  type RunStartedEvent,
} from "../run/manifest.ts";
import type { ExtractorRunRecord } from "../run/models.ts";
import { extractorDirectory, resolveInside, type RunDirectory } from "../run/paths.ts";
import { type ExtractorState, type RunState, runState } from "../run/run_state.ts";
import { type Trial, trialKey } from "../run/trial.ts";
import { decodeTrainerCheckpoint } from "../rl/checkpoint.ts";
import { stableJson } from "../internal/stable_json.ts";
import { isDivergence, isTransientFailure } from "./failures.ts";
import { _resumeCommand } from "./_resume_command.ts";
import {
  type ContinueFrom,
  type EarlierSessions,
  INTERRUPTED_REASON,
  runContext,
  runWorkItems,
  type WorkItem,
  writeFinalSummary,
} from "./_orchestrate.ts";
import {
  type ComparisonOutcome,
  comparisonOutcome,
  type RunComparisonOptions,
  SCENARIO_COPY_FILE_NAME,
} from "./comparison.ts";
import {
  InvocationError,
  plannedTrials,
  type PrepareComparisonOptions,
  type PreparedComparison,
  prepareScenario,
} from "./prepare.ts";

/** Why resume refuses a run directory. */
export type ResumeRefusal =
  | "not_a_run"
  | "manifest"
  | "newer_format"
  | "config_edited"
  | "config_differs"
  | "map_changed"
  | "map_missing"
  | "busy";

/** Resume refuses to touch a run directory; nothing was changed. */
export class ResumeRefusedError extends Error {
  /** The run directory. */
  readonly runDir: string;
  /** Why. */
  readonly refusal: ResumeRefusal;

  /**
   * Create the error.
   *
   * @param message What is wrong and what to do.
   * @param options Why, and the run directory.
   */
  constructor(message: string, options: { refusal: ResumeRefusal; runDir: string }) {
    super(message);
    const { refusal, runDir } = options;
    this.name = "ResumeRefusedError";
    this.refusal = refusal;
    this.runDir = runDir;
  }
}

/** Options of {@linkcode prepareResume}. */
export interface PrepareResumeOptions {
  /**
   * `--only`: resume only these extractors (names of the run's entries); the others
   * are not touched.
   * @default null (every entry)
   */
  only?: readonly string[] | null;
  /**
   * `--seeds`: resume only the trials of these seeds (seeds of a multi-seed run).
   * @default null (every seed)
   */
  seeds?: readonly number[] | null;
  /**
   * `--retry-failed`: train again extractors that failed for a reason other than an
   * interruption or a transient fault: from their newest good checkpoint, or from
   * scratch after a divergence (NaN/Inf) or when no good checkpoint is left.
   * @default false
   */
  retryFailed?: boolean;
  /**
   * The host's hardware report; probed when omitted.
   * @default probeHardware(...)
   */
  hardware?: PrepareComparisonOptions["hardware"];
  /**
   * Options of the probe.
   * @default {}
   */
  probe?: PrepareComparisonOptions["probe"];
}

/** What resume does with one extractor (one trial of a multi-seed run). */
export interface ResumeEntry {
  /** Trial key: the entry name, or `<name>/seed_<k>` in a multi-seed run. */
  name: string;
  /** The trial. */
  trial: Trial;
  /**
   * keep: finished, left as it is; continue: from `from`; restart: from scratch (no
   * usable checkpoint); retry: a failed one again from scratch (a divergence, or no
   * good checkpoint); start: never
   * started; skip: never started and skipped on this host.
   */
  action: ResumeAction;
  /** The kept record (keep), else null. */
  record: ExtractorRunRecord | null;
  /** The checkpoint to continue from (continue), else null. */
  from: ContinueFrom | null;
  /** Earlier sessions of the attempt (continue), else null. */
  earlier: EarlierSessions | null;
}

/** A run directory read and planned for resuming. */
export interface PreparedResume {
  /** The run directory. */
  run: RunDirectory;
  /** The run's comparison, rebuilt from its scenario copy (command line and test mode of the run). */
  prepared: PreparedComparison;
  /** The `--only` selection, or null. */
  only: string[] | null;
  /** The `--seeds` selection, or null. */
  seeds: number[] | null;
  /** Whether failed extractors are trained again. */
  retryFailed: boolean;
  /** The extractors covered, in run order. */
  entries: ResumeEntry[];
  /** True when there is nothing to do (every extractor kept, summary written after the last record). */
  finished: boolean;
  /** Problems found (checkpoint fallbacks, a torn manifest line); each is also logged. */
  warnings: string[];
}

const _COMPARED_CONFIG_KEYS = [
  "run",
  "env",
  "slurm",
  "baseline",
  "extractors",
  "skipped",
  "order",
] as const;

async function _readManifest(runDir: string): Promise<ManifestContents> {
  let info: Deno.FileInfo | null = null;
  try {
    info = await Deno.stat(runDir);
  } catch (error) {
    if (
      !(error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory)
    ) {
      throw error;
    }
  }
  if (info === null || !info.isDirectory) {
    throw new ResumeRefusedError(
      info === null
        ? `${runDir} does not exist (resume needs the run directory that train created)`
        : `${runDir} is not a directory (resume needs a run directory)`,
      { refusal: "not_a_run", runDir },
    );
  }
  try {
    return await readManifest(nodePath.join(runDir, MANIFEST_FILE_NAME));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new ResumeRefusedError(
        `${runDir} has no ${MANIFEST_FILE_NAME}: it is not a run directory (a run stopped ` +
          "before it recorded run_started has nothing to resume; start it again with deno task train)",
        { refusal: "not_a_run", runDir },
      );
    }
    if (error instanceof ManifestError && error.newerFormat !== null) {
      throw new ResumeRefusedError(
        `${error.path}:${error.line}: written by a newer version of multi-extractor ` +
          `(manifest format_version ${error.newerFormat}; this version reads up to ` +
          `${MANIFEST_FORMAT_VERSION}); resume the run with that version`,
        { refusal: "newer_format", runDir },
      );
    }
    if (error instanceof ManifestError) {
      throw new ResumeRefusedError(`Cannot resume: ${error.message}`, {
        refusal: "manifest",
        runDir,
      });
    }
    throw error;
  }
}

/**
 * Refuse a run whose map file changed or went missing since run_started recorded its SHA-256:
 * the extractors would continue on another map (or fail and restart from zero).
 * @throws {ResumeRefusedError} `map_missing` or `map_changed`; nothing is changed.
 */
async function _checkMap(
  runDir: string,
  started: RunStartedEvent,
  mapPath: string | null,
): Promise<void> {
  const file = started.map_file ?? mapPath;
  if (file === null) return;
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(file);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    throw new ResumeRefusedError(
      `The run's map ${file} is missing; restore it${
        started.map_sha256 === undefined ? "" : ` (SHA-256 ${started.map_sha256})`
      } to resume; every checkpoint is kept`,
      { refusal: "map_missing", runDir },
    );
  }
  const digest = await sha256Hex(bytes);
  if (started.map_sha256 !== undefined && digest !== started.map_sha256) {
    throw new ResumeRefusedError(
      `The map ${file} changed since the run started: it has SHA-256 ${digest}, run_started ` +
        `recorded ${started.map_sha256}; restore the file to resume, or start a new run with ` +
        "deno task train --config <file>",
      { refusal: "map_changed", runDir },
    );
  }
}

/** Check the scenario copy and rebuild the run's comparison from it. */
async function _rebuildComparison(
  runDir: string,
  started: RunStartedEvent,
  options: PrepareResumeOptions,
): Promise<PreparedComparison> {
  const copy = nodePath.join(runDir, SCENARIO_COPY_FILE_NAME);
  let bytes: Uint8Array;
  try {
    bytes = await readInputFile(copy, { kind: "scenario", nativeNotFound: true });
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    throw new ResumeRefusedError(
      `The scenario copy ${copy} is missing; the run cannot be resumed without it`,
      { refusal: "config_edited", runDir },
    );
  }
  const digest = await sha256Hex(bytes);
  if (digest !== started.config_sha256) {
    throw new ResumeRefusedError(
      `The scenario was edited since the run started: ${copy} has SHA-256 ${digest}, ` +
        `run_started recorded ${started.config_sha256}; restore the file to resume, or start ` +
        "a new run with deno task train --config <file>",
      { refusal: "config_edited", runDir },
    );
  }
  let scenario;
  try {
    scenario = await parseScenario(new TextDecoder().decode(bytes), { file: started.config_file });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new ResumeRefusedError(
      `This version of multi-extractor cannot read the run's scenario (${copy}): ` +
        `${error.message}; resume the run with the version that started it`,
      { refusal: "config_differs", runDir },
    );
  }
  const config = started.config as Record<string, unknown> & {
    run?: { run_id?: string; seeds?: number[] };
    order?: string[];
    test_mode?: boolean;
    notes?: string[];
  };
  const all = scenario.entries.map((e) => e.status === "ready" ? e.profile.name : e.skipped.name);
  const order = Array.isArray(config.order) ? config.order : all;
  const prepared = await prepareScenario(scenario, {
    runId: config.run?.run_id ?? null,
    only: stableJson(order) === stableJson(all) ? null : order,
    testMode: config.test_mode === true,
    seeds: Array.isArray(config.run?.seeds) ? config.run.seeds : null,
    now: new Date(started.time),
    outputRoot: nodePath.dirname(runDir),
    hardware: options.hardware,
    probe: options.probe,
  });
  const resolved = resolvedConfig(prepared.scenario);
  const differ = _COMPARED_CONFIG_KEYS.filter((key) =>
    key in config && stableJson(resolved[key]) !== stableJson(config[key])
  );
  if (differ.length > 0) {
    throw new ResumeRefusedError(
      `This version of multi-extractor resolves the run's scenario differently from the ` +
        `version that started it (${differ.join(", ")} differ); resume the run with that version`,
      { refusal: "config_differs", runDir },
    );
  }
  prepared.plan.run_directory = runDir;
  if (Array.isArray(config.notes)) {
    prepared.notes = config.notes.filter((n) => typeof n === "string");
  }
  return prepared;
}

/**
 * Why a checkpoint cannot be continued from, or null when it can: the file must be
 * inside the run, exist, have the SHA-256 of its checkpoint_written event and pass
 * its own checksum and layout checks.
 */
async function _checkpointProblem(
  runDir: string,
  event: CheckpointWrittenEvent,
): Promise<string | null> {
  let path: string;
  try {
    path = resolveInside(runDir, event.path);
  } catch {
    return "lies outside the run directory";
  }
  let bytes: Uint8Array;
  try {
    bytes = await readInputFile(path, { kind: "checkpoint", nativeNotFound: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "is missing";
    if (error instanceof UnsafePathError) throw error;
    return `cannot be read (${(error as Error).message})`;
  }
  const digest = await sha256Hex(bytes);
  if (digest !== event.sha256) {
    return `does not match the SHA-256 of its checkpoint_written event (file ${
      digest.slice(0, 12)
    }..., manifest ${event.sha256.slice(0, 12)}...)`;
  }
  try {
    await decodeTrainerCheckpoint(bytes, path);
  } catch (error) {
    return `is unusable: ${(error as Error).message}`;
  }
  return null;
}

/** Continue from the newest good checkpoint, or restart (warnings say why). */
async function _continueOrRestart(
  runDir: string,
  state: ExtractorState,
  warnings: string[],
): Promise<Pick<ResumeEntry, "action" | "from" | "earlier">> {
  const candidates = [...state.checkpoints].reverse();
  for (const [index, event] of candidates.entries()) {
    const problem = await _checkpointProblem(runDir, event);
    if (problem === null) {
      return {
        action: "continue",
        from: { checkpoint: event.path, step: event.step },
        earlier: state.attemptStartedAt === null
          ? null
          : { startedAt: state.attemptStartedAt, seconds: state.sessionSeconds },
      };
    }
    warnings.push(
      `${state.name}: checkpoint ${event.path} ${problem}; ` +
        (index + 1 < candidates.length
          ? "falling back to the previous checkpoint"
          : "no good checkpoint is left, so it restarts from scratch"),
    );
  }
  return { action: "restart", from: null, earlier: null };
}

/** The plan of a resume from a reading of the manifest. */
async function _planEntries(
  runDir: string,
  state: RunState,
  prepared: PreparedComparison,
  options: {
    only: readonly string[] | null;
    seeds: readonly number[] | null;
    retryFailed: boolean;
    warnings: string[];
  },
): Promise<{ entries: ResumeEntry[]; finished: boolean }> {
  const entries: ResumeEntry[] = [];
  let lastRecordIndex = -1;
  let leftOut = false;
  for (const { planned, trial } of plannedTrials(prepared)) {
    if (options.only !== null && !options.only.includes(planned.name)) continue;
    if (options.seeds !== null && !options.seeds.includes(trial.seed as number)) continue;
    const key = trialKey(trial);
    const s = state.extractors.get(key);
    const base = { name: key, trial, record: null, from: null, earlier: null };
    let retry = false;
    if (s?.phase === "finished" && s.record !== null) {
      const { record } = s;
      const reason = record.reason ?? "";
      const failed = record.status === "failed";
      // Interrupted, or stopped by a transient fault (full disk, I/O error, out of
      // memory, a killed worker): continued from the newest good checkpoint.
      const resumable = failed && (reason === INTERRUPTED_REASON || isTransientFailure(reason));
      retry = failed && !resumable && options.retryFailed;
      if (!resumable && !retry) {
        entries.push({ ...base, action: "keep", record });
        lastRecordIndex = Math.max(lastRecordIndex, s.finishedIndex);
        continue;
      }
      if (retry && (planned.action === "skip" || isDivergence(reason))) {
        // A divergence's checkpoints lead back to it: train again from scratch.
        entries.push({ ...base, action: planned.action === "skip" ? "skip" : "retry" });
        continue;
      }
    }
    const begun = s !== undefined && s.phase !== "not_started";
    if (planned.action === "skip" && begun) {
      leftOut = true;
      // Started on a host that could train it (e.g. with CUDA): its progress is kept
      // for such a host rather than replaced by a skip.
      options.warnings.push(
        `${key}: left as it is: ${planned.reason ?? "it cannot run on this host"}` +
          (planned.hint ? ` (hint: ${planned.hint})` : ""),
      );
    } else if (planned.action === "skip") {
      entries.push({ ...base, action: "skip" });
    } else if (!begun) {
      entries.push({ ...base, action: "start" });
    } else {
      if (await isExclusivelyLocked(_trainingLock(runDir, trial))) {
        throw new ResumeRefusedError(
          `Extractor ${key} of ${runDir} is being trained by another process; ` +
            "wait for it to finish, or stop it, then resume",
          { refusal: "busy", runDir },
        );
      }
      const plan = await _continueOrRestart(runDir, s, options.warnings);
      entries.push({
        ...base,
        ...plan,
        action: retry && plan.action === "restart" ? "retry" : plan.action,
      });
    }
  }
  const finished = !leftOut && entries.every((entry) => entry.action === "keep") &&
    state.lastSummaryIndex > lastRecordIndex;
  return { entries, finished };
}

function _trainingLock(runDir: string, trial: Trial): string {
  return nodePath.join(
    extractorDirectory(runDir, trial.extractor, trial.seed),
    TRAINING_LOCK_FILE_NAME,
  );
}

function _checkSeeds(
  seeds: readonly number[] | null,
  runSeeds: readonly number[] | null,
): number[] | null {
  if (seeds === null) return null;
  if (runSeeds === null) {
    throw new InvocationError(
      "--seeds",
      "this run has a single seed (run.seed); leave --seeds out",
    );
  }
  const wanted = [...new Set(seeds)];
  if (wanted.length === 0) throw new InvocationError("--seeds", "no seed given");
  for (const seed of wanted) {
    if (!runSeeds.includes(seed)) {
      throw new InvocationError(
        "--seeds",
        `${seed} is no trial seed of this run (seeds: ${runSeeds.join(", ")})`,
      );
    }
  }
  return runSeeds.filter((seed) => wanted.includes(seed));
}

function _checkOnly(only: readonly string[] | null, names: readonly string[]): string[] | null {
  if (only === null) return null;
  const wanted = [...new Set(only.map((name) => name.trim()).filter((name) => name !== ""))];
  if (wanted.length === 0) throw new InvocationError("--only", "no extractor name given");
  for (const name of wanted) {
    if (!names.includes(name)) {
      const close = closestName(name, names);
      throw new InvocationError(
        "--only",
        `"${name}" names no extractor of this run` +
          (close !== null ? ` (did you mean "${close}"?)` : ` (extractors: ${names.join(", ")})`),
      );
    }
  }
  return names.filter((name) => wanted.includes(name));
}

/**
 * Read a run directory and decide what resuming it does (see the module
 * description). Writes nothing; probes the host's hardware unless a report is given.
 *
 * @param runDir The run directory.
 * @param options `--only`, `--retry-failed`, hardware.
 * @returns The plan, and whether the run is finished.
 * @throws {ResumeRefusedError} When the directory is no run, its manifest is corrupt
 * or from a newer format, its scenario copy was edited or resolves differently, or
 * another process trains an extractor to be continued.
 * @throws {InvocationError} When an `--only` name is no extractor of the run.
 */
export async function prepareResume(
  runDir: string,
  options: PrepareResumeOptions = {},
): Promise<PreparedResume> {
  const dir = nodePath.resolve(runDir);
  guardDirectory(dir);
  const manifest = await _readManifest(dir);
  await assertNoSymlinksBelow(dir);
  const warnings: string[] = [];
  if (manifest.torn !== null) {
    warnings.push(
      `${MANIFEST_FILE_NAME} line ${manifest.torn.line} was cut short by a crash ` +
        `(${manifest.torn.bytes} bytes); it is ignored and removed on resume`,
    );
  }
  const state = runState(manifest.events);
  if (state.started === null) {
    throw new ResumeRefusedError(
      `${dir}: ${MANIFEST_FILE_NAME} has no run_started event; there is nothing to resume`,
      { refusal: "not_a_run", runDir: dir },
    );
  }
  const prepared = await _rebuildComparison(dir, state.started, options);
  await _checkMap(dir, state.started, prepared.scenario.settings.env.map_path);
  const only = _checkOnly(options.only ?? null, prepared.plan.extractors.map((e) => e.name));
  const seeds = _checkSeeds(options.seeds ?? null, prepared.seeds);
  const retryFailed = options.retryFailed ?? false;
  const { entries, finished } = await _planEntries(dir, state, prepared, {
    only,
    seeds,
    retryFailed,
    warnings,
  });
  const name = nodePath.basename(dir);
  return {
    run: { path: dir, name, timestamp: name.slice(0, 15) },
    prepared,
    only,
    seeds,
    retryFailed,
    entries,
    finished,
    warnings,
  };
}

/** What {@linkcode resumeComparison} did. */
export interface ResumeResult {
  /** The run directory. */
  run: RunDirectory;
  /** Records of the extractors covered, in run order (kept ones included). */
  records: ExtractorRunRecord[];
  /** Records written by this resume. */
  written: ExtractorRunRecord[];
  /** The final summary, or null when the run turned out to be finished. */
  summary: SummarizeResult | null;
  /**
   * finished: nothing to do; otherwise as train's, over the records written here:
   * completed, failed (one failed), interrupted.
   */
  outcome: ComparisonOutcome | "finished";
  /** Command that resumes the run again when interrupted, else null. */
  resumeCommand: string | null;
  /** The plan followed (after the manifest was read again under the run lock). */
  entries: ResumeEntry[];
  /** Warnings of that reading. */
  warnings: string[];
}

function _workItem(entry: ResumeEntry, prepared: PreparedComparison): WorkItem {
  if (entry.action === "keep") return { kind: "keep", record: entry.record as ExtractorRunRecord };
  const { trial } = entry;
  const planned = prepared.plan.extractors.find((e) => e.name === trial.extractor);
  const profile = prepared.scenario.extractors.find((p) => p.name === trial.extractor);
  if (entry.action === "skip" || profile === undefined) {
    return { kind: "skip", planned: planned!, trial };
  }
  return { kind: "train", profile, trial, from: entry.from, earlier: entry.earlier };
}

/**
 * Resume a prepared run: take the run lock (exclusive, or shared when the resume is
 * limited with `only`), read the manifest again and plan anew (another process may
 * have moved on), remove a torn last manifest line, append run_resumed, then keep,
 * skip or train each extractor in run order as `train` does (training locks,
 * summaries after each one), and write the final summary (summary_written).
 *
 * @param resume The plan from prepareResume().
 * @param options Trainer, signal, callbacks, figures (as runComparison's);
 * `onRunCreated` is called once the run is locked, before anything is written.
 * @returns What was done.
 * @throws {ResumeRefusedError} When another process holds the run (or an extractor to
 * continue), or the run changed into one that is refused.
 * @throws {Error} When the manifest or the final summary cannot be written.
 */
export async function resumeComparison(
  resume: PreparedResume,
  options: RunComparisonOptions = {},
): Promise<ResumeResult> {
  const logger = getSuiteLogger("train");
  const { run, prepared, only, seeds } = resume;
  const limited = only !== null || seeds !== null;
  let lock;
  try {
    lock = await acquireFileLock(nodePath.join(run.path, RUN_LOCK_FILE_NAME), {
      exclusive: !limited,
    });
  } catch (error) {
    if (!(error instanceof LockBusyError)) throw error;
    throw new ResumeRefusedError(
      `Another process is working on ${run.path} (` +
        (!limited
          ? "train, or another resume of this run"
          : "train, or a resume of the whole run") +
        "); wait for it to finish, or stop it, then resume",
      { refusal: "busy", runDir: run.path },
    );
  }
  try {
    const warnings: string[] = [];
    const manifestContents = await _readManifest(run.path);
    const state = runState(manifestContents.events);
    const { entries, finished } = await _planEntries(run.path, state, prepared, {
      only,
      seeds,
      retryFailed: resume.retryFailed,
      warnings,
    });
    if (finished) {
      return {
        run,
        records: entries.map((e) => e.record as ExtractorRunRecord),
        written: [],
        summary: null,
        outcome: "finished",
        resumeCommand: null,
        entries,
        warnings,
      };
    }
    await options.onRunCreated?.(run);
    const manifest = await ManifestWriter.open(nodePath.join(run.path, MANIFEST_FILE_NAME), {
      create: false,
    });
    try {
      if (manifest.repair?.action === "removed") {
        logger.warn("Removed a line of {bytes} bytes that a crash cut short from {path}", {
          bytes: manifest.repair.bytes,
          path: manifest.path,
        });
      }
      for (const warning of warnings) logger.warn("{warning}", { warning });
      await manifest.append({
        event: "run_resumed",
        hardware: prepared.hardware.profile,
        actions: Object.fromEntries(entries.map((e) => [e.name, e.action])),
        ...(only === null ? {} : { only: [...only] }),
        argv: options.argv,
      });
      logger.info("Resuming {path}: {plan}", {
        path: run.path,
        plan: entries.map((e) => `${e.name} ${e.action}`).join(", "),
      });
      const context = runContext(prepared, options, run, manifest);
      const items = entries.map((entry) => _workItem(entry, prepared));
      const outcome = await runWorkItems(context, items);
      const resumeCommand = outcome.interrupted ? _resumeCommand(run.path, only, seeds) : null;
      const summary = await writeFinalSummary(context, resumeCommand);
      return {
        run,
        records: outcome.records,
        written: outcome.written,
        summary,
        outcome: comparisonOutcome(outcome.written, outcome.interrupted),
        resumeCommand,
        entries,
        warnings,
      };
    } finally {
      manifest.close();
    }
  } finally {
    await lock.release({ remove: true });
  }
}
