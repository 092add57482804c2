/**
 * The orchestration `train` and `resume` share once a run directory and its manifest
 * are open: walk the extractors in run order (keep a finished record, record a skip,
 * or train, fresh or from a checkpoint), each isolated from the others, up to
 * `run.parallel_extractors` at once (each in an extractor worker when more than one),
 * rewrite the summary after every trained extractor, and write the final summary.
 *
 * @module
 */
import * as nodePath from "node:path";
import { getSuiteLogger } from "../log/logging.ts";
import { writeRunNavigation } from "./_navigation_step.ts";
import { type SummarizeResult, summarizeRun } from "../report/summarize_run.ts";
import { EXTRACTOR_FILES } from "../run/artifacts.ts";
import { removeStaleTempFiles } from "../internal/atomic_write.ts";
import {
  acquireFileLock,
  type FileLock,
  LockBusyError,
  TRAINING_LOCK_FILE_NAME,
} from "../run/locks.ts";
import { MANIFEST_FILE_NAME, type ManifestWriter, readManifest } from "../run/manifest.ts";
import {
  createFailedRecord,
  createRunRecord,
  createSkippedRecord,
  type ExtractorRunRecord,
  type HardwareProfile,
  type WorkerMode,
} from "../run/models.ts";
import type { ExtractorConfigurationProfile } from "../config/profile.ts";
import { createExtractorDirectory, relativeToRun, type RunDirectory } from "../run/paths.ts";
import { runState } from "../run/run_state.ts";
import { type Trial, trialKey } from "../run/trial.ts";
import type { ManifestEventInput, ManifestSink } from "../run/mod.ts";
import { type PlannedExtractor, resolvePrefetchMasks } from "../config/plan.ts";
import type { ExecutionProviderProbe } from "../nn/session.ts";
import type { TrainingProgress } from "../log/mod.ts";
import { trainExtractor, type TrainExtractorResult } from "./train_extractor.ts";
import { _workerVecEnvFactory } from "./_env_factory.ts";
import { trainExtractorInWorker } from "./extractor_worker.ts";
import { collectGarbage } from "./_memory.ts";
import type { RunComparisonOptions } from "./run_options.ts";
import {
  describeFailure,
  type ExtractorProblem,
  INTERRUPTED_REASON,
  logExtractorFailed,
  logExtractorSkipped,
} from "./failures.ts";
import type { PreparedComparison } from "./prepare.ts";

export { INTERRUPTED_REASON };

/**
 * The reason a failed or skipped record carries: the reason, then the hint in
 * parentheses (`<reason> (hint: <hint>)`), so summary.md and complete_results.json
 * say what to do; just the reason when there is no hint.
 *
 * @param problem Reason and hint.
 * @returns One line of text.
 */
export function recordReason(problem: ExtractorProblem): string {
  return problem.hint === "" ? problem.reason : `${problem.reason} (hint: ${problem.hint})`;
}

/** An open run: what every extractor of it shares. */
export interface RunContext {
  /** The comparison (scenario, plan, hardware). */
  prepared: PreparedComparison;
  /** Trainer, signal, callbacks, figures. */
  options: RunComparisonOptions;
  /** The run directory. */
  run: RunDirectory;
  /** The open manifest. */
  manifest: ManifestWriter;
  /** run.worker_mode. */
  workerMode: WorkerMode;
  /** This host's profile (goes into every record written here). */
  hardware: HardwareProfile;
  /** Trials trained at once (the plan's `parallel_trials`, at least 1). */
  parallel: number;
  /** Env workers per extractor in vectorized mode (the plan's), else null. */
  envWorkers: number | null;
  /** Train each extractor in an extractor worker (parallel > 1 and no custom trainer). */
  inWorkers: boolean;
  /** Fill dropout masks in a worker during updates (a core is left for it). */
  prefetchMasks: boolean;
  /** The hardware probe's CUDA result, handed to extractor workers. */
  executionProviders: ExecutionProviderProbe | null;
}

/** The parallelism fields of a {@linkcode RunContext}. */
type ParallelSettings = Pick<
  RunContext,
  "parallel" | "envWorkers" | "inWorkers" | "executionProviders" | "prefetchMasks"
>;

/**
 * How a comparison's extractors are spread: the plan's trials at once
 * (`run.parallel_extractors`, or chosen from the host when null; one at a time for a
 * custom trainer then), in extractor workers unless a custom trainer is given, env
 * workers in vectorized mode, and the hardware probe's CUDA result for the workers.
 *
 * @param prepared The comparison.
 * @param options The run's options (a custom trainer keeps training in the main thread).
 * @returns The parallelism fields of the run context.
 */
