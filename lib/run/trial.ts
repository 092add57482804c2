/**
 * Trial identity: each (extractor, seed) pair of a comparison is one trial. In a
 * single-seed comparison the seed is null and a trial is named by its extractor, as
 * before trials existed; in a multi-seed one its key is `<name>/seed_<k>`.
 *
 * @module
 */

/** One trial of a comparison. */
export interface Trial {
  /** Extractor entry name (the run record's config_name). */
  extractor: string;
  /** Trial seed of a multi-seed comparison, or null in a single-seed one (run.seed). */
  seed: number | null;
}

/**
 * The key of a trial in maps and messages: the extractor name in a single-seed
 * comparison, `<name>/seed_<k>` in a multi-seed one.
 * @param trial The trial.
 * @returns e.g. "mlp_small" or "mlp_small/seed_3".
 */
export function trialKey(trial: Trial): string {
  return trial.seed === null ? trial.extractor : `${trial.extractor}/seed_${trial.seed}`;
}

/**
 * The trial of a manifest event (its `extractor` and optional `seed`).
 * @param event An event naming an extractor.
 */
export function eventTrial(event: { extractor: string; seed?: number }): Trial {
  return { extractor: event.extractor, seed: event.seed ?? null };
}
