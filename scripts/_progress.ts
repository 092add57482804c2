/**
 * Progress display of the train script: one cli-progress bar per extractor on stdout
 * (steps, fps, ETA, last mean reward) when stdout is a terminal, else throttled log
 * lines; nothing with --quiet.
 *
 * @module
 */
import process from "node:process";
import cliProgress from "cli-progress";
import type { Logger } from "../lib/log/mod.ts";
import {
  formatDuration,
  formatProgress,
  ProgressThrottle,
  type TrainingProgress,
} from "../lib/train/mod.ts";

/** Shows the progress of a comparison. */
export interface ProgressDisplay {
  /** An extractor starts training. */
  start(extractor: string, totalSteps: number): void;
  /** The running extractor reports progress. */
  update(extractor: string, progress: TrainingProgress): void;
  /** The extractor finished (any status). */
  finish(extractor: string): void;
  /** Write a console line without breaking the bars; false when not shown by this display. */
  write(text: string): boolean;
  /** Stop drawing (restores the cursor). */
  stop(): void;
}

// deno-lint-ignore no-explicit-any
type _Bar = any;

function _payload(progress: TrainingProgress | null) {
  return {
    fps: progress === null ? "0" : String(Math.round(progress.fps)),
    eta: formatDuration(progress?.etaSeconds ?? null),
    reward: progress?.lastMeanReward === null || progress?.lastMeanReward === undefined ||
        !Number.isFinite(progress.lastMeanReward)
      ? "n/a"
      : progress.lastMeanReward.toFixed(3),
  };
}

/**
 * One bar per extractor on stdout, with ETA and last mean reward from the trainer.
 *
 * @returns The display.
 */
export function createBarDisplay(): ProgressDisplay {
  const multibar = new cliProgress.MultiBar({
    stream: process.stdout,
    format: "{extractor} [{bar}] {percentage}% | {value}/{total} steps | {fps} steps/s | " +
      "ETA {eta} | last mean reward {reward}",
    hideCursor: true,
    clearOnComplete: false,
    stopOnComplete: false,
    autopadding: true,
    fps: 5,
  }, cliProgress.Presets.shades_classic);
  const bars = new Map<string, _Bar>();
  let active = false;
  return {
    start(extractor, totalSteps) {
      active = true;
      bars.set(extractor, multibar.create(totalSteps, 0, { extractor, ..._payload(null) }));
    },
    update(extractor, progress) {
      const bar = bars.get(extractor);
      if (bar === undefined) return;
      bar.setTotal(progress.totalSteps);
      bar.update(Math.min(progress.steps, progress.totalSteps), _payload(progress));
    },
    finish(extractor) {
      bars.get(extractor)?.render?.();
    },
    write(text) {
      if (!active) return false;
      multibar.log(text.endsWith("\n") ? text : `${text}\n`);
      return true;
    },
    stop() {
      if (active) multibar.stop();
      active = false;
    },
  };
}

/**
 * Progress as info log lines, at most one per extractor every `intervalMs` (plus the
 * first and the last).
 *
 * @param logger Logger receiving the lines.
 * @param intervalMs Least time between two lines of one extractor.
 * @returns The display.
 */
export function createLogDisplay(logger: Logger, intervalMs = 5000): ProgressDisplay {
  const throttle = new ProgressThrottle({ intervalMs });
  return {
    start() {},
    update(extractor, progress) {
      if (throttle.accept(extractor, progress)) {
        logger.info("{line}", { line: formatProgress(extractor, progress), progress });
      }
    },
    finish() {},
    write: () => false,
    stop() {},
  };
}

/** A display that shows nothing (--quiet). */
export function createSilentDisplay(): ProgressDisplay {
  return { start() {}, update() {}, finish() {}, write: () => false, stop() {} };
}
