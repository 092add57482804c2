/**
 * The main job: train every extractor of a prepared comparison in run order, each
 * isolated from the others, and keep a current summary on disk.
 *
 * Per run: startRun() creates the run directory, copies the scenario file into it and
 * opens the manifest (run_started with the resolved config, its SHA-256 and the
 * hardware profile). Per extractor in run order: a skipped entry gets its extractor_finished
 * record at once; a runnable one gets extractor_started, then the trainer, then
 * extractor_finished with its record (success: metrics and artifacts; failed: reason;
 * interrupted: reason "interrupted", checkpoints kept), then summary.json, summary.md,
 * complete_results.json and figures are rewritten. At the end the summary is written
 * once more and summary_written is recorded.
 *
 * @module
 */
import * as nodePath from "node:path";
import { getSuiteLogger, logExtractorFailed, logExtractorSkipped } from "../log/logging.ts";
import {
  type SummarizeResult,
  summarizeRun,
  type SummaryFigureOptions,
} from "../report/rebuild.ts";
import { MANIFEST_FILE_NAME, type ManifestWriter, readManifest } from "../run/manifest.ts";
import {
  createFailedRecord,
  createRunRecord,
  createSkippedRecord,
  type ExtractorConfigurationProfile,
  type ExtractorRunRecord,
  type HardwareProfile,
  type WorkerMode,
} from "../run/models.ts";
import { createExtractorDirectory, relativeToRun, type RunDirectory } from "../run/paths.ts";
import {
  trainExtractor,
  type TrainExtractorOptions,
  type TrainExtractorResult,
  type TrainingProgress,
  type VecEnvFactory,
} from "./_boundary.ts";
import { WorkerVecEnv } from "../workers/worker_vec_env.ts";
import { describeFailure, type ExtractorProblem, INTERRUPTED_REASON } from "./failures.ts";
import { collectGarbage } from "./_memory.ts";
import type { PreparedComparison } from "./prepare.ts";
import { startRun } from "./start_run.ts";

export type { TrainExtractorOptions, TrainExtractorResult, TrainingProgress };

export { SCENARIO_COPY_FILE_NAME } from "./start_run.ts";
export { INTERRUPTED_REASON } from "./failures.ts";

/** Trains one extractor (lib/rl trainExtractor, or another with its contract). */
export type TrainExtractorFn = (options: TrainExtractorOptions) => Promise<TrainExtractorResult>;

/** How a comparison ended. */
export type ComparisonOutcome = "completed" | "failed" | "interrupted";

/** Options of {@linkcode runComparison}. */
export interface RunComparisonOptions {
  /**
   * Trains one extractor.
   * @default trainExtractor of lib/rl
   */
  trainer?: TrainExtractorFn;
  /**
   * Interruption (SIGINT/SIGTERM): passed to the trainer, which checkpoints and
   * returns; no further extractor starts.
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
   * Called when an extractor starts training.
   * @default undefined
   */
  onExtractorStart?: (profile: ExtractorConfigurationProfile) => void;
  /**
   * Training progress of the running extractor.
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

/**
 * Vectorized mode: the training envs run in Deno Workers (lib/workers' WorkerVecEnv,
 * env-worker permissions), `workers` of them (the plan's env_workers, at most one per
 * env), each given the loaded map.
 */
function _workerEnvs(extractor: string, workers: number): VecEnvFactory {
  return async ({ map, settings, numEnvs, seed }) => {
    const envWorkers = Math.max(1, Math.min(workers, numEnvs));
    getSuiteLogger("train").info(
      "{extractor}: {numEnvs} environments stepped in {envWorkers} workers",
      { extractor, numEnvs, envWorkers },
    );
    return await WorkerVecEnv.create(settings, { numEnvs, seed, envWorkers, map });
  };
}

interface _Context {
  prepared: PreparedComparison;
  options: RunComparisonOptions;
  run: RunDirectory;
  manifest: ManifestWriter;
  workerMode: WorkerMode;
  hardware: HardwareProfile;
}

async function _train(
  context: _Context,
  profile: ExtractorConfigurationProfile,
): Promise<{ record: ExtractorRunRecord; interrupted: boolean }> {
  const logger = getSuiteLogger("train");
  const { run, manifest, workerMode, hardware, options } = context;
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
  options.onExtractorStart?.(profile);
  const start = new Date();
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
    const trainer = options.trainer ?? trainExtractor;
    const settings = context.prepared.scenario.settings;
    const result = await trainer({
      profile,
      settings,
      extractorDir,
      runDir: run.path,
      manifest,
      signal: options.signal,
      vecEnvFactory: settings.run.worker_mode === "vectorized"
        ? _workerEnvs(name, context.prepared.plan.workers)
        : undefined,
      onProgress: options.onProgress === undefined
        ? undefined
        : (progress) => options.onProgress?.(name, progress),
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
  const { run, manifest } = await startRun(prepared, {
    argv: options.argv,
    onRunCreated: options.onRunCreated,
  });
  try {
    logger.info("Run directory {path}", { path: run.path });
    for (const note of prepared.notes) logger.info("{note}", { note });

    const context: _Context = {
      prepared,
      options,
      run,
      manifest,
      workerMode: scenario.settings.run.worker_mode,
      hardware: prepared.hardware.profile,
    };
    const profiles = new Map(scenario.extractors.map((profile) => [profile.name, profile]));
    const records: ExtractorRunRecord[] = [];
    let interrupted = false;
    for (const [index, planned] of plan.extractors.entries()) {
      if (options.signal?.aborted) {
        interrupted = true;
        break;
      }
      const profile = profiles.get(planned.name);
      let record: ExtractorRunRecord;
      if (planned.action === "skip" || profile === undefined) {
        const problem = { reason: planned.reason ?? "Skipped", hint: planned.hint ?? "" };
        logExtractorSkipped(logger, planned.name, problem);
        record = createSkippedRecord(planned.name, recordReason(problem), {
          workerMode: context.workerMode,
          hardwareProfile: context.hardware,
        });
      } else {
        collectGarbage(); // what the previous extractor and its summary left
        const outcome = await _train(context, profile);
        record = outcome.record;
        interrupted = outcome.interrupted;
      }
      await manifest.append({ event: "extractor_finished", extractor: record.config_name, record });
      records.push(record);
      options.onExtractorEnd?.(record);
      if (interrupted) break;
      // The final summary follows the last entry; no need to write it twice.
      if (record.status !== "skipped" && index < plan.extractors.length - 1) {
        try {
          await summarizeRun(run.path, { figures: options.figures, recordEvent: false });
        } catch (error) {
          logger.warn("Summary not updated after {extractor}: {message}", {
            extractor: record.config_name,
            message: (error as Error).message,
          });
        }
      }
    }
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
