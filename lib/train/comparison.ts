/**
 * The main job: train every extractor of a prepared comparison in run order, each
 * isolated from the others, and keep a current summary on disk.
 *
 * Per run: create the run directory, copy the scenario file into it, open the
 * manifest (run_started with the resolved config, its SHA-256 and the hardware
 * profile). Per extractor in run order: a skipped entry gets its extractor_finished
 * record at once; a runnable one gets extractor_started, then the trainer, then
 * extractor_finished with its record (success: metrics and artifacts; failed: reason;
 * interrupted: reason "interrupted", checkpoints kept), then summary.json, summary.md,
 * complete_results.json and figures are rewritten. At the end the summary is written
 * once more and summary_written is recorded.
 *
 * `run.parallel_extractors: K` > 1 trains up to K extractors at once, each in its own
 * extractor worker (extractor_worker.ts); the main thread only orchestrates: it owns
 * the manifest (the workers' events are appended here), collects the records and
 * writes the summaries. K = 1 trains in the main thread, one after another.
 *
 * @module
 */
import * as nodePath from "node:path";
import { resolvedConfig } from "../config/plan.ts";
import { getSuiteLogger, logExtractorFailed, logExtractorSkipped } from "../log/logging.ts";
import {
  type SummarizeResult,
  summarizeRun,
  type SummaryFigureOptions,
} from "../report/rebuild.ts";
import { writeFileAtomic } from "../run/atomic.ts";
import { sha256Hex } from "../run/hash.ts";
import { MANIFEST_FILE_NAME, ManifestWriter, readManifest } from "../run/manifest.ts";
import {
  createFailedRecord,
  createRunRecord,
  createSkippedRecord,
  type ExtractorConfigurationProfile,
  type ExtractorRunRecord,
  type HardwareProfile,
  type WorkerMode,
} from "../run/models.ts";
import {
  createExtractorDirectory,
  createRunDirectory,
  relativeToRun,
  type RunDirectory,
} from "../run/paths.ts";
import {
  trainExtractor,
  type TrainExtractorOptions,
  type TrainExtractorResult,
  type TrainingProgress,
} from "./_boundary.ts";
import type { ExecutionProviderProbe } from "../nn/session.ts";
import { _workerVecEnvFactory } from "./_env_factory.ts";
import { trainExtractorInWorker } from "./extractor_worker.ts";
import { describeFailure, type ExtractorProblem } from "./failures.ts";
import { collectGarbage } from "./_memory.ts";
import type { PreparedComparison } from "./prepare.ts";

export type { TrainExtractorOptions, TrainExtractorResult, TrainingProgress };

/** File name of the scenario copy inside a run directory (byte-identical to the original). */
export const SCENARIO_COPY_FILE_NAME = "scenario.yaml";
/** Reason of the failed record of an extractor stopped by SIGINT/SIGTERM. */
export const INTERRUPTED_REASON = "interrupted";

/** Trains one extractor (lib/rl trainExtractor, or another with its contract). */
export type TrainExtractorFn = (options: TrainExtractorOptions) => Promise<TrainExtractorResult>;

/** How a comparison ended. */
export type ComparisonOutcome = "completed" | "failed" | "interrupted";

/** Options of {@linkcode runComparison}. */
export interface RunComparisonOptions {
  /**
   * Trains one extractor in the main thread (with run.parallel_extractors K > 1, up
   * to K calls at once).
   * @default trainExtractor of lib/rl; with K > 1, each extractor in an extractor worker
   */
  trainer?: TrainExtractorFn;
  /**
   * Entry module of the extractor workers (K > 1 without `trainer`); it must speak
   * the extractor worker protocol (lib/train/_extractor_worker.ts).
   * @default EXTRACTOR_WORKER_MODULE
   */
  extractorWorkerModule?: URL;
  /**
   * Interruption (SIGINT/SIGTERM): passed to every running trainer (and extractor
   * worker), which checkpoints and returns; no further extractor starts.
   * @default no interruption
   */
  signal?: AbortSignal;
  /**
   * Command-line arguments recorded in run_started.
   * @default undefined
   */
  argv?: string[];
  /**
   * Called once the run directory exists, before anything else is written to it
   * (e.g. to attach run.log.jsonl).
   * @default undefined
   */
  onRunCreated?: (run: RunDirectory) => void | Promise<void>;
  /**
   * Called when an extractor starts training (with K > 1, several may be training).
   * @default undefined
   */
  onExtractorStart?: (profile: ExtractorConfigurationProfile) => void;
  /**
   * Training progress of a running extractor.
   * @default undefined
   */
  onProgress?: (extractor: string, progress: TrainingProgress) => void;
  /**
   * Called with each extractor's final record (any status).
   * @default undefined
   */
  onExtractorEnd?: (record: ExtractorRunRecord) => void;
  /**
   * Figure options for the summaries, or false for none.
   * @default {} (SVG and PNG)
   */
  figures?: SummaryFigureOptions;
}

