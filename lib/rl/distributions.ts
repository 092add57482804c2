/**
 * Diagonal Gaussian action distribution with a state-independent log standard
 * deviation, as Stable-Baselines3's `DiagGaussianDistribution`
 * (stable_baselines3/common/distributions.py). These JavaScript versions serve the
 * rollout phase; the training graph computes the same quantities in ONNX.
 *
 * @module
 */
import type { SeededRng } from "../rng/mod.ts";

const HALF_LOG_TWO_PI = 0.5 * Math.log(2 * Math.PI);

/**
 * Sample actions `a = mean + exp(log_std) * z`, z ~ N(0, I).
 *
 * @param mean `[batch, actionDim]` action means.
 * @param logStd `[actionDim]` log standard deviations.
 * @param rng Source of the normal samples (consumed in row-major order).
 * @param out `[batch, actionDim]` receives the samples (may not alias `mean`).
 */
export function sampleDiagGaussian(
  mean: Float32Array,
  logStd: Float32Array,
  rng: SeededRng,
  out: Float32Array,
): void {
  const actionDim = logStd.length;
  for (let i = 0; i < mean.length; i++) {
    out[i] = mean[i] + Math.exp(logStd[i % actionDim]) * rng.normal();
  }
}

/**
 * Log-probability of each action row under N(mean, diag(exp(log_std))^2), summed over
 * action dimensions: `sum_d -(a_d - mu_d)^2 / (2 sigma_d^2) - log sigma_d - log(2 pi) / 2`.
 *
 * @param actions `[batch, actionDim]`.
 * @param mean `[batch, actionDim]`.
 * @param logStd `[actionDim]`.
 * @param out `[batch]` receives the log-probabilities (nats).
 */
export function diagGaussianLogProb(
  actions: Float32Array,
  mean: Float32Array,
  logStd: Float32Array,
  out: Float32Array,
): void {
  const actionDim = logStd.length;
  const batch = actions.length / actionDim;
  for (let b = 0; b < batch; b++) {
    let sum = 0;
    for (let d = 0; d < actionDim; d++) {
      const sigma = Math.exp(logStd[d]);
      const z = (actions[b * actionDim + d] - mean[b * actionDim + d]) / sigma;
      sum += -0.5 * z * z - logStd[d] - HALF_LOG_TWO_PI;
    }
    out[b] = sum;
  }
}

/**
 * Entropy of the diagonal Gaussian, summed over action dimensions:
 * `sum_d 0.5 + 0.5 log(2 pi) + log sigma_d` (nats).
 *
 * @param logStd `[actionDim]`.
 */
export function diagGaussianEntropy(logStd: Float32Array): number {
  let sum = 0;
  for (const value of logStd) sum += 0.5 + HALF_LOG_TWO_PI + value;
  return sum;
}

/**
 * Clip each action component into `[low_d, high_d]`, as SB3 does before sending a
 * sampled action to the environment (the unclipped sample is what is stored).
 *
 * @param actions `[batch, actionDim]` input.
 * @param low `[actionDim]`.
 * @param high `[actionDim]`.
 * @param out `[batch, actionDim]` output (may alias `actions`).
 */
export function clipActions(
  actions: Float32Array,
  low: Float32Array,
  high: Float32Array,
  out: Float32Array,
): void {
  const actionDim = low.length;
  for (let i = 0; i < actions.length; i++) {
    const d = i % actionDim;
    out[i] = Math.min(Math.max(actions[i], low[d]), high[d]);
  }
}
