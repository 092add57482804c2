/**
 * Held-out evaluation episodes: env seeds that neither training nor the periodic
 * evaluations use, the same for every extractor, seed (trial) and baseline
 * controller of a comparison, so that held-out scores are paired across them and
 * runs made elsewhere (e.g. seeds 1-3 on a laptop, 4-6 on a cluster) can be pooled.
 *
 * Training env i of a trial with seed s draws its episodes from stream i of s
 * (lib/sim's `envRng`); periodic evaluation episode k uses env seed
 * `s + 100003 (k + 1)` (see `evaluationSeeds`). Held-out episode k uses env seed
 * `start + k`, with `start` = 1,000,000,000 by default: far above any trial seed
 * and periodic-evaluation seed of ordinary scenarios. {@linkcode heldOutOverlap}
 * checks a concrete scenario.
 *
 * @module
 */
import { evaluationSeeds } from "./evaluation.ts";

/** First env seed of the held-out episodes unless a scenario sets another. */
export const DEFAULT_HELD_OUT_SEED_START = 1_000_000_000;

/**
 * Env seeds of the held-out evaluation episodes: `start, start + 1, ..., start + count - 1`.
 * @param count Episodes (e.g. `evaluation.final_episodes`).
 * @param start First env seed. @default DEFAULT_HELD_OUT_SEED_START
 * @returns `count` distinct env seeds in [0, 2^32).
 * @throws {RangeError} When count is not a positive integer or the range leaves [0, 2^32).
 */
export function heldOutSeeds(count: number, start = DEFAULT_HELD_OUT_SEED_START): number[] {
  if (!Number.isInteger(count) || count < 1) {
    throw new RangeError(`Held-out episode count must be a positive integer, got ${count}`);
  }
  if (!Number.isInteger(start) || start < 0 || start + count > 4294967296) {
    throw new RangeError(
      `Held-out seeds ${start} .. ${start + count - 1} do not fit in [0, 2^32 - 1]`,
    );
  }
  return Array.from({ length: count }, (_, k) => start + k);
}

/**
 * Env seeds that a comparison's trials use for training or periodic evaluation
 * and that also lie in its held-out range (empty when the sets are disjoint).
 * @param trialSeeds Seed of every trial (`run.seed`, or each of `run.seeds`).
 * @param evalEpisodes Periodic evaluation episodes (`run.n_eval_episodes`).
 * @param heldOut Held-out seeds (from {@linkcode heldOutSeeds}).
 * @returns The overlapping seeds, ascending.
 */
export function heldOutOverlap(
  trialSeeds: readonly number[],
  evalEpisodes: number,
  heldOut: readonly number[],
): number[] {
  const held = new Set(heldOut);
  const used = new Set<number>();
  for (const seed of trialSeeds) {
    if (held.has(seed)) used.add(seed);
    for (const s of evaluationSeeds(seed, evalEpisodes)) if (held.has(s)) used.add(s);
  }
  return [...used].sort((a, b) => a - b);
}