/** What {@linkcode runComparison} did. */
export interface ComparisonResult {
  /** The run directory. */
  run: RunDirectory;
  /** Records written by this run, in run order. */
  records: ExtractorRunRecord[];
  /** The last summary written (the final one). */
  summary: SummarizeResult;
  /** completed: every extractor succeeded or was skipped; failed: one failed; interrupted. */
  outcome: ComparisonOutcome;
  /** Command that resumes an interrupted run, else null. */
  resumeCommand: string | null;
}

/**
 * How a comparison's records end it: interrupted when a signal stopped it, failed
 * when any record failed, completed otherwise (skips are expected outcomes).
 *
 * @param records Records of the run.
 * @param interrupted Whether a signal stopped the run.
 * @returns The outcome.
 */
export function comparisonOutcome(
  records: readonly ExtractorRunRecord[],
  interrupted: boolean,
): ComparisonOutcome {
  if (interrupted) return "interrupted";
  return records.some((record) => record.status === "failed") ? "failed" : "completed";
}

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

function _finiteMetrics(metrics: Record<string, number> | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(metrics ?? {})) {
    if (typeof value === "number" && Number.isFinite(value)) out[key] = value;
  }
  return out;
}

async function _lastCheckpoint(runDir: string, extractor: string): Promise<string | null> {
  try {
    const { events } = await readManifest(nodePath.join(runDir, MANIFEST_FILE_NAME));
    let last: string | null = null;
    for (const event of events) {
      if (event.event === "checkpoint_written" && event.extractor === extractor) last = event.path;
    }
    return last;
  } catch {
    return null;
  }
}

interface _Context {
  prepared: PreparedComparison;
  options: RunComparisonOptions;
  run: RunDirectory;
  manifest: ManifestWriter;
  workerMode: WorkerMode;
  hardware: HardwareProfile;
  /** Env workers per extractor in vectorized mode (the plan's), else null. */
  envWorkers: number | null;
  /** Train each extractor in an extractor worker (K > 1 and no custom trainer). */
  inWorkers: boolean;
  /** The hardware probe's CUDA result, handed to extractor workers. */
  executionProviders: ExecutionProviderProbe | null;
}

/** The hardware report's CUDA status as lib/nn's probe result, or null when not probed. */
function _providerProbe(prepared: PreparedComparison): ExecutionProviderProbe | null {
  const cuda = prepared.hardware.execution_providers.find((p) => p.name === "cuda");
  if (cuda === undefined) return null;
  return cuda.usable
    ? { cpu: true, cuda: true }
    : { cpu: true, cuda: false, cudaReason: cuda.error ?? "not usable" };
}

interface _Started {
  /** Absolute extractor directory. */
  extractorDir: string;
  /** Start time. */
  start: Date;
}

/** Create the extractor's directory and record extractor_started. */
async function _begin(
  context: _Context,
  profile: ExtractorConfigurationProfile,
): Promise<_Started> {
  const logger = getSuiteLogger("train");
  const { run, manifest, options } = context;
  const name = profile.name;
  const extractorDir = await createExtractorDirectory(run.path, name);
  const directory = relativeToRun(run.path, extractorDir);
  await manifest.append({
    event: "extractor_started",
    extractor: name,
    directory,
    preset: profile.preset,
    parameters: structuredClone(profile.parameters) as Record<string, unknown>,
  });
  logger.info("Training {extractor} (preset {preset}, features_dim {featuresDim}) in {directory}", {
    extractor: name,
    preset: profile.preset,
    featuresDim: profile.features_dim,
    directory,
  });
  if (context.envWorkers !== null) {
    const numEnvs = context.prepared.scenario.settings.run.num_envs;
    logger.info("{extractor}: {numEnvs} environments stepped in {envWorkers} workers", {
      extractor: name,
      numEnvs,
      envWorkers: Math.min(context.envWorkers, numEnvs),
    });
  }
  options.onExtractorStart?.(profile);
  return { extractorDir, start: new Date() };
}

