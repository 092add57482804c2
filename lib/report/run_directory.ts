/**
 * Read a run directory: what the manifest, the per-extractor metrics.json and
 * eval_history.jsonl files and the training locks say about each extractor, as the
 * records, histories and notes a summary is built from.
 *
 * @module
 */
import * as nodePath from "node:path";
import { assertNoSymlinksBelow, guardDirectory } from "../internal/safe_path.ts";
import {
  EVAL_HISTORY_FILE_NAME,
  type EvaluationPoint,
  METRICS_FILE_NAME,
  readEvalHistory,
  readMetricsFile,
} from "../run/artifacts.ts";
import { stableJson } from "../internal/stable_json.ts";
import { isExclusivelyLocked, TRAINING_LOCK_FILE_NAME } from "../run/locks.ts";
import {
  MANIFEST_FILE_NAME,
  type ManifestContents,
  readManifest,
  type RunStartedEvent,
} from "../run/manifest.ts";
import { runState } from "../run/run_state.ts";
import {
  createFailedRecord,
  createSkippedRecord,
  type ExtractorRunRecord,
  type HardwareProfile,
  type WorkerMode,
} from "../run/models.ts";
import { EXTRACTORS_DIR_NAME, normalizeName, resolveInside } from "../run/paths.ts";
import { type Trial, trialKey } from "../run/trial.ts";
import { isMultiSeed, trialSeeds } from "../config/trials.ts";
import type { LegacyRunSettings } from "./legacy.ts";

/** A directory that is not a readable run directory. */
export class RunDirectoryError extends Error {
  /** The directory. */
  readonly directory: string;

  /**
   * Create the error; the message is prefixed with the directory.
   *
   * @param message What is wrong.
   * @param directory The directory.
   */
  constructor(message: string, directory: string) {
    super(`${directory}: ${message}`);
    this.name = "RunDirectoryError";
    this.directory = directory;
  }
}

/** Reason of the record of an extractor another process was training when the summary was read. */
export const IN_PROGRESS_REASON: string =
  "In progress: another process was training this extractor when this summary was written; " +
  "the summary is rewritten when it finishes";

/** Reason of the record of an extractor that started but has no final record and no process training it. */
export const CUT_SHORT_REASON =
  "Interrupted: the extractor started but never finished; resume the run to finish it";

/**
 * What the manifest tells of an extractor cut short (started, no final record): its
 * evaluation metrics as the trainer names them (best_mean_reward is the best
 * evaluation's mean reward, as SB3's EvalCallback keeps it; the others are the last
 * evaluation's) and the steps reached (last evaluation or checkpoint).
 */
function _cutShortProgress(
  history: readonly EvaluationPoint[],
  checkpointStep: number,
): { metrics: Record<string, number> | undefined; steps: number } {
  const last = history.at(-1);
  const steps = Math.max(checkpointStep, last?.timestep ?? 0);
  if (last === undefined) return { metrics: undefined, steps };
  const metrics: Record<string, number> = {
    best_mean_reward: Math.max(...history.map((point) => point.mean_reward)),
    last_mean_reward: last.mean_reward,
    last_std_reward: last.std_reward,
    evaluations: history.length,
  };
  if (typeof last.mean_ep_length === "number") metrics.mean_ep_length = last.mean_ep_length;
  if (typeof last.success_rate === "number") metrics.success_rate = last.success_rate;
  for (const [key, value] of Object.entries(metrics)) {
    if (!Number.isFinite(value)) delete metrics[key];
  }
  return { metrics, steps };
}

/** Metric keys the analysis writes; stripped before re-analysis so none goes stale. */
export const ANALYSIS_METRIC_KEYS: readonly string[] = Object.freeze([
  "convergence_timestep",
  "convergence_reached",
  "baseline_target_reward",
  "sample_efficiency_timestep",
  "sample_efficiency_ratio",
  "baseline_target_reached",
  "delta_best_reward_vs_baseline",
]);

