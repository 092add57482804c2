import assert from "node:assert/strict";
import {
  checkDeterministicStillness,
  controllerActor,
  evaluateActor,
  evaluatePolicy,
  PpoPolicy,
} from "../../../lib/rl/mod.ts";
import { evaluateHeldOut } from "../../../lib/rl/held_out_evaluation.ts";
import { SeededRng } from "../../../lib/rng/mod.ts";
import { createController, loadMap, makeEnvSettings, RobotEnv } from "../../../lib/sim/mod.ts";

async function env(map = "crossing", episodeSeconds = 6): Promise<RobotEnv> {
  return new RobotEnv(await loadMap(map), makeEnvSettings({ episodeSeconds, difficulty: 2 }));
}

/** NaN-aware deep equality of episode lists (JSON turns NaN into null). */
const same = (a: unknown, b: unknown, what: string) =>
  assert.deepEqual(JSON.parse(JSON.stringify(a)), JSON.parse(JSON.stringify(b)), what);

Deno.test("batched evaluation gives exactly the one-at-a-time episodes (policy, both modes)", async () => {
  const policy = await PpoPolicy.create({ preset: "mlp_small", parameters: {} } as never, {
    initRng: new SeededRng(3),
    dropoutRng: new SeededRng(4),
  });
  try {
    const e = await env();
    const seeds = [11, 12, 13, 14, 15];
    for (const deterministic of [true, false]) {
      const one = await evaluatePolicy(policy, { env: e, seeds, batchSize: 1, deterministic });
      const batched = await evaluatePolicy(policy, { env: e, seeds, batchSize: 3, deterministic });
      const all = await evaluatePolicy(policy, { env: e, seeds, deterministic });
      same(batched.episodes, one.episodes, `batch 3, deterministic ${deterministic}`);
      same(all.episodes, one.episodes, `batch 5, deterministic ${deterministic}`);
      assert.deepEqual(one.episodes.map((x) => x.seed), seeds);
    }
  } finally {
    await policy.release();
  }
});

Deno.test("batched controller evaluation equals one-at-a-time (random controller)", async () => {
  const e = await env();
  const seeds = [1, 2, 3, 4];
  const run = (batchSize: number) =>
    evaluateActor(controllerActor(() => createController("random")), {
      env: e,
      seeds,
      batchSize,
    });
  same((await run(4)).episodes, (await run(1)).episodes, "random controller");
});

Deno.test("outcomes agree with the metrics: rates, timeouts and lengths", async () => {
  const e = await env("open_field", 4.5);
  const r = await evaluateActor(controllerActor(() => createController("zero")), {
    env: e,
    seeds: [1, 2, 3],
  });
  // The zero action never moves the robot: every episode times out after 46 steps.
  assert.equal(r.navigation.timeout_rate, 1);
  assert.equal(r.navigation.success_rate, 0);
  assert.deepEqual(r.episodes.map((x) => x.length), [46, 46, 46]);
  assert.deepEqual(r.episodes.map((x) => x.path_length), [0, 0, 0]);
  assert.equal(r.navigation.mean_path_length, 0);
});

Deno.test("the stillness check flags a policy whose means never move but whose samples do", async () => {
  const e = await env("open_field", 4.5);
  const still = {
    // Mean linear action -1 (clipped to 0): never moves; log std 0: samples often > 0.
    forward: (obs: { n: number }) =>
      Promise.resolve({
        actionMean: new Float32Array(2 * obs.n).fill(-1),
        logStd: new Float32Array(2),
      }),
  };
  const seeds = [1, 2];
  const result = await evaluatePolicy(still, { env: e, seeds });
  assert.equal(result.navigation.mean_path_length, 0);
  const check = await checkDeterministicStillness(still, result.navigation.mean_path_length, {
    env: e,
    seeds,
  });
  assert.deepEqual(check, { deterministicStill: true, stochasticMoves: true });
  const moving = await evaluateActor(controllerActor(() => createController("goal_seeking")), {
    env: e,
    seeds,
  });
  const moved = moving.navigation.mean_path_length;
  assert.deepEqual(await checkDeterministicStillness(still, moved, { env: e, seeds }), {
    deterministicStill: false,
    stochasticMoves: false,
  });
});

Deno.test("evaluateHeldOut() scores with the scenario's deterministic and comfort_distance settings", async () => {
  const policy = await PpoPolicy.create({ preset: "mlp_small", parameters: {} } as never, {
    initRng: new SeededRng(3),
    dropoutRng: new SeededRng(4),
  });
  const dir = await Deno.makeTempDir({ prefix: "held-out-settings-" });
  try {
    const e = await env();
    const seeds = [21, 22, 23];
    for (const deterministic of [true, false]) {
      const held = await evaluateHeldOut({
        policy,
        env: e,
        seeds,
        bestModelPath: null,
        directory: dir,
        deterministic,
        comfortDistance: 2,
      });
      // The second method: the same episodes evaluated directly with those settings.
      const direct = await evaluatePolicy(policy, {
        env: e,
        seeds,
        deterministic,
        comfortDistance: 2,
      });
      same(held!.final.episodes, direct.episodes, `deterministic ${deterministic}`);
    }
  } finally {
    await policy.release();
    await Deno.remove(dir, { recursive: true });
  }
});
