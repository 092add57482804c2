/**
 * Training callbacks: small objects the PPO trainer calls at fixed points, as
 * Stable-Baselines3's callbacks (stable_baselines3/common/callbacks.py). The
 * trainer does not know what they write.
 *
 * - {@linkcode EvalCallback}: deterministic evaluation every `evalFreq` vector-env
 *   steps, `eval_history.jsonl`, `best_model.onnx` on improvement.
 * - {@linkcode CheckpointCallback}: a trainer checkpoint every `saveFreq` vector-env steps.
 * - {@linkcode TrainLogCallback}: one `train_log.jsonl` line per PPO update (SB3 keys).
 * - {@linkcode ProgressCallback}: steps, fps, ETA and mean reward for a progress bar.
 *
 * Frequencies count calls, one per vector-env step (`num_envs` env steps), as SB3's
 * `n_calls`; the reference passes `eval_freq // n_envs` and `save_freq // n_envs`.
 *
 * @module
 */
import * as nodePath from "node:path";
import { readInputFile } from "../internal/input_file.ts";
import { assertNoSymlinks } from "../internal/safe_path.ts";
import { getSuiteLogger } from "../log/mod.ts";
import type { TrainingProgress } from "../log/progress.ts";
import {
  appendEvaluation,
  checkEvaluationPoint,
  type EvaluationPoint,
  writeTextFileAtomic,
} from "../run/mod.ts";
import type { RobotEnv } from "../sim/mod.ts";
import { writeOnnx } from "../nn/mod.ts";
import { evaluatePolicy, type EvaluationResult } from "./evaluation.ts";
import type { PpoPolicy } from "./policy.ts";
import { checkpointFileName } from "./checkpoint.ts";

export type { TrainingProgress };

/** What callbacks see of the trainer. */
export interface CallbackContext {
  /** Env steps so far, all envs together (SB3 `num_timesteps`). */
  readonly numTimesteps: number;
  /** Env steps to train (the loop stops at the first rollout end at or past it). */
  readonly totalTimesteps: number;
  /**
   * Env steps the run has trained when it ends: `totalTimesteps` rounded up to whole
   * rollouts (`n_steps` x envs), as SB3's learn loop.
   */
  readonly plannedTimesteps: number;
  /** Completed rollouts (SB3 `iteration`). */
  readonly iteration: number;
  /** Envs stepped side by side. */
  readonly numEnvs: number;
  /** True on the last step of a rollout: the rollout buffer is full and the update follows. */
  readonly rolloutFull: boolean;
  /** Mean return of the last (up to 100) training episodes, or null before the first ends. */
  readonly episodeRewardMean: number | null;
  /** Wall-clock seconds of training in this process. */
  readonly elapsedSeconds: number;
  /** Env steps trained in this process (for fps). */
  readonly stepsThisSession: number;
  /**
   * Write a checkpoint of the complete training state (atomic).
   * @returns Size and SHA-256 (hex) of the file.
   */
  saveCheckpoint(path: string): Promise<{ bytes: number; sha256: string }>;
}

/** One `train_log.jsonl` record: SB3 logger keys to numbers (null: not a number, e.g. NaN). */
export type UpdateRecord = Record<string, number | null>;

/** A training callback; every hook is optional. */
export interface TrainingCallback {
  /** Key of this callback's state in checkpoints (unique per trainer). */
  readonly name: string;
  /** Before the first rollout (also after a resume). */
  onTrainingStart?(ctx: CallbackContext): void | Promise<void>;
  /** After every vector-env step, once the transition is stored. */
  onStep?(ctx: CallbackContext): void | Promise<void>;
  /** After a rollout is complete and GAE computed. */
  onRolloutEnd?(ctx: CallbackContext): void | Promise<void>;
  /** After each PPO update, with its log record. */
  onUpdateEnd?(ctx: CallbackContext, record: UpdateRecord): void | Promise<void>;
  /** After the last update (not on interruption). */
  onTrainingEnd?(ctx: CallbackContext): void | Promise<void>;
  /** JSON-serialisable state for checkpoints. */
  state?(): unknown;
  /** Restore from {@linkcode TrainingCallback.state} (e.g. truncate its files to match). */
  restore?(state: unknown): void | Promise<void>;
}

