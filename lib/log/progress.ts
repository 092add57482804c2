/**
 * Training progress: what the trainer reports ({@linkcode TrainingProgress}), the
 * progress bars (cli-progress: one bar per extractor with env steps, env steps per
 * second, ETA and the last mean training-episode reward; silent when stdout is not a
 * terminal or with `--quiet`), and the same as text for logs, one line per extractor
 * update (`mlp_small: 2048/4096 steps (50%), 812 steps/s, ETA 3s, last mean reward
 * -0.520`) with a throttle so that non-interactive output gets a line every few
 * seconds rather than one per PPO update.
 *
 * @module
 */
import cliProgress from "cli-progress";
import process from "node:process";

/** Progress of one extractor's training, for progress bars. */
export interface TrainingProgress {
  /** Env steps trained. */
  steps: number;
  /** Env steps the run will have trained at its end (total_timesteps in whole rollouts). */
  totalSteps: number;
  /** Env steps per second in this process (including updates). */
  fps: number;
  /** Estimated seconds left, or null before the rate is known. */
  etaSeconds: number | null;
  /** Mean return of the last (up to 100) training episodes, or null. */
  lastMeanReward: number | null;
  /** Mean reward of the last evaluation, or null. */
  lastEvalReward: number | null;
  /** True once training has finished. */
  done: boolean;
}

/** The stream the bars are drawn on: a Node-style writable with `isTTY`. */
export interface ProgressStream {
  /** True for a terminal; bars are drawn only then. @default false */
  isTTY?: boolean;
  /** Terminal width in columns. @default 80 */
  columns?: number;
  /** Write text. */
  write(chunk: string): boolean;
}

/** Options of {@linkcode createProgressDisplay}. */
export interface ProgressDisplayOptions {
  /** Draw nothing (`--quiet`). @default false */
  quiet?: boolean;
  /** Where to draw. @default process.stdout */
  stream?: ProgressStream;
}

/** Progress bars of a run. */
export interface ProgressDisplay {
  /** Whether bars are drawn (a terminal and not quiet). */
  readonly active: boolean;
  /**
   * Add a bar for one extractor.
   * @param name Extractor name.
   * @param totalSteps Env steps to train.
   * @returns The `onProgress` receiver for `trainExtractor`.
   */
  extractor(name: string, totalSteps: number): (progress: TrainingProgress) => void;
  /**
   * Print a line above the bars (e.g. a log message) without breaking them.
   * @param text The line (a newline is added when missing).
   * @returns False when the display is silent (print it elsewhere).
   */
  log(text: string): boolean;
  /** Stop drawing (leaves the final bars on screen). */
  stop(): void;
}

/** `12s`, `3m05s`, `1h02m`. */
export function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return "--";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor(s / 60) % 60).padStart(2, "0")}m`;
}

function _payload(name: string, p: TrainingProgress | null) {
  const reward = p?.lastMeanReward;
  return {
    name,
    fps: p ? Math.round(p.fps) : 0,
    remaining: p ? formatEta(p.etaSeconds) : "--",
    reward: reward === null || reward === undefined ? "n/a" : reward.toFixed(3),
  };
}

/**
 * Progress bars for a run's extractors, or a silent display when the stream is
 * not a terminal or `quiet` is set.
 * @example One bar per extractor
 * ```ts
 * const display = createProgressDisplay({ quiet: flags.quiet });
 * await trainExtractor({ ...options, onProgress: display.extractor(name, total) });
 * display.stop();
 * ```
 */
export function createProgressDisplay(options: ProgressDisplayOptions = {}): ProgressDisplay {
  const stream = options.stream ?? (process.stdout as unknown as ProgressStream);
  if (options.quiet || stream.isTTY !== true) {
    return { active: false, extractor: () => () => {}, log: () => false, stop: () => {} };
  }
  const bars = new cliProgress.MultiBar({
    stream: stream as never,
    format:
      "{name} |{bar}| {percentage}% {value}/{total} steps | {fps} steps/s | ETA {remaining} | reward {reward} (training)",
    barsize: 24,
    hideCursor: true,
    clearOnComplete: false,
    stopOnComplete: false,
    autopadding: true,
    fps: 5,
    // Redraw every bar each time: a line logged above the bars clears the line a bar
    // was on, and an unchanged bar would otherwise not be drawn again (a blank or a
    // stale duplicate line).
    forceRedraw: true,
  }, cliProgress.Presets.shades_classic);
  const width = { name: 0 };
  let stopped = false;
  return {
    active: true,
    extractor(name, totalSteps) {
      width.name = Math.max(width.name, name.length);
      const bar = bars.create(totalSteps, 0, _payload(name.padEnd(width.name), null));
      return (p) => {
        bar.setTotal(Math.max(p.totalSteps, p.steps));
        bar.update(p.steps, _payload(name.padEnd(width.name), p));
      };
    },
    log(text) {
      if (stopped) return false;
      bars.log(text.endsWith("\n") ? text : `${text}\n`);
      bars.update(); // redraw now: the line goes above the bars at once
      return true;
    },
    stop() {
      if (stopped) return;
      stopped = true;
      bars.stop();
    },
  };
}

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
   * Create a ProgressThrottle.
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
