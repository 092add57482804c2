/**
 * The PPO loss as a training graph: clipped surrogate, value loss, entropy bonus,
 * per-minibatch advantage normalisation and the approximate-KL early-stop gate,
 * with the order of operations of Stable-Baselines3's `PPO.train`
 * (stable_baselines3/ppo/ppo.py; Schulman et al. 2017, "Proximal Policy
 * Optimization Algorithms", arXiv:1707.06347).
 *
 * @module
 */
import {
  abs,
  add,
  cast,
  clip,
  div,
  exp,
  type Graph,
  greater,
  lessOrEqual,
  mean,
  minimum,
  mul,
  neg,
  reduceSum,
  reshape,
  sizeOf,
  sqrt,
  square,
  stopGradient,
  sub,
  type Tensor,
  type TrainingGraphSpec,
  where,
} from "../nn/mod.ts";

/** The policy outputs the loss needs (see lib/rl's policy network). */
export interface PolicyOutputs {
  /** Gaussian action mean `[batch, actionDim]`. */
  actionMean: Tensor;
  /** Value estimate `[batch, 1]`. */
  value: Tensor;
  /** State-independent log standard deviation `[actionDim]`. */
  logStd: Tensor;
}

/** Coefficients of {@linkcode ppoLoss} (Stable-Baselines3 names in the comments). */
export interface PpoLossOptions {
  /** Ratio clipping epsilon (`clip_range`). @default 0.2 */
  clipRange?: number;
  /** Entropy coefficient (`ent_coef`). @default 0 */
  entCoef?: number;
  /** Value-loss coefficient (`vf_coef`). @default 0.5 */
  vfCoef?: number;
  /** Normalise advantages per minibatch when it holds more than one sample (`normalize_advantage`). @default true */
  normalizeAdvantage?: boolean;
  /** Skip the update (and stop the epoch loop) when approx_kl > 1.5 x this (`target_kl`); null: never. @default null */
  targetKl?: number | null;
}

/** Names of the loss graph's inputs, fed per minibatch. */
export const PPO_LOSS_INPUTS = {
  actions: "actions",
  oldLogProb: "old_log_prob",
  advantages: "advantages",
  returns: "returns",
} as const;

const HALF_LOG_TWO_PI = 0.5 * Math.log(2 * Math.PI);

/**
 * Build Stable-Baselines3's PPO loss on a train-mode graph holding a policy:
 *
 * ```
 * log pi(a|s) = sum_d -(a_d - mu_d)^2 / (2 sigma_d^2) - log sigma_d - log(2 pi) / 2
 * A'          = (A - mean A) / (std A + 1e-8)        (unbiased std; only when batch > 1)
 * ratio       = exp(log pi - old log pi)
 * L_pg        = -mean(min(A' ratio, A' clip(ratio, 1 - eps, 1 + eps)))
 * L_vf        = mean((R - V(s))^2)
 * L_ent       = -mean(entropy) = -sum_d (1/2 + log(2 pi) / 2 + log sigma_d)
 * loss        = L_pg + ent_coef L_ent + vf_coef L_vf
 * approx_kl   = mean((ratio - 1) - log ratio)          (no gradient)
 * clip_frac   = mean(|ratio - 1| > eps)                  (no gradient)
 * ```
 *
 * Inputs (see {@linkcode PPO_LOSS_INPUTS}): `actions [batch, actionDim]` (unclipped
 * samples), `old_log_prob [batch]`, `advantages [batch]`, `returns [batch]`. Metrics:
 * `policy_gradient_loss`, `value_loss`, `entropy_loss`, `approx_kl`, `clip_fraction`.
 * With `targetKl` the spec has a gate `approx_kl <= 1.5 targetKl`: when false the
 * training step leaves parameters and Adam state unchanged, as SB3 breaks before
 * `optimizer.step()`.
 *
 * @param g The train-mode graph the policy was built on.
 * @param policy Action mean, value and log-std tensors of the policy.
 * @param options Coefficients.
 * @returns Loss, metrics and optional gate for `createTrainingStep`.
 * @throws {RangeError} When a coefficient is out of range.
 */
