/**
 * SB3's PPO loss on a policy graph of `lib/rl/policy_network.ts`, used by the
 * tensor-engine benchmark (`deno task bench:nn`) until lib/rl owns the real one.
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
  type TrainingGraphSpec,
} from "../lib/nn/mod.ts";
import type { PolicyGraph } from "../lib/rl/policy_network.ts";

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * SB3 PPO loss on a policy graph (clip range 0.2, vf_coef 0.5, ent_coef 0,
 * per-minibatch advantage normalisation) with inputs `actions [batch, 2]`,
 * `old_log_prob [batch]`, `advantages [batch]`, `returns [batch]`, and metrics
 * policy_gradient_loss, value_loss, entropy_loss, approx_kl, clip_fraction.
 */
export function ppoLoss(g: Graph, policy: PolicyGraph): TrainingGraphSpec {
  const clipRange = 0.2;
  const actions = g.input("actions", ["batch", 2]);
  const oldLogProb = g.input("old_log_prob", ["batch"]);
  const advRaw = g.input("advantages", ["batch"]);
  const returns = g.input("returns", ["batch"]);
  // Diagonal Gaussian log-probability and entropy.
  const z = div(sub(actions, policy.actionMean), exp(policy.logStd));
  const logProb = reduceSum(
    sub(sub(mul(square(z), -0.5), policy.logStd), LOG_SQRT_2PI),
    { axes: [1] },
  );
  const entropy = reduceSum(add(policy.logStd, 0.5 + LOG_SQRT_2PI));
  // Advantage normalisation per minibatch (torch.std is unbiased).
  const centered = sub(advRaw, mean(advRaw));
  const n = cast(sizeOf(advRaw), g.dtype);
  const advStd = sqrt(div(reduceSum(square(centered)), sub(n, 1)));
  const adv = div(centered, add(advStd, 1e-8));
  const logRatio = sub(logProb, oldLogProb);
  const ratio = exp(logRatio);
  const pg1 = mul(adv, ratio);
  const pg2 = mul(adv, clip(ratio, { min: 1 - clipRange, max: 1 + clipRange }));
  const pgLoss = neg(mean(minimum(pg1, pg2)));
  const valueLoss = mean(square(sub(returns, reshape(policy.value, ["batch"]))));
  const entropyLoss = neg(entropy);
  const loss = add(pgLoss, mul(valueLoss, 0.5));
  const lr = stopGradient(logRatio);
  const approxKl = mean(sub(sub(exp(lr), 1), lr));
  const clipFraction = mean(cast(greater(abs(sub(stopGradient(ratio), 1)), clipRange), g.dtype));
  return {
    loss,
    metrics: {
      policy_gradient_loss: pgLoss,
      value_loss: valueLoss,
      entropy_loss: entropyLoss,
      approx_kl: approxKl,
      clip_fraction: clipFraction,
    },
  };
}