function _parallelSettings(
  prepared: PreparedComparison,
  options: RunComparisonOptions,
): ParallelSettings {
  const run = prepared.scenario.settings.run;
  // A custom trainer runs in the main thread, where trials at once share one thread:
  // chosen from the host, that is one at a time.
  const parallel = run.parallel_extractors === null && options.trainer !== undefined
    ? 1
    : Math.max(1, prepared.plan.parallel_trials);
  const cuda = prepared.hardware.execution_providers.find((p) => p.name === "cuda");
  return {
    parallel,
    envWorkers: run.worker_mode === "vectorized" ? prepared.plan.workers : null,
    inWorkers: parallel > 1 && options.trainer === undefined,
    prefetchMasks: resolvePrefetchMasks(
      parallel,
      prepared.plan.trials,
      prepared.plan.logical_cores,
    ),
    executionProviders: cuda === undefined
      ? null
      : cuda.usable
      ? { cpu: true, cuda: true }
      : { cpu: true, cuda: false, cudaReason: cuda.error ?? "not usable" },
  };
}

/**
 * The context of an open run: the comparison, its options, run directory and
 * manifest, this host's profile and the parallelism of `_parallelSettings`.
 *
 * @param prepared The comparison.
 * @param options Trainer, signal, callbacks, figures.
 * @param run The run directory.
 * @param manifest Its open manifest.
 * @returns The context.
 */
export function runContext(
  prepared: PreparedComparison,
  options: RunComparisonOptions,
  run: RunDirectory,
  manifest: ManifestWriter,
): RunContext {
  const parallel = _parallelSettings(prepared, options);
  return {
    prepared,
    options,
    run,
    manifest,
    workerMode: prepared.scenario.settings.run.worker_mode,
    hardware: {
      ...prepared.hardware.profile,
      parallel_extractors: Math.min(parallel.parallel, Math.max(1, prepared.plan.trials)),
    },
    ...parallel,
  };
}

/** Where a continued extractor picks up. */
export interface ContinueFrom {
  /** Checkpoint path relative to the run directory. */
  checkpoint: string;
  /** Its environment steps. */
  step: number;
}

/** The current attempt's earlier sessions of an extractor (resume). */
export interface EarlierSessions {
  /** ISO time the attempt started. */
  startedAt: string;
  /** Seconds its sessions ran. */
  seconds: number;
}

/** What to do with one trial (extractor, seed) of the run. */
export type WorkItem =
  | { kind: "keep"; record: ExtractorRunRecord }
  | { kind: "skip"; planned: PlannedExtractor; trial: Trial }
  | {
    kind: "train";
    profile: ExtractorConfigurationProfile;
    /** The trial (profile.name and, in a multi-seed run, the seed). */
    trial: Trial;
    /** Continue from this checkpoint; null: fresh start. */
    from: ContinueFrom | null;
    /** Earlier sessions of the attempt; null: none. */
    earlier: EarlierSessions | null;
  };

/** What {@linkcode runWorkItems} did. */
export interface WorkOutcome {
  /** Records of every item reached, in order (kept ones included). */
  records: ExtractorRunRecord[];
  /** Records this process wrote (skips and trainings). */
  written: ExtractorRunRecord[];
  /** Whether a signal stopped the run. */
  interrupted: boolean;
}

function _finiteMetrics(metrics: Record<string, number> | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(metrics ?? {})) {
    if (typeof value === "number" && Number.isFinite(value)) out[key] = value;
  }
  return out;
}

async function _lastCheckpoint(runDir: string, trial: Trial): Promise<string | null> {
  try {
    const { events } = await readManifest(nodePath.join(runDir, MANIFEST_FILE_NAME));
    return runState(events).extractors.get(trialKey(trial))?.checkpoints.at(-1)?.path ?? null;
  } catch {
    return null;
  }
}

/** The `seed` field of a trial's manifest events: present in multi-seed runs only. */
function _seedField(trial: Trial): { seed?: number } {
  return trial.seed === null ? {} : { seed: trial.seed };
}

/** The settings a trial trains with: the scenario's, with run.seed the trial's seed. */
function _trialSettings(context: RunContext, trial: Trial) {
  const settings = context.prepared.scenario.settings;
  if (trial.seed === null) return settings;
  return { ...settings, run: { ...settings.run, seed: trial.seed } };
}

/** A manifest sink that puts the trial's seed into every event the trainer records. */
function _trialSink(manifest: ManifestSink, trial: Trial): ManifestSink {
  if (trial.seed === null) return manifest;
  const seed = _seedField(trial);
  return { append: (event: ManifestEventInput) => manifest.append({ ...event, ...seed }) };
}