/** One line of `eval_history.jsonl`. */
export interface EvaluationRecord extends EvaluationPoint {
  /** Episodes evaluated. */
  n_episodes: number;
  /** Mean episode length, steps. */
  mean_ep_length: number;
  /** Standard deviation of the episode length, steps. */
  std_ep_length: number;
  /** Fraction of episodes that reached the goal. */
  success_rate: number;
  /** Fraction of episodes that ended in a collision. */
  collision_rate: number;
  /** Whether this evaluation set a new best mean reward (best_model.onnx written). */
  new_best: boolean;
  /**
   * Social-navigation aggregates (lib/sim `NavAggregate` keys, e.g. snqi,
   * timeout_rate, near_miss_rate); undefined values are null. Absent in
   * histories written before they existed.
   */
  navigation?: Record<string, number | null>;
}

/** Options of {@linkcode EvalCallback}. */
export interface EvalCallbackOptions {
  /** The policy under training. */
  policy: PpoPolicy;
  /** The evaluation env (separate from the training envs). */
  env: RobotEnv;
  /** Evaluate every this many vector-env steps (>= 1). */
  evalFreq: number;
  /** One env seed per evaluation episode (see `evaluationSeeds`). */
  seeds: readonly number[];
  /** `eval_history.jsonl` path. */
  historyPath: string;
  /** `best_model.onnx` path. */
  bestModelPath: string;
  /** ONNX metadata for best_model.onnx at a timestep. */
  modelMetadata: (timestep: number) => Record<string, string>;
  /**
   * Run one evaluation at the end of training when none has run (so short runs
   * still get metrics and a best model). @default true
   */
  evaluateAtEndIfNone?: boolean;
  /**
   * Called after each evaluation is recorded (e.g. to append a manifest event), with the
   * record and the evaluation's episodes. @default none
   */
  onEvaluation?: (record: EvaluationRecord, result: EvaluationResult) => void | Promise<void>;
  /** Evaluate the action means (SB3's default) or sampled actions. @default true */
  deterministic?: boolean;
  /** Near-miss clearance of the navigation metrics, m. @default 0.5 */
  comfortDistance?: number;
}

/** Checkpointed state of an {@linkcode EvalCallback}. */
export interface EvalCallbackState {
  /** Calls so far. */
  nCalls: number;
  /** Best mean reward, or null before the first evaluation. */
  best: number | null;
  /** Last mean reward, or null. */
  last: number | null;
  /** Last evaluation, or null. */
  lastRecord: EvaluationRecord | null;
  /** Evaluations written to eval_history.jsonl. */
  count: number;
  /**
   * The lines written to eval_history.jsonl (without newlines), so that resume can
   * rebuild a garbled one; absent in checkpoints of earlier versions.
   */
  history?: string[];
}

/**
 * Deterministic evaluation every `evalFreq` calls (SB3 `EvalCallback`): mean and
 * std reward, mean episode length, success and collision rate; appends to
 * `eval_history.jsonl` and writes `best_model.onnx` when the mean reward beats the
 * best so far.
 */
export class EvalCallback implements TrainingCallback {
  #seconds = 0;
  /** Checkpoint key. */
  readonly name = "eval";
  #o: EvalCallbackOptions;
  #nCalls = 0;
  #best = -Infinity;
  #last = -Infinity;
  #lastRecord: EvaluationRecord | null = null;
  #count = 0;
  #history: string[] = [];

  /**
   * Create the callback.
   * @param options Env, policy, frequency, seeds, output paths.
   * @throws {RangeError} When evalFreq is not a positive integer or seeds is empty.
   */
  constructor(options: EvalCallbackOptions) {
    if (!Number.isInteger(options.evalFreq) || options.evalFreq < 1) {
      throw new RangeError(`evalFreq must be a positive integer, got ${options.evalFreq}`);
    }
    if (options.seeds.length === 0) throw new RangeError("EvalCallback needs at least one seed");
    this.#o = options;
  }

  /** Best mean reward so far (-Infinity before the first evaluation). */
  get bestMeanReward(): number {
    return this.#best;
  }

  /** Mean reward of the last evaluation (-Infinity before the first). */
  get lastMeanReward(): number {
    return this.#last;
  }

  /** The last evaluation's record, or null. */
  get lastRecord(): EvaluationRecord | null {
    return this.#lastRecord;
  }

  /** Evaluations run so far. */
  get evaluations(): number {
    return this.#count;
  }

  /** Wall-clock seconds this process spent in evaluations (episodes and best-model writes). */
  get evaluationSeconds(): number {
    return this.#seconds;
  }

