/**
 * Small statistics used in PPO logging.
 *
 * @module
 */

/**
 * Fraction of the variance of `yTrue` that `yPred` explains,
 * `1 - Var[y_true - y_pred] / Var[y_true]` (population variances), as SB3's
 * `explained_variance` (stable_baselines3/common/utils.py): 1 is perfect, 0 is no better
 * than a constant, negative is worse. NaN when `yTrue` is constant.
 *
 * @param yPred Predictions, e.g. rollout values `[n]`.
 * @param yTrue Targets, e.g. returns `[n]`.
 * @throws {RangeError} When lengths differ.
 */
export function explainedVariance(yPred: ArrayLike<number>, yTrue: ArrayLike<number>): number {
  if (yPred.length !== yTrue.length) {
    throw new RangeError(`Lengths differ: ${yPred.length} predictions, ${yTrue.length} targets`);
  }
  const n = yTrue.length;
  let meanTrue = 0;
  let meanDiff = 0;
  for (let i = 0; i < n; i++) {
    meanTrue += yTrue[i];
    meanDiff += yTrue[i] - yPred[i];
  }
  meanTrue /= n;
  meanDiff /= n;
  let varTrue = 0;
  let varDiff = 0;
  for (let i = 0; i < n; i++) {
    const t = yTrue[i] - meanTrue;
    const d = yTrue[i] - yPred[i] - meanDiff;
    varTrue += t * t;
    varDiff += d * d;
  }
  return varTrue === 0 ? NaN : 1 - varDiff / varTrue;
}