/** A training that has begun: directory made, training lock held, extractor_started written. */
interface _Begun {
  /** Absolute extractor directory. */
  extractorDir: string;
  /** The same, relative to the run directory. */
  directory: string;
  /** The extractor's training lock. */
  lock: FileLock;
}

/**
 * Begin a training: create the extractor directory, take its training lock, drop
 * stale temp files and record extractor_started. Trainings begin one at a time, so
 * extractor_started events follow the run order.
 *
 * @throws {LockBusyError} When another process trains the extractor.
 */
async function _begin(
  context: RunContext,
  item: Extract<WorkItem, { kind: "train" }>,
): Promise<_Begun> {
  const logger = getSuiteLogger("train");
  const { run, manifest, options } = context;
  const { profile, from, trial } = item;
  const name = trialKey(trial);
  const extractorDir = await createExtractorDirectory(run.path, profile.name, trial.seed);
  const directory = relativeToRun(run.path, extractorDir);
  const lock = await acquireFileLock(nodePath.join(extractorDir, TRAINING_LOCK_FILE_NAME), {
    busyMessage: `Extractor ${name} is being trained by another process`,
  });
  try {
    // Only this process writes here now: drop what writes killed mid-way left behind.
    await removeStaleTempFiles(extractorDir);
    await removeStaleTempFiles(nodePath.join(extractorDir, EXTRACTOR_FILES.checkpoints));
    await manifest.append({
      event: "extractor_started",
      extractor: profile.name,
      ..._seedField(trial),
      directory,
      preset: profile.preset,
      parameters: structuredClone(profile.parameters) as Record<string, unknown>,
      ...(from === null ? {} : { resumed_from: from.checkpoint, step: from.step }),
    });
  } catch (error) {
    await lock.release();
    throw error;
  }
  if (from === null) {
    logger.info(
      "Training {extractor} (preset {preset}, features_dim {featuresDim}) in {directory}",
      { extractor: name, preset: profile.preset, featuresDim: profile.features_dim, directory },
    );
  } else {
    logger.info("Continuing {extractor} from {checkpoint} (step {step})", {
      extractor: name,
      checkpoint: from.checkpoint,
      step: from.step,
    });
  }
  if (context.envWorkers !== null) {
    const numEnvs = context.prepared.scenario.settings.run.num_envs;
    logger.info("{extractor}: {numEnvs} environments stepped in {envWorkers} workers", {
      extractor: name,
      numEnvs,
      envWorkers: Math.max(1, Math.min(context.envWorkers, numEnvs)),
    });
  }
  options.onExtractorStart?.(trial.seed === null ? profile : { ...profile, name });
  return { extractorDir, directory, lock };
}

/** Train a begun extractor, record extractor_finished, release its training lock. */
async function _train(
  context: RunContext,
  item: Extract<WorkItem, { kind: "train" }>,
  begun: _Begun,
): Promise<{ record: ExtractorRunRecord; interrupted: boolean }> {
  try {
    const outcome = await _runTrainer(context, item, begun.extractorDir, begun.directory);
    await context.manifest.append({
      event: "extractor_finished",
      extractor: item.profile.name,
      ..._seedField(item.trial),
      record: outcome.record,
    });
    return outcome;
  } finally {
    // Released after extractor_finished is in the manifest: a reader that finds the
    // lock free (or no lock file) also finds the record.
    await begun.lock.release({ remove: true });
  }
}

