/**
 * Rebuild the summary files of a run from what the run left on disk (manifest.jsonl,
 * per-extractor metrics.json and eval_history.jsonl), and merge several runs, e.g.
 * from different hosts, into one comparison.
 *
 * @module
 */
import * as nodePath from "node:path";
import { closestName } from "../config/presets.ts";
import { assertNoSymlinksBelow, guardDirectory } from "../internal/safe_path.ts";
import {
  EVAL_HISTORY_FILE_NAME,
  type EvaluationPoint,
  METRICS_FILE_NAME,
  readEvalHistory,
  readMetricsFile,
} from "../run/artifacts.ts";
import { removeStaleTempFiles } from "../internal/atomic_write.ts";
import { stableJson } from "../internal/stable_json.ts";
import {
  isExclusivelyLocked,
  SUMMARY_LOCK_FILE_NAME,
  TRAINING_LOCK_FILE_NAME,
  withFileLock,
} from "../run/locks.ts";
import {
  MANIFEST_FILE_NAME,
  type ManifestContents,
  ManifestWriter,
  readManifest,
  type RunStartedEvent,
} from "../run/manifest.ts";
import { runState } from "../run/run_state.ts";
import {
  createFailedRecord,
  createSkippedRecord,
  type ExtractorRunRecord,
  type HardwareProfile,
  type TrainingRunSummary,
  type WorkerMode,
} from "../run/models.ts";
import { EXTRACTORS_DIR_NAME, normalizeName, resolveInside } from "../run/paths.ts";
import { type Trial, trialKey } from "../run/trial.ts";
import { isMultiSeed, trialSeeds } from "../config/trials.ts";
import { aggregateMetrics, analyzeComparison } from "./analysis.ts";
import { buildComparison, type Comparison } from "./comparison.ts";
import {
  summaryFigures,
  withFigureArtifacts,
  writeComparisonFigures,
  type WriteFiguresOptions,
} from "./figures.ts";
import type { LegacyRunSettings } from "./legacy.ts";
import type { SummaryFigures } from "./markdown.ts";
import { buildTrainingSummary, type SummaryFiles, writeSummaryFiles } from "./summary.ts";
import { heldOutEpisodeLinks, navigationSection, readBaselines } from "./navigation.ts";

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

function _distinct(profiles: readonly HardwareProfile[]): HardwareProfile[] {
  const seen = new Map<string, HardwareProfile>();
  for (const profile of profiles) seen.set(stableJson(profile), profile);
  return [...seen.values()];
}

