/**
 * Trials: each (extractor, seed) pair of a comparison is one trial. A scenario with
 * `run.seeds` or `run.num_seeds` is a multi-seed comparison: trial (name, k) lives in
 * `extractors/<name>/seed_<k>/` and its manifest events carry `seed: k`. A scenario
 * with neither is a single-seed comparison with `run.seed`, laid out as before trials
 * existed (`extractors/<name>/`, events without a seed).
 *
 * @module
 */
import type { Trial } from "../run/trial.ts";
import type { RunSettings } from "./settings.ts";

export { type Trial, trialKey } from "../run/trial.ts";

/**
 * Whether a run is a multi-seed comparison (`run.seeds` or `run.num_seeds` given).
 * @param run The `run:` settings.
 */
export function isMultiSeed(run: Pick<RunSettings, "seeds" | "num_seeds">): boolean {
  return run.seeds !== undefined || run.num_seeds !== undefined;
}

/**
 * The trial seeds of a run: `run.seeds` as written; else `run.seed + k` for k in
 * 0 .. num_seeds - 1; else `[run.seed]`.
 * @param run The `run:` settings.
 * @returns At least one seed, in order.
 * @throws {RangeError} When a derived seed leaves [0, 2^32).
 */
export function trialSeeds(run: Pick<RunSettings, "seed" | "seeds" | "num_seeds">): number[] {
  if (run.seeds !== undefined) return [...run.seeds];
  if (run.num_seeds === undefined) return [run.seed];
  const seeds = Array.from({ length: run.num_seeds }, (_, k) => run.seed + k);
  if (seeds.at(-1)! > 4294967295) {
    throw new RangeError(
      `run.seed ${run.seed} + num_seeds ${run.num_seeds} leaves the seed range [0, 2^32 - 1]`,
    );
  }
  return seeds;
}

/**
 * The seed a trial trains with: its own, or run.seed in a single-seed comparison.
 * @param trial The trial.
 * @param run The `run:` settings.
 */
export function effectiveSeed(trial: Trial, run: Pick<RunSettings, "seed">): number {
  return trial.seed ?? run.seed;
}