async function _runTrainer(
  context: RunContext,
  item: Extract<WorkItem, { kind: "train" }>,
  extractorDir: string,
  directory: string,
): Promise<{ record: ExtractorRunRecord; interrupted: boolean }> {
  const logger = getSuiteLogger("train");
  const { run, manifest, workerMode, hardware, options } = context;
  const { profile, from, earlier, trial } = item;
  const name = trialKey(trial);
  const settings = _trialSettings(context, trial);
  const session = new Date();
  // A continued extractor's record spans its attempt: started when the attempt did,
  // lasting as long as its sessions together.
  const start = earlier === null ? session : new Date(earlier.startedAt);
  const seconds = (end: Date) =>
    (earlier?.seconds ?? 0) + Math.max(0, (end.getTime() - session.getTime()) / 1000);
  const failed = (
    reason: string,
    fields: { artifacts: Record<string, string>; metrics?: Record<string, number>; steps: number },
  ): ExtractorRunRecord => {
    const end = new Date();
    const record = createFailedRecord(profile.name, reason, {
      workerMode,
      startTime: start,
      endTime: end,
      hardwareProfile: hardware,
      artifacts: fields.artifacts,
      metrics: fields.metrics,
      trainingSteps: fields.steps,
    });
    return { ...record, duration_seconds: seconds(end) };
  };
  const interruptedRecord = async (result: TrainExtractorResult | null) => {
    const artifacts: Record<string, string> = { ...result?.artifacts, extractor_dir: directory };
    const checkpoint = result?.lastCheckpoint ?? await _lastCheckpoint(run.path, trial);
    if (checkpoint !== null) artifacts.last_checkpoint = checkpoint;
    const metrics = _finiteMetrics(result?.metrics);
    if (Object.keys(metrics).length > 0) metrics.seed = settings.run.seed;
    const steps = result?.trainingSteps ?? from?.step ?? 0;
    logger.warn(
      "Extractor {extractor} interrupted at step {steps}; last checkpoint: {checkpoint}",
      { extractor: name, steps, checkpoint: checkpoint ?? "none" },
    );
    return failed(INTERRUPTED_REASON, {
      artifacts,
      metrics: Object.keys(metrics).length > 0 ? metrics : undefined,
      steps,
    });
  };
  try {
    const common = {
      profile,
      settings,
      extractorDir,
      runDir: run.path,
      manifest: _trialSink(manifest, trial),
      signal: options.signal,
      resumeFrom: from === null ? undefined : nodePath.join(run.path, from.checkpoint),
      prefetchMasks: context.prefetchMasks,
      onProgress: options.onProgress === undefined
        ? undefined
        : (progress: TrainingProgress) => options.onProgress?.(name, progress),
    };
    const result = context.inWorkers
      ? await trainExtractorInWorker({
        ...common,
        envWorkers: context.envWorkers,
        executionProviders: context.executionProviders,
        workerModule: options.extractorWorkerModule,
      })
      : await (options.trainer ?? trainExtractor)({
        ...common,
        vecEnvFactory: context.envWorkers === null
          ? undefined
          : _workerVecEnvFactory(context.envWorkers),
      });
    if (result.interrupted) return { record: await interruptedRecord(result), interrupted: true };
    const end = new Date();
    const record = createRunRecord({
      config_name: profile.name,
      status: "success",
      start_time: start.toISOString(),
      end_time: end.toISOString(),
      duration_seconds: seconds(end),
      hardware_profile: hardware,
      worker_mode: workerMode,
      training_steps: result.trainingSteps,
      metrics: { ...result.metrics, seed: settings.run.seed },
      artifacts: { ...result.artifacts, extractor_dir: directory },
    });
    logger.info("Extractor {extractor} finished: {steps} steps in {seconds} s", {
      extractor: name,
      steps: result.trainingSteps,
      seconds: Number(result.wallTimeSeconds.toFixed(1)),
    });
    return { record, interrupted: false };
  } catch (error) {
    if (options.signal?.aborted) {
      return { record: await interruptedRecord(null), interrupted: true };
    }
    // A symlink inside the run directory is invalid input, not this extractor's
    // failure: the run stops (exit 2) and the extractor stays resumable.
    if ((error as Error | null)?.name === "UnsafePathError") throw error;
    const failure = describeFailure(error, { extractor: name });
    logExtractorFailed(logger, name, failure);
    logger.debug("Extractor {extractor} failure details: {stack}", {
      extractor: name,
      stack: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
    const step = (error as { step?: unknown } | null)?.step;
    const artifacts: Record<string, string> = { extractor_dir: directory };
    const checkpoint = await _lastCheckpoint(run.path, trial);
    if (checkpoint !== null) artifacts.last_checkpoint = checkpoint;
    const record = failed(recordReason(failure), {
      artifacts,
      steps: Number.isInteger(step) && (step as number) >= 0 ? step as number : 0,
    });
    return { record, interrupted: false };
  }
}

/**
 * Work through the items in run order, up to `context.parallel` trainings at once: a
 * kept record is reported as it is; a skip gets its extractor_finished record; a
 * training gets extractor_started, the trainer and extractor_finished, holding the
 * extractor's training lock throughout (an extractor another process holds is left
 * to it, with a warning). Items are begun in run order, each once fewer than
 * `context.parallel` trainings run (with 1: one after another). The summary is
 * rewritten after every training unless it was the last one. A signal stops the
 * running extractors (recorded as interrupted) and begins no further item.
 *
 * @param context The open run.
 * @param items Extractors in run order.
 * @returns Records, the ones written here, and whether a signal stopped the run.
 * @throws {Error} When the manifest or a directory cannot be written (after the
 * running trainings have ended); a failing extractor never throws here.
 */
export async function runWorkItems(
  context: RunContext,
  items: readonly WorkItem[],
): Promise<WorkOutcome> {
  const logger = getSuiteLogger("train");
  const { options, manifest } = context;
  const slots: ({ record: ExtractorRunRecord; written: boolean } | undefined)[] = [];
  const running = new Set<Promise<void>>();
  const state = { interrupted: false, failure: null as { error: unknown } | null, next: 0 };
  let summaries: Promise<void> = Promise.resolve();
  // At most as many at once as there are extractors to train (parallel_extractors may be larger).
  const atOnce = Math.min(context.parallel, items.filter((item) => item.kind === "train").length);
  if (context.inWorkers && atOnce > 1) {
    logger.info("Training up to {parallel} extractors at once, each in its own worker", {
      parallel: atOnce,
    });
  } else if (context.inWorkers && atOnce === 1) {
    logger.info("Training one extractor, in its own worker");
  }

  const finish = (index: number, record: ExtractorRunRecord) => {
    slots[index] = { record, written: true };
    options.onExtractorEnd?.(record);
  };
  // Summaries are written one at a time.
  const updateSummary = (record: ExtractorRunRecord) => {
    summaries = summaries.then(async () => {
      try {
        await summarizeRun(context.run.path, { figures: options.figures, recordEvent: false });
      } catch (error) {
        logger.warn("Summary not updated after {extractor}: {message}", {
          extractor: record.config_name,
          message: (error as Error).message,
        });
      }
    });
    return summaries;
  };
  const trainOne = async (
    index: number,
    item: Extract<WorkItem, { kind: "train" }>,
    begun: _Begun,
  ) => {
    const outcome = await _train(context, item, begun);
    if (outcome.interrupted) state.interrupted = true;
    finish(index, outcome.record);
    // The final summary follows the last item; no need to write it twice.
    const more = state.next < items.length || running.size > 1;
    if (!state.interrupted && !options.signal?.aborted && more) {
      await updateSummary(outcome.record);
    }
  };
  const schedule = async () => {
    while (state.next < items.length && state.failure === null) {
      while (running.size >= context.parallel) await Promise.race(running);
      if (state.failure !== null) break;
      if (state.interrupted || options.signal?.aborted) {
        state.interrupted = true;
        break;
      }
      const index = state.next++;
      const item = items[index];
      if (item.kind === "keep") {
        slots[index] = { record: item.record, written: false };
        continue;
      }
      if (item.kind === "skip") {
        const { planned, trial } = item;
        const problem = { reason: planned.reason ?? "Skipped", hint: planned.hint ?? "" };
        logExtractorSkipped(logger, trialKey(trial), problem);
        const record = createSkippedRecord(planned.name, recordReason(problem), {
          workerMode: context.workerMode,
          hardwareProfile: context.hardware,
        });
        await manifest.append({
          event: "extractor_finished",
          extractor: planned.name,
          ..._seedField(trial),
          record,
        });
        finish(index, record);
        continue;
      }
      if (!context.inWorkers) collectGarbage(); // what the previous extractor and its summary left
      let begun: _Begun;
      try {
        begun = await _begin(context, item);
      } catch (error) {
        if (!(error instanceof LockBusyError)) throw error;
        logger.warn("{message}; left to it", { message: error.message });
        continue;
      }
      const task: Promise<void> = trainOne(index, item, begun)
        .catch((error) => {
          state.failure ??= { error };
        })
        .finally(() => running.delete(task));
      running.add(task);
    }
  };
  try {
    await schedule();
  } catch (error) {
    state.failure ??= { error }; // a manifest or directory error: let the running ones finish
  }
  await Promise.all(running);
  await summaries;
  if (state.failure !== null) throw state.failure.error;
  const reached = slots.filter((slot) => slot !== undefined);
  return {
    records: reached.map((slot) => slot.record),
    written: reached.filter((slot) => slot.written).map((slot) => slot.record),
    interrupted: state.interrupted,
  };
}

/**
 * Write the final summary of the run (summary_written recorded), with a note saying
 * how to resume when a signal stopped it.
 *
 * @param context The open run.
 * @param resumeCommand The command that resumes the run, or null when it was not interrupted.
 * @returns The summary written.
 * @throws {Error} When the summary cannot be written.
 */
export async function writeFinalSummary(
  context: RunContext,
  resumeCommand: string | null,
): Promise<SummarizeResult> {
  collectGarbage();
  if (resumeCommand === null) await writeRunNavigation(context);
  return await summarizeRun(context.run.path, {
    figures: context.options.figures,
    notes: resumeCommand === null ? [] : [`Run interrupted; resume with: ${resumeCommand}`],
  });
}