/** What a run directory holds. */
export interface RunContents {
  /** Absolute run directory. */
  directory: string;
  /** Its name. */
  name: string;
  /** The first run_started event. */
  started: RunStartedEvent;
  /** One record per trial (scenario entry, and seed in a multi-seed run), in run order (interrupted ones marked). */
  records: ExtractorRunRecord[];
  /** The trial of each record (same order). */
  trials: Trial[];
  /** Evaluation history per trial key (the extractor name in a single-seed run). */
  histories: Map<string, EvaluationPoint[]>;
  /** Environment steps of one rollout (n_steps x envs), or null when the config lacks it. */
  rolloutSteps: number | null;
  /** run.total_timesteps. */
  totalTimesteps: number;
  /** run.seed (the seed of every trial of a single-seed run). */
  seed: number;
  /** Preset per extractor name. */
  presets: Record<string, string>;
  /** Distinct host profiles of the run. */
  hardware: HardwareProfile[];
  /** Baseline from the resolved scenario. */
  baseline: string | null;
  /** convergence_fraction from the resolved scenario. */
  convergenceFraction: number;
  /** Settings the legacy file repeats. */
  legacySettings: LegacyRunSettings;
  /** The run's own notes (run_started.config.notes), then problems found while reading (torn lines, unreadable files, interruptions). */
  notes: string[];
}

interface _Config {
  run: {
    worker_mode: WorkerMode;
    num_envs: number;
    seed: number;
    seeds?: number[];
    num_seeds?: number;
    ppo?: { n_steps?: number };
    total_timesteps: number;
    n_eval_episodes: number;
    device: string;
    convergence_fraction: number;
  };
  env: { difficulty: number; ped_density_by_difficulty: number[] };
  baseline: string | null;
  extractors: { name: string; preset: string; directory_name: string }[];
  skipped?: { name: string; reason: string }[];
  order?: string[];
  notes?: string[];
}

/** Hardware profiles without repeats (same content, whatever the key order). */
export function _distinct(profiles: readonly HardwareProfile[]): HardwareProfile[] {
  const seen = new Map<string, HardwareProfile>();
  for (const profile of profiles) seen.set(stableJson(profile), profile);
  return [...seen.values()];
}

/** Whether a path exists. */
export async function _exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** Whether the training lock of an extractor directory (relative to the run) is held. */
async function _trainingLocked(runDir: string, directory: string): Promise<boolean> {
  if (directory === "") return false;
  try {
    return await isExclusivelyLocked(
      nodePath.join(resolveInside(runDir, directory), TRAINING_LOCK_FILE_NAME),
    );
  } catch {
    return false;
  }
}

/** Extractor directories (relative to the run, e.g. `extractors/mlp_small`) whose training lock is held. */
async function _lockedExtractorDirs(runDir: string): Promise<Set<string>> {
  const locked = new Set<string>();
  try {
    for await (const entry of Deno.readDir(nodePath.join(runDir, EXTRACTORS_DIR_NAME))) {
      if (!entry.isDirectory) continue;
      const directory = `${EXTRACTORS_DIR_NAME}/${entry.name}`;
      if (await _trainingLocked(runDir, directory)) locked.add(directory);
      // Trials of a multi-seed run: extractors/<name>/seed_<k>.
      for await (const inner of Deno.readDir(nodePath.join(runDir, directory))) {
        const trialDir = `${directory}/${inner.name}`;
        if (
          inner.isDirectory && /^seed_\d+$/.test(inner.name) &&
          await _trainingLocked(runDir, trialDir)
        ) {
          locked.add(trialDir);
        }
      }
    }
  } catch {
    // no extractors/ yet
  }
  return locked;
}

function _seeds(run: _Config["run"]): number[] {
  try {
    return trialSeeds(run);
  } catch {
    return [run.seed];
  }
}

function _rolloutSteps(config: _Config): number | null {
  const nSteps = config.run.ppo?.n_steps;
  if (typeof nSteps !== "number") return null;
  return nSteps * (config.run.worker_mode === "vectorized" ? config.run.num_envs : 1);
}

/**
 * Read a run directory: manifest events (through runState: the last record of each
 * extractor's current attempt), the records of finished extractors (with
 * metrics.json merged over the recorded metrics), skipped records with
 * {@linkcode IN_PROGRESS_REASON} for extractors another process is training (their
 * training lock is held), failed records for extractors that started but never
 * finished, skipped records for entries the run never reached, and evaluation
 * histories (eval_history.jsonl, else the current attempt's evaluation_done events).
 * Writes nothing.
 *
 * @param directory Run directory.
 * @returns Its contents.
 * @throws {RunDirectoryError} When there is no manifest, no run_started event, or a
 * complete manifest line is invalid.
 */
