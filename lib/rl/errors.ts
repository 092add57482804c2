/**
 * The domain error of training one extractor.
 *
 * @module
 */

/**
 * Training of one extractor cannot go on: the loss, a parameter or a reward became
 * NaN or infinite, a checkpoint does not fit this run, or the settings cannot be
 * trained. The train workflow records `reason` in the failed run record and shows
 * `hint` to the user. No artifact is written after the error.
 *
 * @example Report a failure
 * ```ts
 * try {
 *   await trainExtractor(options);
 * } catch (error) {
 *   if (error instanceof ExtractorRunError) console.error(error.reason, error.hint);
 * }
 * ```
 */
export class ExtractorRunError extends Error {
  /** What went wrong, one sentence (recorded as the run record's reason). */
  readonly reason: string;
  /** What the user can do about it. */
  readonly hint: string;
  /** Environment steps trained when it happened, or null before training. */
  readonly step: number | null;

  /**
   * Create the error.
   * @param reason What went wrong.
   * @param hint What the user can do about it.
   * @param options Step at which it happened, and the underlying error.
   */
  constructor(
    reason: string,
    hint: string,
    options: { step?: number | null; cause?: unknown } = {},
  ) {
    super(`${reason} (hint: ${hint})`, { cause: options.cause });
    this.name = "ExtractorRunError";
    this.reason = reason;
    this.hint = hint;
    this.step = options.step ?? null;
  }
}

/** Hint for a diverged run (NaN or infinite loss, parameters or outputs). */
export const DIVERGENCE_HINT: string =
  "lower run.ppo.learning_rate or run.ppo.max_grad_norm, or check the extractor parameters, " +
  "then train it again (e.g. deno task train --only <name>); its checkpoints before the " +
  "failure are kept in its checkpoints/ folder";