  /** Evaluate on every `evalFreq`-th call. */
  async onStep(ctx: CallbackContext): Promise<void> {
    this.#nCalls++;
    if (this.#nCalls % this.#o.evalFreq === 0) await this.evaluate(ctx.numTimesteps);
  }

  /** Evaluate the final policy when no evaluation has run. */
  async onTrainingEnd(ctx: CallbackContext): Promise<void> {
    if (this.#count === 0 && (this.#o.evaluateAtEndIfNone ?? true)) {
      await this.evaluate(ctx.numTimesteps);
    }
  }

  /**
   * Run an evaluation now and record it.
   * @param timestep Env steps trained so far.
   * @returns The evaluation.
   */
  async evaluate(timestep: number): Promise<EvaluationResult> {
    const started = performance.now();
    try {
      return await this.#evaluate(timestep);
    } finally {
      this.#seconds += (performance.now() - started) / 1000;
    }
  }

  async #evaluate(timestep: number): Promise<EvaluationResult> {
    const result = await evaluatePolicy(this.#o.policy, {
      env: this.#o.env,
      seeds: this.#o.seeds,
      deterministic: this.#o.deterministic,
      comfortDistance: this.#o.comfortDistance,
    });
    const improved = result.meanReward > this.#best;
    if (improved) {
      await writeOnnx(
        this.#o.bestModelPath,
        this.#o.policy.exportOnnx(this.#o.modelMetadata(timestep)),
      );
      this.#best = result.meanReward;
    }
    this.#last = result.meanReward;
    const record: EvaluationRecord = {
      timestep,
      mean_reward: result.meanReward,
      std_reward: result.stdReward,
      n_episodes: result.episodes.length,
      mean_ep_length: result.meanEpLength,
      std_ep_length: result.stdEpLength,
      success_rate: result.successRate,
      collision_rate: result.collisionRate,
      new_best: improved,
      navigation: Object.fromEntries(
        Object.entries(result.navigation).map(([k, v]) => [k, Number.isFinite(v) ? v : null]),
      ),
    };
    await appendEvaluation(this.#o.historyPath, record);
    this.#history.push(JSON.stringify(record));
    this.#count++;
    this.#lastRecord = record;
    await this.#o.onEvaluation?.(record, result);
    return result;
  }

