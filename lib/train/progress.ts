/**
 * Progress of a comparison as text: one line per extractor update for logs
 * (`mlp_small: 2048/4096 steps (50%), 812 steps/s, ETA 3 s, last mean reward -0.52`),
 * and a throttle so that non-interactive output gets a line every few seconds rather
 * than one per PPO update. The interactive progress bars (cli-progress) live in the
 * train script.
 *
 * @module
 */
import type { TrainingProgress } from "./_boundary.ts";

export type { TrainingProgress };

/**
 * Seconds as a short duration: `42 s`, `3 min 05 s`, `1 h 02 min`; `?` when unknown.
 *
 * @param seconds Duration in seconds, or null.
 * @returns Text.
 */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")} min`;
}

/**
 * One progress line: name, steps done of total with the percentage (floored), steps
 * per second, ETA and the last mean reward (3 decimals; `n/a` before the first one).
 *
 * @param extractor Extractor name.
 * @param progress Progress reported by the trainer.
 * @returns e.g. `mlp_small: 2048/4096 steps (50%), 812 steps/s, ETA 3 s, last mean reward -0.520`.
 */
export function formatProgress(extractor: string, progress: TrainingProgress): string {
  const percent = progress.totalSteps > 0
    ? Math.floor((100 * Math.min(progress.steps, progress.totalSteps)) / progress.totalSteps)
    : 0;
  const fps = Number.isFinite(progress.fps) ? Math.round(progress.fps) : 0;
  const reward = progress.lastMeanReward === null || !Number.isFinite(progress.lastMeanReward)
    ? "n/a"
    : progress.lastMeanReward.toFixed(3);
  return `${extractor}: ${progress.steps}/${progress.totalSteps} steps (${percent}%), ` +
    `${fps} steps/s, ETA ${formatDuration(progress.etaSeconds)}, last mean reward ${reward}`;
}

/** Options of {@linkcode ProgressThrottle}. */
export interface ProgressThrottleOptions {
  /**
   * Least time between two lines of one extractor, ms.
   * @default 5000
   */
  intervalMs?: number;
  /**
   * Clock in ms.
   * @default performance.now
   */
  now?: () => number;
}

/**
 * Decides which progress updates become log lines: the first of each extractor, then
 * at most one per interval, and always the one that reaches the total.
 *
 * @example Log at most every 5 s
 * ```ts
 * const throttle = new ProgressThrottle();
 * const onProgress = (p: TrainingProgress) => {
 *   if (throttle.accept("mlp_small", p)) logger.info(formatProgress("mlp_small", p));
 * };
 * ```
 */
export class ProgressThrottle {
  #intervalMs: number;
  #now: () => number;
  #last = new Map<string, number>();

  /**
   * @param options Interval and clock.
   * @throws {RangeError} When the interval is negative or not finite.
   */
  constructor(options: ProgressThrottleOptions = {}) {
    this.#intervalMs = options.intervalMs ?? 5000;
    if (!(this.#intervalMs >= 0 && Number.isFinite(this.#intervalMs))) {
      throw new RangeError(
        `Progress interval must be a finite number >= 0, got ${options.intervalMs}`,
      );
    }
    this.#now = options.now ?? (() => performance.now());
  }

  /**
   * Whether this update should be shown.
   *
   * @param extractor Extractor name.
   * @param progress The update.
   * @returns True for the first update, the final one, and one per interval.
   */
  accept(extractor: string, progress: TrainingProgress): boolean {
    const now = this.#now();
    const last = this.#last.get(extractor);
    const done = progress.totalSteps > 0 && progress.steps >= progress.totalSteps;
    if (last === undefined || done || now - last >= this.#intervalMs) {
      this.#last.set(extractor, now);
      return true;
    }
    return false;
  }
}
