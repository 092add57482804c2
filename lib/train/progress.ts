/**
 * Progress of a comparison as text: one line per extractor update for logs
 * (`mlp_small: 2048/4096 steps (50%), 812 steps/s, ETA 3s, last mean reward -0.520`),
 * and a throttle so that non-interactive output gets a line every few seconds rather
 * than one per PPO update. The interactive progress bars are lib/log's
 * createProgressDisplay.
 *
 * @module
 */
import { formatEta } from "../log/progress.ts";
import type { TrainingProgress } from "../log/mod.ts";

export type { TrainingProgress };

/**
 * One progress line: name, steps done of total with the percentage (floored), steps
 * per second, ETA and the last mean reward (3 decimals; `n/a` before the first one).
 *
 * @param extractor Extractor name.
 * @param progress Progress reported by the trainer.
 * @returns e.g. `mlp_small: 2048/4096 steps (50%), 812 steps/s, ETA 3s, last mean reward -0.520`.
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
    `${fps} steps/s, ETA ${formatEta(progress.etaSeconds)}, last mean reward ${reward}`;
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
 * at most one per interval, and the first that reaches the total (later ones, e.g.
 * after the final evaluation, are dropped).
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
  #finished = new Set<string>();

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
   * @returns True for the first update, the first final one, and one per interval.
   */
  accept(extractor: string, progress: TrainingProgress): boolean {
    const now = this.#now();
    const last = this.#last.get(extractor);
    const done = progress.totalSteps > 0 && progress.steps >= progress.totalSteps;
    if (done) {
      if (this.#finished.has(extractor)) return false;
      this.#finished.add(extractor);
    }
    if (last === undefined || done || now - last >= this.#intervalMs) {
      this.#last.set(extractor, now);
      return true;
    }
    return false;
  }
}
