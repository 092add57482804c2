/**
 * The PPO loss graph against hand-worked values: ratio, clipping, surrogate,
 * advantage normalisation, value loss, entropy, approx_kl, clip_fraction, the
 * target_kl gate, and its gradient against finite differences.
 */
import assert from "node:assert/strict";
import { SeededRng } from "../../../lib/rng/mod.ts";
import {
  checkGradients,
  createTrainingStep,
  fromValues,
  type Graph,
  linear,
  ParameterStore,
  type TensorFeed,
} from "../../../lib/nn/mod.ts";
import { ppoLoss, type PpoLossOptions } from "../../../lib/rl/mod.ts";
import { assertClose } from "../nn/_helpers.ts";

const LOG_2PI = Math.log(2 * Math.PI);

/**
 * A policy whose outputs are fixed by its parameters: action mean = W_pi obs + b_pi,
 * value = W_v obs + b_v, log_std given. obs is [batch, 1].
 */
function tinyPolicy(
  g: Graph,
  p: { piBias: number[]; vWeight: number; vBias: number; logStd: number[] },
) {
  const obs = g.input("obs", ["batch", 1]);
  const actionMean = linear(obs, { name: "pi", outFeatures: 2 });
  const value = linear(obs, { name: "v", outFeatures: 1 });
  const logStd = g.parameter("log_std", [2], { init: fromValues(p.logStd) });
  const store = g.parameters;
  store.setValues("pi.weight", [0, 0]);
  store.setValues("pi.bias", p.piBias);
  store.setValues("v.weight", [p.vWeight]);
  store.setValues("v.bias", [p.vBias]);
  return { actionMean, value, logStd };
}

function feeds(rows: Record<string, number[]>, batch: number): Record<string, TensorFeed> {
  const out: Record<string, TensorFeed> = {};
  for (const [name, values] of Object.entries(rows)) {
    const perRow = values.length / batch;
    out[name] = {
      data: Float64Array.from(values),
      dims: perRow === 1 && name !== "obs" ? [batch] : [batch, perRow],
    };
  }
  return out;
}

async function lossOf(
  batch: Record<string, number[]>,
  n: number,
  policy: Parameters<typeof tinyPolicy>[1],
  options: PpoLossOptions,
) {
  const step = await createTrainingStep(
    (g) => ppoLoss(g, tinyPolicy(g, policy), options),
    { parameters: new ParameterStore(new SeededRng(1)), dtype: "float64", maxGradNorm: 0.5 },
  );
  const r = await step.run(feeds(batch, n), { learningRate: 1e-3 });
  await step.release();
  return r;
}

// Two samples, mean 0 and log_std 0, so log pi(a) = -|a|^2 / 2 - log(2 pi):
// a = (0, 0): -1.8379; a = (1, 1): -2.8379. old_log_prob = log pi - log r makes the
// ratios exactly r = (1.5, 0.5). Advantages (1, -1): mean 0, unbiased std sqrt(2),
// so A' = (1/sqrt2, -1/sqrt2). With clip range 0.2 both ratios are clipped:
//   sample 1: min(1.5 A', 1.2 A') = 1.2/sqrt2;  sample 2: min(-0.5/sqrt2, -0.8/sqrt2) = -0.8/sqrt2
//   L_pg = -mean = -(0.4/sqrt2)/2 = -0.141421
// Values: V = 2 obs + 0.5 with obs (0, 1) -> (0.5, 2.5); returns (1.5, 0.5):
//   L_vf = ((1)^2 + (-2)^2)/2 = 2.5
// Entropy of N(0, I_2): 2 (1/2 + log(2 pi)/2) = 2.837877; L_ent = -2.837877.
// approx_kl = mean((r - 1) - log r) = ((0.5 - ln 1.5) + (-0.5 - ln 0.5))/2 = 0.143841
// clip_fraction = 1 (|r - 1| = 0.5 > 0.2 for both).
const HAND = {
  batch: {
    obs: [0, 1],
    actions: [0, 0, 1, 1],
    old_log_prob: [-LOG_2PI - Math.log(1.5), -1 - LOG_2PI - Math.log(0.5)],
    advantages: [1, -1],
    returns: [1.5, 0.5],
  },
  policy: { piBias: [0, 0], vWeight: 2, vBias: 0.5, logStd: [0, 0] },
};