async function _exists(path: string): Promise<boolean> {
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

/** Result of {@linkcode summarizeRun} and {@linkcode mergeRuns}. */
export interface SummarizeResult {
  /** The summary written. */
  summary: TrainingRunSummary;
  /** The statistical comparison written to comparison.json. */
  comparison: Comparison;
  /** Paths of the written files. */
  files: SummaryFiles;
  /** Figures linked from summary.md (paths relative to its directory) and their notes. */
  figures: SummaryFigures;
}

/** How summaries draw their figures: options, or false for none. */
export type SummaryFigureOptions = WriteFiguresOptions | false;

/**
 * Write the figures into `outDir/figures/` and put each extractor's own figure into its
 * record's artifacts. A rendering failure never stops the summary: it becomes a note.
 */
async function _figures(
  outDir: string,
  outputRoot: string,
  trials: _AnalysedTrials,
  histories: ReadonlyMap<string, readonly EvaluationPoint[]>,
  comparison: Comparison,
  options: SummaryFigureOptions | undefined,
): Promise<{ records: ExtractorRunRecord[]; figures: SummaryFigures }> {
  const named = (records: readonly ExtractorRunRecord[]) =>
    records.map((record, i) => ({ ...record, config_name: trials.extractors[i] }));
  if (options === false) {
    return { records: named(trials.labelled), figures: { links: [], notes: [] } };
  }
  try {
    const result = await writeComparisonFigures(outDir, {
      records: trials.labelled,
      histories,
      extractorOf: new Map(trials.labelled.map((r, i) => [r.config_name, trials.extractors[i]])),
      comparison,
    }, options ?? {});
    return {
      records: named(withFigureArtifacts(trials.labelled, result, outputRoot)),
      figures: summaryFigures(result, outDir),
    };
  } catch (error) {
    return {
      records: named(trials.labelled),
      figures: { links: [], notes: [`Figures not written: ${(error as Error).message}`] },
    };
  }
}

/** Records analysed per trial: named by trial label for the analysis and figures. */
interface _AnalysedTrials {
  /** Record copies named by label, with the analysis metrics. */
  labelled: ExtractorRunRecord[];
  /** The extractor of each record. */
  extractors: string[];
  /** Aggregate metrics. */
  aggregate: Record<string, number>;
  /** Notes of the analysis. */
  notes: string[];
}

/**
 * Convergence and sample-efficiency analysis of trials. Records are named by their
 * label (histories are keyed by it); trials with a seed are analysed seed by seed,
 * each against the baseline extractor's trial of the same seed, and the aggregates
 * are taken over all of them (without the baseline's own figures, which differ by seed).
 */
function _analyzeTrials(
  records: readonly ExtractorRunRecord[],
  labels: readonly string[],
  seeds: readonly (number | null)[],
  histories: ReadonlyMap<string, readonly EvaluationPoint[]>,
  baseline: string | null,
  convergenceFraction: number,
): _AnalysedTrials {
  const extractors = records.map((record) => record.config_name);
  const labelled = records.map((record, i) => ({ ...record, config_name: labels[i] }));
  if (seeds.every((seed) => seed === null)) {
    const analysis = analyzeComparison({
      records: labelled,
      histories,
      baseline,
      convergenceFraction,
    });
    return {
      labelled: analysis.records,
      extractors,
      aggregate: analysis.aggregate,
      notes: analysis.notes,
    };
  }
  const out: ExtractorRunRecord[] = [...labelled];
  const notes: string[] = [];
  for (const seed of [...new Set(seeds)]) {
    const indices = seeds.flatMap((s, i) => s === seed ? [i] : []);
    const baselineIndex = indices.find((i) => extractors[i] === baseline);
    const analysis = analyzeComparison({
      records: indices.map((i) => labelled[i]),
      histories,
      baseline: baselineIndex === undefined ? null : labels[baselineIndex],
      convergenceFraction,
    });
    indices.forEach((index, k) => out[index] = analysis.records[k]);
    for (const note of analysis.notes) if (!notes.includes(note)) notes.push(note);
  }
  return { labelled: out, extractors, aggregate: aggregateMetrics(out, null), notes };
}

async function _stat(path: string): Promise<Deno.FileInfo | null> {
  try {
    return await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

/**
 * Refuse an output directory whose summary files would overwrite another run's or land
 * inside a run: a file, a run directory other than `own`, or a directory inside one of
 * `runs`.
 */
async function _checkOutputDir(
  out: string,
  runs: readonly string[],
  own: string | null,
): Promise<void> {
  const info = await _stat(out);
  if (info !== null && !info.isDirectory) {
    throw new RangeError(`The output ${out} is not a directory`);
  }
  if (out === own) return;
  if (info !== null && await _stat(nodePath.join(out, MANIFEST_FILE_NAME)) !== null) {
    throw new RangeError(
      `The output ${out} is a run directory; its summary files would be overwritten ` +
        "(choose a new or empty directory)",
    );
  }
  for (const run of runs) {
    const relative = nodePath.relative(run, out);
    const outside = relative.split(nodePath.sep)[0] === ".." || nodePath.isAbsolute(relative);
    if (relative !== "" && !outside) {
      throw new RangeError(`The output ${out} lies inside the run directory ${run}`);
    }
  }
}

/** Refuse a requested baseline that names none of the records. */
function _checkBaseline(
  baseline: string | null | undefined,
  records: readonly ExtractorRunRecord[],
): void {
  if (baseline === undefined || baseline === null) return;
  const names = records.map((record) => record.config_name);
  if (names.includes(baseline)) return;
  const close = closestName(baseline, names);
  throw new RangeError(
    `Baseline "${baseline}" names no extractor of the comparison ` +
      (close !== null ? `(did you mean "${close}"?)` : `(extractors: ${names.join(", ")})`),
  );
}

/** Options of {@linkcode summarizeRun}. */
export interface SummarizeRunOptions {
  /**
   * Directory for the files.
   * @default the run directory
   */
  outDir?: string;
  /**
   * Baseline extractor name.
   * @default the scenario's baseline
   */
  baseline?: string | null;
  /**
   * Figure options (see writeComparisonFigures), or false to write none.
   * @default {} (SVG and PNG)
   */
  figures?: SummaryFigureOptions;
  /**
   * Further notes for the summary, after the run's own.
   * @default []
   */
  notes?: readonly string[];
  /**
   * Append a summary_written event to the run's manifest when the files go into the
   * run directory (train turns it off for the summaries it rewrites after each
   * extractor and records the event once, at the end).
   * @default true
   */
  recordEvent?: boolean;
}

/**
 * Rebuild summary.json, summary.md and complete_results.json of one run, and its
 * figures in `<outDir>/figures/` (linked from summary.md; each extractor's own
 * learning curve is also in its record's artifacts). When the files go into the run
 * directory, a summary_written event is appended to its manifest (unless `recordEvent`
 * is false).
 *
 * Concurrent calls for one output directory (processes resuming different
 * extractors of one run) take turns: each holds `summary.lock` in the output
 * directory while it reads the run and writes every file, so the files on disk are
 * always one complete summary of one reading of the run, and the last call's reading
 * includes every event recorded before it began.
 *
 * @param directory Run directory.
 * @param options Output directory, baseline, figures.
 * @returns The summary, file paths and figure links.
 * @throws {RunDirectoryError} When the directory cannot be read as a run.
 * @throws {UnsafePathError} When the run directory holds a symbolic link.
 * @throws {RangeError} When `outDir` is a file, another run directory, or inside the run,
 * or `baseline` names no extractor of the run.
 * @throws {SummaryValidationError} When the rebuilt summary breaks the schema.
 */
export async function summarizeRun(
  directory: string,
  options: SummarizeRunOptions = {},
): Promise<SummarizeResult> {
  const runDir = nodePath.resolve(directory);
  if (!(await _exists(nodePath.join(runDir, MANIFEST_FILE_NAME)))) {
    throw new RunDirectoryError(`no ${MANIFEST_FILE_NAME}; not a run directory`, runDir);
  }
  guardDirectory(runDir);
  await assertNoSymlinksBelow(runDir);
  const outDir = nodePath.resolve(options.outDir ?? directory);
  await _checkOutputDir(outDir, [runDir], runDir);
  await Deno.mkdir(outDir, { recursive: true });
  // One summary at a time per output directory: each rewrite reads the run and writes
  // all its files under the lock, so the files always come from one reading.
  return await withFileLock(
    nodePath.join(outDir, SUMMARY_LOCK_FILE_NAME),
    () => _summarizeLocked(directory, outDir, options),
  );
}

async function _summarizeLocked(
  directory: string,
  outDir: string,
  options: SummarizeRunOptions,
): Promise<SummarizeResult> {
  await removeStaleTempFiles(outDir);
  await removeStaleTempFiles(nodePath.join(outDir, "figures"));
  const run = await readRunDirectory(directory);
  _checkBaseline(options.baseline, run.records);
  const baseline = options.baseline === undefined ? run.baseline : options.baseline;
  const labels = run.trials.map(trialKey);
  const analysed = _analyzeTrials(
    run.records,
    labels,
    run.trials.map((t) => t.seed),
    run.histories,
    baseline,
    run.convergenceFraction,
  );
  const comparison = buildComparison({
    trials: run.records.map((record, i) => ({
      record,
      seed: _trialSeed(record, run.trials[i].seed ?? run.seed),
      history: run.histories.get(labels[i]) ?? [],
      rolloutSteps: run.rolloutSteps,
      totalTimesteps: run.totalTimesteps,
    })),
    baseline,
  });
  const { records, figures } = await _figures(
    outDir,
    run.directory,
    analysed,
    run.histories,
    comparison,
    options.figures,
  );
  const summary = buildTrainingSummary({
    runId: run.name,
    createdAt: run.started.time,
    outputRoot: run.directory,
    hardwareOverview: run.hardware,
    records,
    aggregateMetrics: analysed.aggregate,
    notes: [...run.notes, ...(options.notes ?? []), ...analysed.notes],
  });
  const navigation = navigationSection(
    records,
    await readBaselines(run.directory),
    await heldOutEpisodeLinks(run.directory, outDir, records),
  );
  // One verdict list (comparison.json and summary.md): extractors that do not beat goal_seeking.
  if (navigation !== null) comparison.verdict.push(...navigation.verdict);
  const files = await writeSummaryFiles(outDir, summary, {
    legacy: { settings: run.legacySettings, presets: run.presets },
    figures,
    comparison,
    navigation,
  });
  if (outDir === run.directory && (options.recordEvent ?? true)) {
    const manifest = await ManifestWriter.open(nodePath.join(run.directory, MANIFEST_FILE_NAME), {
      create: false,
    });
    try {
      await manifest.append({
        event: "summary_written",
        output_dir: outDir,
        files: {
          json: nodePath.basename(files.json),
          markdown: nodePath.basename(files.markdown),
          legacy: nodePath.basename(files.legacy),
        },
      });
    } finally {
      manifest.close();
    }
  }
  return { summary, comparison, files, figures };
}

/** A record's trial seed: metrics.seed, else the given one. */
function _trialSeed(record: ExtractorRunRecord, fallback: number): number {
  const seed = record.metrics?.seed;
  return typeof seed === "number" && Number.isInteger(seed) && seed >= 0 ? seed : fallback;
}

/** Options of {@linkcode mergeRuns}. */
export interface MergeRunsOptions {
  /**
   * Label of the merged comparison (summary run_id).
   * @default "merged-<n>-runs"
   */
  runId?: string;
  /**
   * Baseline extractor name (after renaming, see mergeRuns).
   * @default the first run's baseline
   */
  baseline?: string | null;
  /**
   * Figure options (see writeComparisonFigures), or false to write none.
   * @default {} (SVG and PNG)
   */
  figures?: SummaryFigureOptions;
}

/**
 * Merge several runs into one comparison written to `outDir`. Trials of the same
 * extractor are pooled into one statistic (e.g. seeds 1-3 from one run and 4-6 from
 * another); records keep their names unless the same trial (extractor and seed) occurs
 * in more than one run; then every occurrence becomes `<name>@<run directory name>`. Artifact paths are rewritten relative to `outDir`.
 * The hardware overview lists every distinct host profile. The merged comparison's
 * figures are drawn into `<outDir>/figures/`.
 *
 * @param directories Run directories (at least two distinct ones).
 * @param outDir Output directory (created when missing; must not be one of the runs).
 * @param options Label, baseline, figures.
 * @returns The summary, file paths and figure links.
 * @throws {RangeError} When fewer than two distinct runs are given, or outDir is one of
 * them, another run directory, inside one of them, or a file, or when `baseline` names no
 * (renamed) extractor.
 * @throws {RunDirectoryError} When a directory cannot be read as a run.
 */
export async function mergeRuns(
  directories: readonly string[],
  outDir: string,
  options: MergeRunsOptions = {},
): Promise<SummarizeResult> {
  const dirs = [...new Set(directories.map((dir) => nodePath.resolve(dir)))];
  const out = nodePath.resolve(outDir);
  if (dirs.length < 2) throw new RangeError("Merging needs at least two distinct run directories");
  if (dirs.includes(out)) {
    throw new RangeError(`The merge output ${out} must not be one of the run directories`);
  }
  const runs: RunContents[] = [];
  for (const dir of dirs) runs.push(await readRunDirectory(dir));
  await _checkOutputDir(out, runs.map((run) => run.directory), null);

  // Trials of one extractor are pooled across runs; a trial (extractor, seed) found in
  // more than one run keeps each occurrence apart as `<name>@<run directory name>`.
  const effective = (run: RunContents, i: number) =>
    _trialSeed(run.records[i], run.trials[i].seed ?? run.seed);
  const counts = new Map<string, number>();
  const perExtractor = new Map<string, number>();
  for (const run of runs) {
    run.records.forEach((record, i) => {
      const key = `${record.config_name}\u0000${effective(run, i)}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      perExtractor.set(record.config_name, (perExtractor.get(record.config_name) ?? 0) + 1);
    });
  }
  const rename = (run: RunContents, name: string, seed: number) =>
    (counts.get(`${name}\u0000${seed}`) ?? 0) > 1 ? `${name}@${run.name}` : name;

  const records: ExtractorRunRecord[] = [];
  const labels: string[] = [];
  const seeds: (number | null)[] = [];
  const histories = new Map<string, EvaluationPoint[]>();
  const budgets: { history: EvaluationPoint[]; rollout: number | null; total: number }[] = [];
  const presets: Record<string, string> = {};
  const notes: string[] = [`Merged from ${runs.map((run) => run.directory).join(", ")}`];
  for (const run of runs) {
    run.records.forEach((original, i) => {
      const seed = effective(run, i);
      const record = structuredClone(original);
      record.config_name = rename(run, original.config_name, seed);
      if (record.artifacts !== undefined) {
        for (const [key, path] of Object.entries(record.artifacts)) {
          record.artifacts[key] = nodePath.relative(out, nodePath.resolve(run.directory, path))
            .split(nodePath.sep).join("/");
        }
      }
      // Extractors with one trial keep their plain name (as a single run names them).
      const pooled = (perExtractor.get(original.config_name) ?? 0) > 1 &&
        record.config_name === original.config_name;
      const label = pooled ? trialKey({ extractor: record.config_name, seed }) : record.config_name;
      records.push(record);
      labels.push(label);
      seeds.push(pooled ? seed : null);
      const history = run.histories.get(trialKey(run.trials[i]));
      if (history !== undefined) histories.set(label, history);
      budgets.push({
        history: history ?? [],
        rollout: run.rolloutSteps,
        total: run.totalTimesteps,
      });
      if (run.presets[original.config_name] !== undefined) {
        presets[record.config_name] = run.presets[original.config_name];
      }
    });
    notes.push(...run.notes.map((note) => `${run.name}: ${note}`));
  }

  const [first] = runs;
  const fractions = new Set(runs.map((run) => run.convergenceFraction));
  if (fractions.size > 1) {
    notes.push(
      `Runs use different convergence_fraction values; ${first.convergenceFraction} (first run) is used`,
    );
  }
  _checkBaseline(options.baseline, records);
  const renamedBaseline = first.baseline === null ? null : `${first.baseline}@${first.name}`;
  const baseline = options.baseline !== undefined
    ? options.baseline
    : renamedBaseline !== null && records.some((r) => r.config_name === renamedBaseline)
    ? renamedBaseline
    : first.baseline;
  const analysed = _analyzeTrials(
    records,
    labels,
    seeds.some((seed) => seed !== null)
      ? seeds.map((seed, i) => seed ?? _trialSeed(records[i], 0))
      : seeds,
    histories,
    baseline,
    first.convergenceFraction,
  );
  const comparison = buildComparison({
    trials: records.map((record, i) => ({
      record,
      seed: seeds[i] ?? _trialSeed(record, 0),
      history: budgets[i].history,
      rolloutSteps: budgets[i].rollout,
      totalTimesteps: budgets[i].total,
    })),
    baseline,
  });
  const settingsKeys = new Set(runs.map((run) => stableJson(run.legacySettings)));
  if (settingsKeys.size > 1) notes.push("Runs differ in their run settings; compare with care");
  const createdAt = runs.map((run) => run.started.time).sort()[0];
  await Deno.mkdir(out, { recursive: true });
  const drawn = await _figures(out, out, analysed, histories, comparison, options.figures);
  const summary = buildTrainingSummary({
    runId: options.runId ?? `merged-${runs.length}-runs`,
    createdAt,
    outputRoot: out,
    hardwareOverview: _distinct(runs.flatMap((run) => run.hardware)),
    records: drawn.records,
    aggregateMetrics: analysed.aggregate,
    notes: [...notes, ...analysed.notes],
  });
  const files = await writeSummaryFiles(out, summary, {
    legacy: {
      settings: settingsKeys.size === 1 ? first.legacySettings : null,
      presets,
      mergedFrom: runs.map((run) => run.directory),
    },
    figures: drawn.figures,
    comparison,
  });
  return { summary, comparison, files, figures: drawn.figures };
}
