/**
 * Stable-Baselines3-compatible logs of one training run, written as training goes:
 *
 * - `tensorboard/events.out.tfevents.*`: every train_log scalar under SB3's tag
 *   (`rollout/ep_rew_mean`, `train/approx_kl`, ...) and `eval/mean_reward`,
 *   `eval/mean_ep_length`, `eval/success_rate` at step `time/total_timesteps`
 *   (SB3 excludes `time/total_timesteps` itself from TensorBoard);
 * - `progress.csv`: SB3's CSV logger, one row per PPO update and one per evaluation (SB3's
 *   `EvalCallback` dumps the logger after each evaluation);
 * - `eval_logs/evaluations.npz`: SB3 `EvalCallback`'s arrays `timesteps` [n] int64,
 *   `results` [n, episodes] float64 returns, `ep_lengths` [n, episodes] int64 and
 *   `successes` [n, episodes] bool, rewritten after each evaluation.
 *
 * Checkpoints hold the state (CSV keys and rows, event file length, evaluation arrays), so a
 * resumed run cuts the files back to the checkpoint and neither loses nor repeats a row or
 * an event.
 *
 * @module
 */
import * as nodePath from "node:path";
import {
  encodeNpz,
  EventFileWriter,
  type ProgressCsvState,
  ProgressCsvWriter,
  type ScalarValue,
} from "../log/mod.ts";
import { writeFileAtomic } from "../internal/atomic_write.ts";
import { mkdirNoFollow } from "../internal/safe_path.ts";
import type {
  CallbackContext,
  EvaluationRecord,
  TrainingCallback,
  UpdateRecord,
} from "./callbacks.ts";
import type { EvaluationResult } from "./evaluation.ts";

/** File and folder names of the SB3 logs inside a training directory. */
export const SB3_LOG_FILES = {
  tensorboard: "tensorboard",
  progress: "progress.csv",
  evalLogs: "eval_logs",
  evaluations: "eval_logs/evaluations.npz",
} as const;

/** Name of the event file (TensorBoard reads files whose name holds `tfevents`). */
export const EVENT_FILE_NAME = "events.out.tfevents.multi-extractor";

/** SB3's step key, the x axis of every scalar. */
const STEP_KEY = "time/total_timesteps";

/** Checkpointed state of an {@linkcode Sb3LogCallback}. */
export interface Sb3LogState {
  /** progress.csv header and rows. */
  csv: ProgressCsvState;
  /** Bytes of the event file. */
  eventBytes: number;
  /** Evaluation arrays so far. */
  evaluations: {
    timesteps: number[];
    results: number[][];
    ep_lengths: number[][];
    successes: boolean[][];
  };
}

/** Writes the SB3 logs of one training directory; see the module docs. */
export class Sb3LogCallback implements TrainingCallback {
  /** Checkpoint key. */
  readonly name = "sb3_logs";
  #dir: string;
  #csv: ProgressCsvWriter | null = null;
  #events: EventFileWriter | null = null;
  #evals: Sb3LogState["evaluations"] = {
    timesteps: [],
    results: [],
    ep_lengths: [],
    successes: [],
  };

  /**
   * Create the callback; the files are opened when training starts (or a checkpoint is restored).
   * @param dir Training directory (the files go below it).
   */
  constructor(dir: string) {
    this.#dir = dir;
  }

  /** Paths of the files, for the run's artifact list. */
  get paths(): { tensorboard: string; progress: string; evaluations: string } {
    return {
      tensorboard: nodePath.join(this.#dir, SB3_LOG_FILES.tensorboard),
      progress: nodePath.join(this.#dir, SB3_LOG_FILES.progress),
      evaluations: nodePath.join(this.#dir, SB3_LOG_FILES.evaluations),
    };
  }

  /** Evaluations recorded so far. */
  get evaluations(): number {
    return this.#evals.timesteps.length;
  }

  async #open(state?: Sb3LogState): Promise<void> {
    if (this.#csv !== null && state === undefined) return;
    await mkdirNoFollow(this.paths.tensorboard);
    await mkdirNoFollow(nodePath.join(this.#dir, SB3_LOG_FILES.evalLogs));
    this.#csv = await ProgressCsvWriter.open(this.paths.progress, state?.csv);
    this.#events = await EventFileWriter.open(
      nodePath.join(this.paths.tensorboard, EVENT_FILE_NAME),
      { keepBytes: state?.eventBytes ?? 0 },
    );
  }

  /** Start the files (a fresh run) unless a restore opened them. */
  async onTrainingStart(_ctx: CallbackContext): Promise<void> {
    await this.#open();
  }

  /** One CSV row and the update's scalars. */
  async onUpdateEnd(ctx: CallbackContext, record: UpdateRecord): Promise<void> {
    await this.#open();
    const step = record[STEP_KEY] ?? ctx.numTimesteps;
    await this.#csv!.write(record);
    const scalars: ScalarValue[] = [];
    for (const [tag, value] of Object.entries(record)) {
      if (tag !== STEP_KEY && value !== null) scalars.push({ tag, value });
    }
    await this.#events!.addScalars(step, scalars);
  }

  /**
   * Record an evaluation (call from the evaluation callback's `onEvaluation`): a CSV row,
   * its `eval/*` scalars, and the rewritten evaluations.npz.
   */
  async recordEvaluation(record: EvaluationRecord, result: EvaluationResult): Promise<void> {
    await this.#open();
    const row = {
      "eval/mean_ep_length": record.mean_ep_length,
      "eval/mean_reward": record.mean_reward,
      "eval/success_rate": record.success_rate,
    };
    await this.#csv!.write({ ...row, [STEP_KEY]: record.timestep });
    await this.#events!.addScalars(
      record.timestep,
      Object.entries(row).map(([tag, value]) => ({ tag, value })),
    );
    this.#evals.timesteps.push(record.timestep);
    this.#evals.results.push(result.episodes.map((e) => e.reward));
    this.#evals.ep_lengths.push(result.episodes.map((e) => e.length));
    this.#evals.successes.push(result.episodes.map((e) => e.success));
    await this.#writeNpz();
  }

  async #writeNpz(): Promise<void> {
    const e = this.#evals;
    const n = e.timesteps.length;
    if (n === 0) {
      await Deno.remove(this.paths.evaluations).catch(() => {});
      return;
    }
    const width = e.results[0].length;
    if (e.results.some((r) => r.length !== width)) {
      throw new RangeError("evaluations.npz: every evaluation must have the same episode count");
    }
    await writeFileAtomic(
      this.paths.evaluations,
      encodeNpz({
        timesteps: { dtype: "<i8", shape: [n], data: e.timesteps },
        results: { dtype: "<f8", shape: [n, width], data: e.results.flat() },
        ep_lengths: { dtype: "<i8", shape: [n, width], data: e.ep_lengths.flat() },
        successes: { dtype: "|b1", shape: [n, width], data: e.successes.flat().map(Number) },
      }),
    );
  }

  /** CSV header and rows, event file length, evaluation arrays. */
  state(): Sb3LogState {
    return {
      csv: this.#csv?.state() ?? { keys: [], rows: 0 },
      eventBytes: this.#events?.bytes ?? 0,
      evaluations: structuredClone(this.#evals),
    };
  }

  /** Cut the files back to the checkpoint's state and continue them. */
  async restore(state: unknown): Promise<void> {
    const s = state as Sb3LogState;
    this.#evals = structuredClone(s.evaluations);
    await this.#open(s);
    await this.#writeNpz();
  }
}