Deno.test("ppoLoss() matches the hand-worked clipped surrogate, value loss, entropy and diagnostics", async () => {
  const r = await lossOf(HAND.batch, 2, HAND.policy, { entCoef: 0.01, vfCoef: 0.5 });
  const pg = -0.4 / Math.SQRT2 / 2;
  const ent = -(1 + LOG_2PI);
  assertClose([r.metrics.policy_gradient_loss], [pg], { rtol: 1e-7, label: "policy loss" });
  assertClose([r.metrics.value_loss], [2.5], { rtol: 1e-12, label: "value loss" });
  assertClose([r.metrics.entropy_loss], [ent], { rtol: 1e-12, label: "entropy loss" });
  assertClose([r.metrics.approx_kl], [0.143841036225890], { rtol: 1e-9, label: "approx_kl" });
  assert.equal(r.metrics.clip_fraction, 1);
  assertClose([r.loss], [pg + 0.01 * ent + 0.5 * 2.5], { rtol: 1e-7, label: "loss" });
  assert.equal(r.applied, true);
});

Deno.test("ppoLoss() leaves ratios inside the clip range unclipped", async () => {
  // Ratios (1.1, 0.95) are inside [0.8, 1.2]: L_pg = -mean(A' r) = -(1.1 - 0.95)/(2 sqrt2).
  const batch = {
    ...HAND.batch,
    old_log_prob: [-LOG_2PI - Math.log(1.1), -1 - LOG_2PI - Math.log(0.95)],
  };
  const r = await lossOf(batch, 2, HAND.policy, {});
  assertClose([r.metrics.policy_gradient_loss], [-(1.1 - 0.95) / (2 * Math.SQRT2)], {
    rtol: 1e-7,
  });
  assert.equal(r.metrics.clip_fraction, 0);
  // approx_kl = mean((r - 1) - ln r)
  const kl = ((0.1 - Math.log(1.1)) + (-0.05 - Math.log(0.95))) / 2;
  assertClose([r.metrics.approx_kl], [kl], { rtol: 1e-7 });
});

Deno.test("ppoLoss() normalises advantages only when asked and only for more than one sample", async () => {
  // Unnormalised advantages (1, -1) with ratios (1.5, 0.5): sample 1 clipped to 1.2,
  // sample 2: min(-0.5, -0.8) = -0.8 -> L_pg = -(1.2 - 0.8)/2 = -0.2.
  const raw = await lossOf(HAND.batch, 2, HAND.policy, { normalizeAdvantage: false });
  assertClose([raw.metrics.policy_gradient_loss], [-0.2], { rtol: 1e-7 });
  // Advantages (3, 1): normalised (1/sqrt2, -1/sqrt2) as before, whatever their scale.
  const shifted = await lossOf({ ...HAND.batch, advantages: [3, 1] }, 2, HAND.policy, {});
  assertClose([shifted.metrics.policy_gradient_loss], [-0.4 / Math.SQRT2 / 2], { rtol: 1e-7 });
  // One sample: SB3 skips normalisation (std undefined). A = 2, r = 1.5 -> -min(3, 2.4) = -2.4.
  const single = await lossOf(
    {
      obs: [0],
      actions: [0, 0],
      old_log_prob: [-LOG_2PI - Math.log(1.5)],
      advantages: [2],
      returns: [0.5],
    },
    1,
    HAND.policy,
    {},
  );
  assertClose([single.metrics.policy_gradient_loss], [-2.4], { rtol: 1e-7 });
  assert.ok(Number.isFinite(single.loss));
});

