import assert from "node:assert/strict";
import { computeGae } from "../../../lib/rl/gae.ts";

// Five steps of one env with gamma = lambda = 0.5 (so gamma * lambda = 0.25):
// step 1 is truncated by the time limit (its reward already carries the bootstrap
// 0.5 * V(terminal) = 0.5 * 4 = 2), step 3 terminates; both auto-reset, so the
// observations at steps 2 and 4 start new episodes. Worked by hand:
//   t=4: delta = 1 + 0.5*3 - 2 = 0.5                 A = 0.5
//   t=3: delta = 3 - 1 = 2 (next is a new episode)     A = 2
//   t=2: delta = 2 + 0.5*1 - 0.5 = 2                  A = 2 + 0.25*2 = 2.5
//   t=1: delta = 2 - 1 = 1 (next is a new episode)     A = 1
//   t=0: delta = 1 + 0.5*1 - 0.5 = 1                  A = 1 + 0.25*1 = 1.25
const rewards = [1, 2, 2, 3, 1];
const values = [0.5, 1, 0.5, 1, 2];
const episodeStarts = [1, 0, 1, 0, 1];
const expectedAdvantages = [1.25, 1, 2.5, 2, 0.5];

Deno.test("computeGae() matches a hand-computed example with a truncation and a termination", () => {
  const advantages = new Float32Array(5);
  const returns = new Float32Array(5);
  computeGae(
    {
      numEnvs: 1,
      rewards: Float32Array.from(rewards),
      values: Float32Array.from(values),
      episodeStarts: Float32Array.from(episodeStarts),
      lastValues: Float32Array.of(3),
      lastDones: Float32Array.of(0),
    },
    { advantages, returns },
    { gamma: 0.5, gaeLambda: 0.5 },
  );
  assert.deepEqual([...advantages], expectedAdvantages);
  assert.deepEqual([...returns], expectedAdvantages.map((a, i) => a + values[i]));
});

Deno.test("computeGae() keeps environments independent in the [n_steps, num_envs] layout", () => {
  // env 0 is the hand example; env 1 is the same data with a terminal last step.
  const interleave = (xs: number[], ys: number[]) =>
    Float32Array.from(xs.flatMap((x, i) => [x, ys[i]]));
  const advantages = new Float32Array(10);
  const returns = new Float32Array(10);
  computeGae(
    {
      numEnvs: 2,
      rewards: interleave(rewards, rewards),
      values: interleave(values, values),
      episodeStarts: interleave(episodeStarts, episodeStarts),
      lastValues: Float32Array.of(3, 3),
      lastDones: Uint8Array.of(0, 1),
    },
    { advantages, returns },
    { gamma: 0.5, gaeLambda: 0.5 },
  );
  assert.deepEqual([0, 1, 2, 3, 4].map((t) => advantages[2 * t]), expectedAdvantages);
  // env 1, t=4 ends the episode: delta = 1 - 2 = -1, A = -1; earlier steps unchanged.
  assert.deepEqual([0, 1, 2, 3, 4].map((t) => advantages[2 * t + 1]), [1.25, 1, 2.5, 2, -1]);
});

Deno.test("computeGae() with lambda 1 gives bootstrapped Monte-Carlo returns", () => {
  // Second method: R_t = sum_k gamma^k r_{t+k} + gamma^(T-t) V_T within one episode.
  const gamma = 0.9;
  const r = [0.3, -1, 2, 0.5, 1.5, -0.2];
  const v = [0.1, 0.4, -0.3, 0.8, 0.2, 0.6];
  const lastValue = 1.7;
  const advantages = new Float32Array(r.length);
  const returns = new Float32Array(r.length);
  computeGae(
    {
      numEnvs: 1,
      rewards: Float32Array.from(r),
      values: Float32Array.from(v),
      episodeStarts: new Float32Array(r.length),
      lastValues: Float32Array.of(lastValue),
      lastDones: Float32Array.of(0),
    },
    { advantages, returns },
    { gamma, gaeLambda: 1 },
  );
  for (let t = 0; t < r.length; t++) {
    let expected = Math.pow(gamma, r.length - t) * lastValue;
    for (let k = t; k < r.length; k++) expected += Math.pow(gamma, k - t) * r[k];
    assert.ok(Math.abs(returns[t] - expected) < 1e-5, `t=${t}: ${returns[t]} vs ${expected}`);
  }
});

Deno.test("computeGae() rejects arrays of mismatched length", () => {
  assert.throws(
    () =>
      computeGae(
        {
          numEnvs: 2,
          rewards: new Float32Array(4),
          values: new Float32Array(3),
          episodeStarts: new Float32Array(4),
          lastValues: new Float32Array(2),
          lastDones: new Float32Array(2),
        },
        { advantages: new Float32Array(4), returns: new Float32Array(4) },
      ),
    RangeError,
  );
});