export async function readRunDirectory(directory: string): Promise<RunContents> {
  const runDir = nodePath.resolve(directory);
  guardDirectory(runDir);
  await assertNoSymlinksBelow(runDir);
  const notes: string[] = [];
  // Extractors being trained are seen through their training locks. The locks are
  // probed before the manifest is read and again after it: a process takes its lock
  // before its extractor_started and appends its extractor_finished before releasing
  // it, so an extractor read as started and unfinished whose lock is free at both
  // probes was cut short.
  const lockedBefore = await _lockedExtractorDirs(runDir);
  let manifest: ManifestContents;
  try {
    manifest = await readManifest(nodePath.join(runDir, MANIFEST_FILE_NAME));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new RunDirectoryError(`no ${MANIFEST_FILE_NAME}; not a run directory`, runDir);
    }
    throw new RunDirectoryError((error as Error).message, runDir);
  }
  if (manifest.torn !== null) {
    notes.push(
      `${MANIFEST_FILE_NAME} line ${manifest.torn.line} was cut short (${manifest.torn.bytes} bytes) and was skipped`,
    );
  }
  const state = runState(manifest.events);
  if (state.started === null) {
    throw new RunDirectoryError(`${MANIFEST_FILE_NAME} has no run_started event`, runDir);
  }
  const started: RunStartedEvent = state.started;
  const startedEvents = [
    started,
    ...manifest.events.filter((e): e is RunStartedEvent =>
      e.event === "run_started" && e !== started
    ),
  ];
  const config = started.config as unknown as _Config;
  if (Array.isArray(config.notes)) {
    notes.push(...config.notes.filter((note): note is string => typeof note === "string"));
  }
  const workerMode = config.run.worker_mode;

  const finished = new Map<string, ExtractorRunRecord>();
  const startedAt = new Map<string, string>();
  const evaluations = new Map<string, EvaluationPoint[]>();
  const running = new Set<string>();
  for (const extractor of state.extractors.values()) {
    if (extractor.phase === "finished" && extractor.record !== null) {
      finished.set(extractor.name, extractor.record);
    }
    if (extractor.phase === "in_progress") {
      startedAt.set(extractor.name, extractor.attemptStartedAt as string);
      const dir = extractor.directory ?? "";
      if (lockedBefore.has(dir) || await _trainingLocked(runDir, dir)) running.add(extractor.name);
    }
    const list = extractor.evaluations.map((event) => {
      const { timestep, mean_reward, std_reward, n_episodes, mean_ep_length, success_rate } = event;
      return JSON.parse(
        JSON.stringify({
          timestep,
          mean_reward,
          std_reward,
          n_episodes,
          mean_ep_length,
          success_rate,
        }),
      ) as EvaluationPoint;
    });
    if (list.length > 0) evaluations.set(extractor.name, list);
  }

  const presets: Record<string, string> = {};
  const directories = new Map<string, string>();
  for (const profile of config.extractors ?? []) {
    presets[profile.name] = profile.preset;
    directories.set(profile.name, profile.directory_name);
  }
  const names = config.order ?? [
    ...new Set([...state.extractors.values()].map((extractor) => extractor.extractor)),
  ];
  const seeds: (number | null)[] = isMultiSeed(config.run) ? _seeds(config.run) : [null];
  const trialOf = new Map<string, Trial>();
  for (const seed of seeds) {
    for (const extractor of names) {
      const trial = { extractor, seed };
      trialOf.set(trialKey(trial), trial);
    }
  }
  for (const extractor of state.extractors.values()) {
    if (!trialOf.has(extractor.name)) {
      trialOf.set(extractor.name, { extractor: extractor.extractor, seed: extractor.seed });
    }
  }
  const order = [...trialOf.keys()];

  const records: ExtractorRunRecord[] = [];
  const trials: Trial[] = [];
  const histories = new Map<string, EvaluationPoint[]>();
  const lastTime = manifest.events[manifest.events.length - 1].time;
  for (const name of order) {
    const trial = trialOf.get(name)!;
    const extractor = trial.extractor;
    let record = finished.get(name);
    if (record === undefined && running.has(name)) {
      record = createSkippedRecord(extractor, IN_PROGRESS_REASON, {
        workerMode,
        startTime: new Date(startedAt.get(name) as string),
        hardwareProfile: started.hardware,
      });
      notes.push(`${name}: still training in another process`);
    } else if (record === undefined && startedAt.has(name)) {
      const reached = _cutShortProgress(
        evaluations.get(name) ?? [],
        state.extractors.get(name)?.checkpoints.at(-1)?.step ?? 0,
      );
      record = createFailedRecord(extractor, CUT_SHORT_REASON, {
        workerMode,
        startTime: new Date(startedAt.get(name) as string),
        endTime: new Date(lastTime),
        hardwareProfile: started.hardware,
        metrics: reached.metrics,
        trainingSteps: reached.steps,
      });
      notes.push(`${name}: started but never finished (interrupted run)`);
    }
    const invalid = (config.skipped ?? []).find((entry) => entry.name === extractor);
    if (record === undefined && invalid !== undefined) {
      record = createSkippedRecord(extractor, `Invalid config entry: ${invalid.reason}`, {
        workerMode,
        startTime: new Date(started.time),
        hardwareProfile: started.hardware,
      });
    }
    if (record === undefined) {
      record = createSkippedRecord(
        extractor,
        "Not started: the run ended before this extractor; resume the run to train it",
        {
          workerMode,
          startTime: new Date(lastTime),
          hardwareProfile: started.hardware,
        },
      );
      notes.push(`${name}: never started`);
    }
    record = structuredClone(record);
    if (trial.seed !== null && typeof record.metrics?.seed !== "number") {
      // Records made here (never started, cut short) carry their trial's seed like the others.
      record.metrics = { ...record.metrics, seed: trial.seed };
    }
    let extractorDir: string | null = null;
    try {
      extractorDir = resolveInside(
        runDir,
        record.artifacts?.extractor_dir ??
          nodePath.join(
            EXTRACTORS_DIR_NAME,
            directories.get(extractor) ?? normalizeName(extractor),
            ...(trial.seed === null ? [] : [`seed_${trial.seed}`]),
          ),
      );
    } catch (error) {
      notes.push(`${name}: ${(error as Error).message}`);
    }
    if (extractorDir !== null && record.status === "success") {
      const metricsPath = nodePath.join(extractorDir, METRICS_FILE_NAME);
      if (await _exists(metricsPath)) {
        try {
          record.metrics = { ...record.metrics, ...(await readMetricsFile(metricsPath)) };
        } catch (error) {
          notes.push(
            `${name}: ${METRICS_FILE_NAME} unreadable (${
              (error as Error).message
            }); using the manifest's metrics`,
          );
        }
      }
    }
    if (record.metrics !== undefined) {
      for (const key of ANALYSIS_METRIC_KEYS) delete record.metrics[key];
    }
    let history = evaluations.get(name) ?? [];
    if (extractorDir !== null) {
      const historyPath = nodePath.join(extractorDir, EVAL_HISTORY_FILE_NAME);
      if (await _exists(historyPath)) {
        try {
          const contents = await readEvalHistory(historyPath);
          history = contents.points;
          if (contents.tornLine !== null) {
            notes.push(
              `${name}: ${EVAL_HISTORY_FILE_NAME} line ${contents.tornLine} was cut short and was skipped`,
            );
          }
        } catch (error) {
          notes.push(`${name}: ${(error as Error).message}; using the manifest's evaluations`);
        }
      }
    }
    if (history.length > 0) histories.set(name, history);
    records.push(record);
    trials.push(trial);
  }
  if (records.length === 0) {
    throw new RunDirectoryError("the manifest records no extractor", runDir);
  }

  const hardware = _distinct([
    ...startedEvents.map((event) => event.hardware),
    ...state.resumes.map((event) => event.hardware),
    ...records.flatMap((record) => record.hardware_profile ? [record.hardware_profile] : []),
  ]);
  return {
    directory: runDir,
    name: nodePath.basename(runDir),
    started,
    records,
    trials,
    histories,
    rolloutSteps: _rolloutSteps(config),
    totalTimesteps: config.run.total_timesteps,
    seed: config.run.seed,
    presets,
    hardware,
    baseline: config.baseline ?? null,
    convergenceFraction: config.run.convergence_fraction,
    legacySettings: {
      worker_mode: config.run.worker_mode,
      num_envs: config.run.num_envs,
      total_timesteps: config.run.total_timesteps,
      n_eval_episodes: config.run.n_eval_episodes,
      device: config.run.device,
      difficulty: config.env.difficulty,
      ped_densities: config.env.ped_density_by_difficulty,
    },
    notes,
  };
}