Deno.test("ppoLoss() log-probability and entropy follow the Gaussian formulas with a non-zero mean and log_std", async () => {
  // mean (0.5, -0.25), log_std (0.2, -0.3); a = (1, 0): z = ((1 - 0.5)/e^0.2, 0.25/e^-0.3).
  const policy = { piBias: [0.5, -0.25], vWeight: 0, vBias: 0, logStd: [0.2, -0.3] };
  const z = [0.5 / Math.exp(0.2), 0.25 / Math.exp(-0.3)];
  const logProb = -0.5 * (z[0] ** 2 + z[1] ** 2) - (0.2 - 0.3) - LOG_2PI;
  // Old log-prob equal to the new one: ratio 1, approx_kl 0, L_pg = -mean(A) = 0 for one sample A = 0.
  const r = await lossOf(
    {
      obs: [0],
      actions: [1, 0],
      old_log_prob: [logProb],
      advantages: [0],
      returns: [0],
    },
    1,
    policy,
    {},
  );
  assertClose([r.metrics.approx_kl], [0], { atol: 1e-12 });
  assertClose([r.metrics.entropy_loss], [-(1 + LOG_2PI + 0.2 - 0.3)], { rtol: 1e-12 });
  assert.equal(r.metrics.clip_fraction, 0);
});

Deno.test("ppoLoss() gate skips the update when approx_kl exceeds 1.5 target_kl", async () => {
  // approx_kl of the hand batch is 0.1438: target 0.1 -> 0.15 threshold passes; 0.09 -> 0.135 fails.
  const pass = await lossOf(HAND.batch, 2, HAND.policy, { targetKl: 0.1 });
  assert.equal(pass.applied, true);
  const stop = await lossOf(HAND.batch, 2, HAND.policy, { targetKl: 0.09 });
  assert.equal(stop.applied, false);
});

Deno.test("ppoLoss() rejects out-of-range coefficients", async () => {
  for (const bad of [{ clipRange: 0 }, { vfCoef: -1 }, { targetKl: 0 }, { entCoef: NaN }]) {
    await assert.rejects(
      () =>
        createTrainingStep((g) => ppoLoss(g, tinyPolicy(g, HAND.policy), bad), {
          parameters: new ParameterStore(new SeededRng(1)),
        }),
      RangeError,
      JSON.stringify(bad),
    );
  }
});

Deno.test("ppoLoss() gradient matches central finite differences", async () => {
  const rng = new SeededRng(5);
  const n = 6;
  const report = await checkGradients((g) => {
    const obs = g.input("obs", ["batch", 3]);
    const actionMean = linear(obs, { name: "pi", outFeatures: 2 });
    const value = linear(obs, { name: "v", outFeatures: 1 });
    const logStd = g.parameter("log_std", [2], { init: fromValues([0.1, -0.2]) });
    const spec = ppoLoss(g, { actionMean, value, logStd }, { entCoef: 0.05, clipRange: 0.2 });
    return {
      output: spec.loss,
      wrt: {
        "pi.weight": g.stateTensors.get("pi.weight")!,
        "v.weight": g.stateTensors.get("v.weight")!,
        log_std: logStd,
      },
    };
  }, {
    obs: { data: Array.from({ length: n * 3 }, () => rng.uniformRange(-1, 1)), shape: [n, 3] },
    actions: { data: Array.from({ length: n * 2 }, () => rng.normal()), shape: [n, 2] },
    // Old log-probabilities around the current ones so some ratios clip and some do not.
    old_log_prob: {
      data: Array.from({ length: n }, () => -2.5 + rng.uniformRange(-0.6, 0.6)),
      shape: [n],
    },
    advantages: { data: Array.from({ length: n }, () => rng.normal()), shape: [n] },
    returns: { data: Array.from({ length: n }, () => rng.normal()), shape: [n] },
  });
  assert.ok(report.ok, report.summary);
  assert.ok(report.checked > 0);
});
