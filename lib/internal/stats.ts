/**
 * Sample statistics over plain numbers: one definition of the mean and the standard
 * deviation for the trainer, the evaluation and the reports.
 *
 * @module
 */

/**
 * Arithmetic mean.
 *
 * @param values Numbers (any array-like, e.g. a Float32Array).
 * @returns The mean, or NaN when there are no values.
 */
export function mean(values: ArrayLike<number>): number {
  if (values.length === 0) return NaN;
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  return sum / values.length;
}

/**
 * Population standard deviation (divisor n, numpy's `np.std` default and what
 * Stable-Baselines3's `evaluate_policy` reports).
 *
 * @param values Numbers.
 * @returns The standard deviation, or NaN when there are no values.
 */
export function std(values: ArrayLike<number>): number {
  const m = mean(values);
  if (Number.isNaN(m)) return NaN;
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += (values[i] - m) ** 2;
  return Math.sqrt(sum / values.length);
}

/**
 * Arithmetic mean, or null when there are no values (for reports, where "no value"
 * is written as null rather than NaN).
 *
 * @param values Numbers.
 * @returns The mean, or null when empty.
 */
export function meanOrNull(values: ArrayLike<number>): number | null {
  return values.length === 0 ? null : mean(values);
}