  /** Counters, best and last reward, number of history lines. */
  state(): EvalCallbackState {
    return {
      nCalls: this.#nCalls,
      best: Number.isFinite(this.#best) ? this.#best : null,
      last: Number.isFinite(this.#last) ? this.#last : null,
      lastRecord: this.#lastRecord,
      count: this.#count,
      history: [...this.#history],
    };
  }

  /** Restore counters and cut `eval_history.jsonl` back to the evaluations the state knows. */
  async restore(state: unknown): Promise<void> {
    const s = state as EvalCallbackState;
    this.#nCalls = s.nCalls;
    this.#best = s.best ?? -Infinity;
    this.#last = s.last ?? -Infinity;
    this.#lastRecord = s.lastRecord;
    this.#count = s.count;
    this.#history = await truncateLines(this.#o.historyPath, s.count, {
      check: (line) => {
        try {
          checkEvaluationPoint(JSON.parse(line), this.#o.historyPath);
          return true;
        } catch {
          return false;
        }
      },
      rebuild: (index) => s.history?.[index] ?? null,
    });
  }
}

/** Where a checkpoint was written. */
export interface CheckpointInfo {
  /** Absolute path. */
  path: string;
  /** Env steps trained when it was taken. */
  step: number;
  /** SHA-256 (hex) of the file. */
  sha256: string;
  /** File size in bytes. */
  bytes: number;
}

/** Options of {@linkcode CheckpointCallback}. */
export interface CheckpointCallbackOptions {
  /** Write a checkpoint every this many vector-env steps (>= 1). */
  saveFreq: number;
  /** Directory of the checkpoint files (`checkpoint_<step>_steps.ckpt`). */
  dir: string;
  /** Called after each checkpoint is written (e.g. to append a manifest event). @default none */
  onCheckpoint?: (info: CheckpointInfo) => void | Promise<void>;
}

/**
 * A trainer checkpoint every `saveFreq` calls (SB3 `CheckpointCallback`). A
 * checkpoint due on the last step of a rollout is written right after that
 * rollout's update: the state then holds no rollout rows, so the file stays small
 * (parameters, Adam state and a few kilobytes of trainer state).
 *
 * Put it after every callback that has state (evaluation, train log): the trainer
 * calls callbacks in order, and a checkpoint must capture what the callbacks before
 * it did at the same step, or a resume from it loses their work for that step.
 */
export class CheckpointCallback implements TrainingCallback {
  /** Checkpoint key. */
  readonly name = "checkpoint";
  #o: CheckpointCallbackOptions;
  #nCalls = 0;
  #pending = false;
  #written: CheckpointInfo[] = [];

  /**
   * Create the callback.
   * @param options Frequency, directory, notification hook.
   * @throws {RangeError} When saveFreq is not a positive integer.
   */
  constructor(options: CheckpointCallbackOptions) {
    if (!Number.isInteger(options.saveFreq) || options.saveFreq < 1) {
      throw new RangeError(`saveFreq must be a positive integer, got ${options.saveFreq}`);
    }
    this.#o = options;
  }

  /** Checkpoints written by this object (this process). */
  get written(): readonly CheckpointInfo[] {
    return this.#written;
  }

  /** Save on every `saveFreq`-th call (after the update when the rollout is full). */
  async onStep(ctx: CallbackContext): Promise<void> {
    this.#nCalls++;
    if (this.#nCalls % this.#o.saveFreq !== 0) return;
    if (ctx.rolloutFull) this.#pending = true;
    else await this.save(ctx);
  }

  /** Write a deferred checkpoint. */
  async onUpdateEnd(ctx: CallbackContext): Promise<void> {
    if (this.#pending) {
      this.#pending = false;
      await this.save(ctx);
    }
  }

  /**
   * Write a checkpoint of the current state now.
   * @returns Where it went.
   */
  async save(ctx: CallbackContext): Promise<CheckpointInfo> {
    const path = nodePath.join(this.#o.dir, checkpointFileName(ctx.numTimesteps));
    const { sha256, bytes } = await ctx.saveCheckpoint(path);
    const info = { path, step: ctx.numTimesteps, sha256, bytes };
    this.#written.push(info);
    await this.#o.onCheckpoint?.(info);
    return info;
  }

  /** Call counter and a deferred save. */
  state(): { nCalls: number; pending: boolean } {
    return { nCalls: this.#nCalls, pending: this.#pending };
  }

  /** Restore the call counter and deferred save. */
  restore(state: unknown): void {
    const s = state as { nCalls: number; pending: boolean };
    this.#nCalls = s.nCalls;
    this.#pending = s.pending;
  }
}

/**
 * Appends one JSON line per PPO update to `train_log.jsonl` with SB3's logger keys
 * (`rollout/ep_rew_mean`, `train/loss`, `time/fps`, ...), flushed to disk.
 */
export class TrainLogCallback implements TrainingCallback {
  /** Checkpoint key. */
  readonly name = "train_log";
  #path: string;
  #lines = 0;

  /**
   * Create the callback.
   * @param path `train_log.jsonl` path (created or appended to).
   */
  constructor(path: string) {
    this.#path = path;
  }

  /** Append the update's record. */
  async onUpdateEnd(_ctx: CallbackContext, record: UpdateRecord): Promise<void> {
    await appendLine(this.#path, JSON.stringify(record));
    this.#lines++;
  }

  /** Lines written. */
  state(): { lines: number } {
    return { lines: this.#lines };
  }

  /**
   * Cut the file back to the lines the state knows. A garbled kept line (not a JSON
   * object) cannot be recomputed: it is replaced by `{"garbled_line":<n>}`, so the
   * line count stays right, with a warning.
   */
  async restore(state: unknown): Promise<void> {
    this.#lines = (state as { lines: number }).lines;
    await truncateLines(this.#path, this.#lines, {
      check: _isJsonObjectLine,
      rebuild: (index) => JSON.stringify({ garbled_line: index + 1 }),
    });
  }
}

/** Options of {@linkcode ProgressCallback}. */
export interface ProgressCallbackOptions {
  /** Receives progress. */
  onProgress: (progress: TrainingProgress) => void;
  /** Latest evaluation mean reward, or null. @default () => null */
  lastEvalReward?: () => number | null;
  /** Minimum milliseconds between reports during rollouts. @default 250 */
  intervalMs?: number;
}

/** Reports progress at most every `intervalMs` during rollouts and after every update. */
export class ProgressCallback implements TrainingCallback {
  /** Checkpoint key. */
  readonly name = "progress";
  #o: ProgressCallbackOptions;
  #next = 0;

  /**
   * Create the callback.
   * @param options Receiver and rate.
   */
  constructor(options: ProgressCallbackOptions) {
    this.#o = options;
  }

  #report(ctx: CallbackContext, done: boolean) {
    const fps = ctx.elapsedSeconds > 0 ? ctx.stepsThisSession / ctx.elapsedSeconds : 0;
    const left = Math.max(0, ctx.plannedTimesteps - ctx.numTimesteps);
    this.#o.onProgress({
      steps: ctx.numTimesteps,
      totalSteps: ctx.plannedTimesteps,
      fps,
      etaSeconds: done ? 0 : fps > 0 ? left / fps : null,
      lastMeanReward: ctx.episodeRewardMean,
      lastEvalReward: this.#o.lastEvalReward?.() ?? null,
      done,
    });
  }

  /** Throttled report. */
  onStep(ctx: CallbackContext): void {
    const now = performance.now();
    if (now < this.#next) return;
    this.#next = now + (this.#o.intervalMs ?? 250);
    this.#report(ctx, false);
  }

  /** Report after each update. */
  onUpdateEnd(ctx: CallbackContext): void {
    this.#report(ctx, false);
  }

  /** Final report. */
  onTrainingEnd(ctx: CallbackContext): void {
    this.#report(ctx, true);
  }
}

/**
 * Append one line and flush it to disk.
 * @param path File (created when missing).
 * @param line Text without the newline.
 */
export async function appendLine(path: string, line: string): Promise<void> {
  await assertNoSymlinks(path);
  const file = await Deno.open(path, { append: true, create: true });
  try {
    const bytes = new TextEncoder().encode(`${line}\n`);
    let offset = 0;
    while (offset < bytes.length) offset += await file.write(bytes.subarray(offset));
    await file.sync();
  } finally {
    file.close();
  }
}

function _isJsonObjectLine(line: string): boolean {
  try {
    const value = JSON.parse(line);
    return value !== null && typeof value === "object" && !Array.isArray(value);
  } catch {
    return false;
  }
}

/** Options of {@linkcode truncateLines}. */
export interface TruncateLinesOptions {
  /** Whether a kept line is intact (e.g. parses as the record it should be). */
  check?: (line: string) => boolean;
  /** The intact text of kept line `index` (0-based), or null when it cannot be rebuilt. */
  rebuild?: (index: number) => string | null;
}

/**
 * Keep the first `keep` complete lines of a text file (atomic rewrite); a missing
 * file stays missing when `keep` is 0. With `check`, a kept line that fails it is
 * garbled: it is replaced by `rebuild(index)` (a warning names the file and line), or
 * kept with a warning when it cannot be rebuilt.
 * @returns The kept lines (rebuilt ones included), without newlines.
 * @throws {RangeError} When the file has fewer complete lines than `keep`.
 */
export async function truncateLines(
  path: string,
  keep: number,
  options: TruncateLinesOptions = {},
): Promise<string[]> {
  let text: string;
  try {
    text = new TextDecoder().decode(
      await readInputFile(path, { kind: "jsonl", nativeNotFound: true }),
    );
  } catch (error) {
    if (error instanceof Deno.errors.NotFound && keep === 0) return [];
    throw error;
  }
  const lines = text.split("\n");
  lines.pop(); // the part after the last newline (empty, or a torn line)
  if (lines.length < keep) {
    throw new RangeError(`${path} has ${lines.length} lines, the checkpoint expects ${keep}`);
  }
  const kept = lines.slice(0, keep);
  let repaired = false;
  if (options.check !== undefined) {
    kept.forEach((line, index) => {
      if (options.check!(line)) return;
      const rebuilt = options.rebuild?.(index) ?? null;
      getSuiteLogger("train").warn(
        "{path} line {line} is garbled; " +
          (rebuilt === null ? "it cannot be rebuilt and is kept" : "it was rebuilt"),
        { path, line: index + 1 },
      );
      if (rebuilt !== null) {
        kept[index] = rebuilt;
        repaired = true;
      }
    });
  }
  if (!repaired && lines.length === keep && text.endsWith("\n")) return kept;
  await writeTextFileAtomic(path, kept.map((l) => `${l}\n`).join(""));
  return kept;
}
