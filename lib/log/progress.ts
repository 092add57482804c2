/**
 * Training progress bars (cli-progress): one bar per extractor with env steps,
 * env steps per second, ETA and the last mean training-episode reward. Silent when
 * stdout is not a terminal or with `--quiet`; the run log keeps the numbers.
 *
 * @module
 */
import cliProgress from "cli-progress";
import process from "node:process";
import type { TrainingProgress } from "../rl/callbacks.ts";

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
      "{name} |{bar}| {percentage}% {value}/{total} steps | {fps} steps/s | ETA {remaining} | reward {reward}",
    barsize: 24,
    hideCursor: true,
    clearOnComplete: false,
    stopOnComplete: false,
    autopadding: true,
    fps: 5,
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
