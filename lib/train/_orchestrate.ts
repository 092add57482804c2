/**
 * The orchestration `train` and `resume` share once a run directory and its manifest
 * are open: walk the extractors in run order (keep a finished record, record a skip,
 * or train, fresh or from a checkpoint), each isolated from the others, rewrite the
 * summary after every trained extractor, and write the final summary.
 *
 * @module
 */
import * as nodePath from "node:path";
import { getSuiteLogger, logExtractorFailed, logExtractorSkipped } from "../log/logging.ts";
import { type SummarizeResult, summarizeRun } from "../report/rebuild.ts";
import { removeStaleTempFiles } from "../run/atomic.ts";
import { acquireFileLock, LockBusyError, TRAINING_LOCK_FILE_NAME } from "../run/locks.ts";
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
import { runState } from "../run/run_state.ts";
import type { PlannedExtractor } from "../config/plan.ts";
import { WorkerVecEnv } from "../workers/worker_vec_env.ts";
import { trainExtractor, type TrainExtractorResult, type VecEnvFactory } from "./_boundary.ts";
import { collectGarbage } from "./_memory.ts";
import type { RunComparisonOptions } from "./comparison.ts";
import { describeFailure, type ExtractorProblem } from "./failures.ts";
import type { PreparedComparison } from "./prepare.ts";

/** Reason of the failed record of an extractor stopped by SIGINT/SIGTERM. */
export const INTERRUPTED_REASON = "interrupted";

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

/** What to do with one extractor of the run. */
export type WorkItem =
  | { kind: "keep"; record: ExtractorRunRecord }
  | { kind: "skip"; planned: PlannedExtractor }
  | {
    kind: "train";
    profile: ExtractorConfigurationProfile;
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

async function _lastCheckpoint(runDir: string, extractor: string): Promise<string | null> {
  try {
    const { events } = await readManifest(nodePath.join(runDir, MANIFEST_FILE_NAME));
    return runState(events).extractors.get(extractor)?.checkpoints.at(-1)?.path ?? null;
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

async function _train(
  context: RunContext,
  item: Extract<WorkItem, { kind: "train" }>,
): Promise<{ record: ExtractorRunRecord; interrupted: boolean }> {
  const logger = getSuiteLogger("train");
  const { run, manifest, options } = context;
  const { profile, from } = item;
  const name = profile.name;
  const extractorDir = await createExtractorDirectory(run.path, name);
  const directory = relativeToRun(run.path, extractorDir);
  const lock = await acquireFileLock(nodePath.join(extractorDir, TRAINING_LOCK_FILE_NAME), {
    busyMessage: `Extractor ${name} is being trained by another process`,
  });
  try {
    // Only this process writes here now: drop what writes killed mid-way left behind.
    await removeStaleTempFiles(extractorDir);
    await removeStaleTempFiles(nodePath.join(extractorDir, "checkpoints"));
    await manifest.append({
      event: "extractor_started",
      extractor: name,
      directory,
      preset: profile.preset,
      parameters: structuredClone(profile.parameters) as Record<string, unknown>,
      ...(from === null ? {} : { resumed_from: from.checkpoint, step: from.step }),
    });
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
    options.onExtractorStart?.(profile);
    const outcome = await _runTrainer(context, item, extractorDir, directory);
    await manifest.append({ event: "extractor_finished", extractor: name, record: outcome.record });
    return outcome;
  } finally {
    // Released after extractor_finished is in the manifest: a reader that finds the
    // lock free also finds the record.
    await lock.release();
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
  const { profile, from, earlier } = item;
  const name = profile.name;
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
    const record = createFailedRecord(name, reason, {
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
    const checkpoint = result?.lastCheckpoint ?? await _lastCheckpoint(run.path, name);
    if (checkpoint !== null) artifacts.last_checkpoint = checkpoint;
    const metrics = _finiteMetrics(result?.metrics);
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
    const trainer = options.trainer ?? trainExtractor;
    const settings = context.prepared.scenario.settings;
    const result = await trainer({
      profile,
      settings,
      extractorDir,
      runDir: run.path,
      manifest,
      signal: options.signal,
      resumeFrom: from === null ? undefined : nodePath.join(run.path, from.checkpoint),
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
      duration_seconds: seconds(end),
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
    const record = failed(recordReason(failure), {
      artifacts,
      steps: Number.isInteger(step) && (step as number) >= 0 ? step as number : 0,
    });
    return { record, interrupted: false };
  }
}

/**
 * Work through the items in order: a kept record is reported as it is; a skip gets
 * its extractor_finished record; a training gets extractor_started, the trainer and
 * extractor_finished, holding the extractor's training lock throughout (an extractor
 * another process holds is left to it, with a warning). The summary is rewritten
 * after every training but the last item's. A signal stops the running extractor
 * (recorded as interrupted) and starts no further one.
 *
 * @param context The open run.
 * @param items Extractors in run order.
 * @returns Records, the ones written here, and whether a signal stopped the run.
 */
export async function runWorkItems(
  context: RunContext,
  items: readonly WorkItem[],
): Promise<WorkOutcome> {
  const logger = getSuiteLogger("train");
  const { options, manifest } = context;
  const records: ExtractorRunRecord[] = [];
  const written: ExtractorRunRecord[] = [];
  let interrupted = false;
  for (const [index, item] of items.entries()) {
    if (options.signal?.aborted) {
      interrupted = true;
      break;
    }
    let record: ExtractorRunRecord;
    if (item.kind === "keep") {
      records.push(item.record);
      continue;
    } else if (item.kind === "skip") {
      const { planned } = item;
      const problem = { reason: planned.reason ?? "Skipped", hint: planned.hint ?? "" };
      logExtractorSkipped(logger, planned.name, problem);
      record = createSkippedRecord(planned.name, recordReason(problem), {
        workerMode: context.workerMode,
        hardwareProfile: context.hardware,
      });
      await manifest.append({ event: "extractor_finished", extractor: planned.name, record });
    } else {
      collectGarbage(); // what the previous extractor and its summary left
      try {
        const outcome = await _train(context, item);
        record = outcome.record;
        interrupted = outcome.interrupted;
      } catch (error) {
        if (!(error instanceof LockBusyError)) throw error;
        logger.warn("{message}; left to it", { message: error.message });
        continue;
      }
    }
    records.push(record);
    written.push(record);
    options.onExtractorEnd?.(record);
    if (interrupted) break;
    // The final summary follows the last item; no need to write it twice.
    if (item.kind === "train" && index < items.length - 1) {
      try {
        await summarizeRun(context.run.path, { figures: options.figures, recordEvent: false });
      } catch (error) {
        logger.warn("Summary not updated after {extractor}: {message}", {
          extractor: record.config_name,
          message: (error as Error).message,
        });
      }
    }
  }
  return { records, written, interrupted };
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
  return await summarizeRun(context.run.path, {
    figures: context.options.figures,
    notes: resumeCommand === null ? [] : [`Run interrupted; resume with: ${resumeCommand}`],
  });
}