export function ppoLoss(
  g: Graph,
  policy: PolicyOutputs,
  options: PpoLossOptions = {},
): TrainingGraphSpec {
  const clipRange = options.clipRange ?? 0.2;
  const entCoef = options.entCoef ?? 0;
  const vfCoef = options.vfCoef ?? 0.5;
  const targetKl = options.targetKl ?? null;
  if (!(clipRange > 0) || !Number.isFinite(clipRange)) {
    throw new RangeError(`clip_range must be a positive number, got ${clipRange}`);
  }
  if (!Number.isFinite(entCoef)) throw new RangeError(`ent_coef must be finite, got ${entCoef}`);
  if (!(vfCoef >= 0) || !Number.isFinite(vfCoef)) {
    throw new RangeError(`vf_coef must be a non-negative number, got ${vfCoef}`);
  }
  if (targetKl !== null && !(targetKl > 0)) {
    throw new RangeError(`target_kl must be positive or null, got ${targetKl}`);
  }
  const actionDim = policy.logStd.shape[0];
  const actions = g.input(PPO_LOSS_INPUTS.actions, ["batch", actionDim]);
  const oldLogProb = g.input(PPO_LOSS_INPUTS.oldLogProb, ["batch"]);
  const advantagesIn = g.input(PPO_LOSS_INPUTS.advantages, ["batch"]);
  const returns = g.input(PPO_LOSS_INPUTS.returns, ["batch"]);

  // Diagonal Gaussian log-probability of the stored (unclipped) actions, and entropy.
  const z = div(sub(actions, policy.actionMean), exp(policy.logStd));
  const logProb = reduceSum(
    sub(sub(mul(square(z), -0.5), policy.logStd), HALF_LOG_TWO_PI),
    { axes: [1] },
  );
  const entropy = reduceSum(add(policy.logStd, 0.5 + HALF_LOG_TWO_PI));

  // Advantage normalisation per minibatch (torch.std is unbiased); SB3 skips it for
  // a minibatch of one sample (GH issue #325), where the std is undefined.
  let advantages = advantagesIn;
  if (options.normalizeAdvantage ?? true) {
    const n = cast(sizeOf(advantagesIn), g.dtype);
    const centered = sub(advantagesIn, mean(advantagesIn));
    const std = sqrt(div(reduceSum(square(centered)), sub(n, 1)));
    advantages = where(greater(n, 1), div(centered, add(std, 1e-8)), advantagesIn);
  }

  // Clipped surrogate objective.
  const logRatio = sub(logProb, oldLogProb);
  const ratio = exp(logRatio);
  const surrogate1 = mul(advantages, ratio);
  const surrogate2 = mul(advantages, clip(ratio, { min: 1 - clipRange, max: 1 + clipRange }));
  const policyLoss = neg(mean(minimum(surrogate1, surrogate2)));

  // Value loss against the TD(lambda) returns (no value clipping, SB3's default).
  const valueLoss = mean(square(sub(returns, reshape(policy.value, ["batch"]))));
  const entropyLoss = neg(entropy);
  const loss = add(add(policyLoss, mul(entropyLoss, entCoef)), mul(valueLoss, vfCoef));

  // Diagnostics (no gradient): Schulman's k3 KL estimator and the clipped fraction.
  const lr = stopGradient(logRatio);
  const approxKl = mean(sub(sub(exp(lr), 1), lr));
  const clipFraction = mean(cast(greater(abs(sub(stopGradient(ratio), 1)), clipRange), g.dtype));
  return {
    loss,
    metrics: {
      policy_gradient_loss: policyLoss,
      value_loss: valueLoss,
      entropy_loss: entropyLoss,
      approx_kl: approxKl,
      clip_fraction: clipFraction,
    },
    gate: targetKl === null ? undefined : lessOrEqual(approxKl, 1.5 * targetKl),
  };
}