/** Train one started extractor and build its record; never throws for a training failure. */
async function _train(
  context: _Context,
  profile: ExtractorConfigurationProfile,
  { extractorDir, start }: _Started,
): Promise<{ record: ExtractorRunRecord; interrupted: boolean }> {
  const logger = getSuiteLogger("train");
  const { run, manifest, workerMode, hardware, options } = context;
  const name = profile.name;
  const directory = relativeToRun(run.path, extractorDir);
  const interruptedRecord = async (result: TrainExtractorResult | null) => {
    const artifacts: Record<string, string> = { ...result?.artifacts, extractor_dir: directory };
    const checkpoint = result?.lastCheckpoint ?? await _lastCheckpoint(run.path, name);
    if (checkpoint !== null) artifacts.last_checkpoint = checkpoint;
    const metrics = _finiteMetrics(result?.metrics);
    logger.warn(
      "Extractor {extractor} interrupted at step {steps}; last checkpoint: {checkpoint}",
      {
        extractor: name,
        steps: result?.trainingSteps ?? 0,
        checkpoint: checkpoint ?? "none",
      },
    );
    return createFailedRecord(name, INTERRUPTED_REASON, {
      workerMode,
      startTime: start,
      endTime: new Date(),
      hardwareProfile: hardware,
      artifacts,
      metrics: Object.keys(metrics).length > 0 ? metrics : undefined,
      trainingSteps: result?.trainingSteps ?? 0,
    });
  };
  try {
    const settings = context.prepared.scenario.settings;
    const common = {
      profile,
      settings,
      extractorDir,
      runDir: run.path,
      manifest,
      signal: options.signal,
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
      config_name: name,
      status: "success",
      start_time: start.toISOString(),
      end_time: end.toISOString(),
      duration_seconds: Math.max(0, (end.getTime() - start.getTime()) / 1000),
      hardware_profile: hardware,
      worker_mode: workerMode,
      training_steps: result.trainingSteps,
      metrics: result.metrics,
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
    const failure = describeFailure(error, { extractor: name });
    logExtractorFailed(logger, name, failure);
    logger.debug("Extractor {extractor} failure details: {stack}", {
      extractor: name,
      stack: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
    const step = (error as { step?: unknown } | null)?.step;
    const artifacts: Record<string, string> = { extractor_dir: directory };
    const checkpoint = await _lastCheckpoint(run.path, name);
    if (checkpoint !== null) artifacts.last_checkpoint = checkpoint;
    const record = createFailedRecord(name, recordReason(failure), {
      workerMode,
      startTime: start,
      endTime: new Date(),
      hardwareProfile: hardware,
      artifacts,
      trainingSteps: Number.isInteger(step) && (step as number) >= 0 ? step as number : 0,
    });
    return { record, interrupted: false };
  }
}

/**
 * Run a prepared comparison: create the run directory and manifest, train each
 * extractor in run order (skips recorded with their reasons; a throwing extractor is
 * recorded as failed with reason and the rest continue; a signal stops the running
 * extractor at its next safe point, records it as failed with reason "interrupted",
 * and starts no further one), rewrite the summary after each trained extractor, and
 * write the final summary with a summary_written event.
 *
 * @example Run the default comparison
 * ```ts
 * const prepared = await prepareComparison("configs/scenarios/multi_extractor_default.yaml");
 * const result = await runComparison(prepared);
 * console.log(result.outcome, result.summary.files.markdown);
 * ```
 *
 * @param prepared The comparison from prepareComparison().
 * @param options Trainer, signal, callbacks, figures.
 * @returns Run directory, records, final summary and outcome.
 * @throws {Error} When the run directory, manifest or final summary cannot be written
 * (a failing extractor never throws here).
 */
export async function runComparison(
  prepared: PreparedComparison,
  options: RunComparisonOptions = {},
): Promise<ComparisonResult> {
  const logger = getSuiteLogger("train");
  const { scenario, plan } = prepared;
  const bytes = await Deno.readFile(scenario.file);
  if (await sha256Hex(bytes) !== scenario.sha256) {
    throw new Error(`Scenario file ${scenario.file} changed after it was validated; start again`);
  }
  const run = await createRunDirectory(
    nodePath.dirname(plan.run_directory),
    scenario.settings.run.run_id,
    { now: prepared.startedAt },
  );
  await writeFileAtomic(nodePath.join(run.path, SCENARIO_COPY_FILE_NAME), bytes);
  await options.onRunCreated?.(run);
  const manifest = await ManifestWriter.open(nodePath.join(run.path, MANIFEST_FILE_NAME));
  try {
    const config = {
      ...resolvedConfig(scenario),
      test_mode: prepared.testMode,
      notes: [...prepared.notes],
    };
    await manifest.append({
      event: "run_started",
      run_id: scenario.settings.run.run_id,
      run_dir_name: run.name,
      config_file: scenario.file,
      config_sha256: scenario.sha256,
      config,
      hardware: prepared.hardware.profile,
      argv: options.argv,
    });
    logger.info("Run directory {path}", { path: run.path });
    for (const note of prepared.notes) logger.info("{note}", { note });

    const parallel = Math.max(1, scenario.settings.run.parallel_extractors);
    const context: _Context = {
      prepared,
      options,
      run,
      manifest,
      workerMode: scenario.settings.run.worker_mode,
      hardware: prepared.hardware.profile,
      envWorkers: scenario.settings.run.worker_mode === "vectorized" ? plan.workers : null,
      inWorkers: parallel > 1 && options.trainer === undefined,
      executionProviders: _providerProbe(prepared),
    };
    if (context.inWorkers) {
      logger.info("Training up to {parallel} extractors at once, each in its own worker", {
        parallel,
      });
    }
    const profiles = new Map(scenario.extractors.map((profile) => [profile.name, profile]));
    const slots: (ExtractorRunRecord | undefined)[] = [];
    const running = new Set<Promise<void>>();
    let interrupted = false;
    let failure: { error: unknown } | null = null;
    let next = 0; // index of the next plan entry to handle
    let summaries: Promise<void> = Promise.resolve();

    const finish = async (index: number, record: ExtractorRunRecord) => {
      await manifest.append({ event: "extractor_finished", extractor: record.config_name, record });
      slots[index] = record;
      options.onExtractorEnd?.(record);
    };
    // Summaries are written one at a time; the final one follows the last entry.
    const updateSummary = (record: ExtractorRunRecord) => {
      summaries = summaries.then(async () => {
        try {
          await summarizeRun(run.path, { figures: options.figures, recordEvent: false });
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
      profile: ExtractorConfigurationProfile,
      started: _Started,
    ) => {
      const outcome = await _train(context, profile, started);
      if (outcome.interrupted) interrupted = true;
      await finish(index, outcome.record);
      const more = next < plan.extractors.length || running.size > 1;
      if (!interrupted && !options.signal?.aborted && more) await updateSummary(outcome.record);
    };

    // Hands entries out in run order, keeping at most K extractors training.
    const schedule = async () => {
      while (next < plan.extractors.length && failure === null) {
        // With K = 1 this waits for the running extractor: one after another, as before.
        while (running.size >= parallel) await Promise.race(running);
        if (failure !== null) break;
        if (interrupted || options.signal?.aborted) {
          interrupted = true;
          break;
        }
        const index = next++;
        const planned = plan.extractors[index];
        const profile = profiles.get(planned.name);
        if (planned.action === "skip" || profile === undefined) {
          const problem = { reason: planned.reason ?? "Skipped", hint: planned.hint ?? "" };
          logExtractorSkipped(logger, planned.name, problem);
          await finish(
            index,
            createSkippedRecord(planned.name, recordReason(problem), {
              workerMode: context.workerMode,
              hardwareProfile: context.hardware,
            }),
          );
          continue;
        }
        if (!context.inWorkers) collectGarbage(); // what the previous extractor and its summary left
        // Started one at a time, so extractor_started events follow the run order.
        const started = await _begin(context, profile);
        const task: Promise<void> = trainOne(index, profile, started)
          .catch((error) => {
            failure ??= { error };
          })
          .finally(() => running.delete(task));
        running.add(task);
      }
    };
    try {
      await schedule();
    } catch (error) {
      failure ??= { error }; // a manifest or directory error: let the running ones finish
    }
    await Promise.all(running);
    await summaries;
    if (failure !== null) throw (failure as { error: unknown }).error;
    const records = slots.filter((record): record is ExtractorRunRecord => record !== undefined);
    const resumeCommand = interrupted ? `deno task resume ${run.path}` : null;
    collectGarbage();
    const summary = await summarizeRun(run.path, {
      figures: options.figures,
      notes: interrupted ? [`Run interrupted; resume with: ${resumeCommand}`] : [],
    });
    return {
      run,
      records,
      summary,
      outcome: comparisonOutcome(records, interrupted),
      resumeCommand,
    };
  } finally {
    manifest.close();
  }
}
