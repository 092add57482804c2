import assert from "node:assert/strict";
import { parseScenario } from "../../../lib/config/mod.ts";
import {
  REFERENCE_TEST_MODE_ENV,
  TEST_MODE_ENV,
  testModeFromEnv,
  testModeSettings,
} from "../../../lib/train/mod.ts";

const env = (values: Record<string, string>) => (name: string) => values[name];

Deno.test("testModeFromEnv() accepts 1, true, yes and on from either variable", () => {
  for (const value of ["1", "true", "TRUE", "yes", "On", " 1 "]) {
    assert.equal(testModeFromEnv(env({ [TEST_MODE_ENV]: value })), true, value);
    assert.equal(testModeFromEnv(env({ [REFERENCE_TEST_MODE_ENV]: value })), true, value);
  }
  for (const value of ["", "0", "false", "no", "off", "2"]) {
    assert.equal(testModeFromEnv(env({ [TEST_MODE_ENV]: value })), false, value);
  }
  assert.equal(testModeFromEnv(env({})), false);
});

Deno.test("testModeSettings() shortens the default scenario to 256 steps with 64-step rollouts", async () => {
  const scenario = await parseScenario(
    await Deno.readTextFile(
      new URL("../../../configs/scenarios/multi_extractor_default.yaml", import.meta.url),
    ),
  );
  const before = structuredClone(scenario.settings);
  const short = testModeSettings(scenario.settings);
  assert.deepEqual(scenario.settings, before, "input unchanged");
  // Worked out from the file (4096 / 512 / 2048 / 3) and SB3's defaults (2048, 64, 10).
  assert.equal(short.run.total_timesteps, 256);
  assert.equal(short.run.eval_freq, 128);
  assert.equal(short.run.save_freq, 128);
  assert.equal(short.run.n_eval_episodes, 2);
  assert.equal(short.ppo.n_steps, 64);
  assert.equal(short.ppo.batch_size, 32);
  assert.equal(short.ppo.n_epochs, 2);
  assert.equal(short.env.episode_seconds, 20);
  // Everything else is kept.
  assert.equal(short.run.seed, 42);
  assert.equal(short.ppo.learning_rate, before.ppo.learning_rate);
  assert.equal(short.ppo.gamma, before.ppo.gamma);
  assert.equal(short.env.map, before.env.map);
});

Deno.test("testModeSettings() divides the rollout among vectorized envs and keeps smaller values", async () => {
  const scenario = await parseScenario(`run:
  worker_mode: vectorized
  num_envs: 3
  total_timesteps: 100
  eval_freq: 50
  save_freq: 1000
  n_eval_episodes: 1
  ppo: {n_steps: 16, batch_size: 8, n_epochs: 1}
env: {episode_seconds: 5}
extractors:
  - {name: a, preset: mlp_small}
`);
  const short = testModeSettings(scenario.settings);
  assert.equal(short.run.total_timesteps, 100);
  assert.equal(short.run.eval_freq, 50);
  assert.equal(short.run.save_freq, 128);
  assert.equal(short.run.n_eval_episodes, 1);
  assert.equal(short.ppo.n_steps, 16); // min(16, floor(64 / 3) = 21)
  assert.equal(short.ppo.batch_size, 8);
  assert.equal(short.ppo.n_epochs, 1);
  assert.equal(short.env.episode_seconds, 5);
  const wide = testModeSettings({
    ...scenario.settings,
    run: { ...scenario.settings.run, num_envs: 5 },
    ppo: { ...scenario.settings.ppo, n_steps: 2048 },
  });
  assert.equal(wide.ppo.n_steps, 12); // floor(64 / 5)
  const single = testModeSettings({
    ...scenario.settings,
    run: { ...scenario.settings.run, worker_mode: "single-thread", num_envs: 5 },
    ppo: { ...scenario.settings.ppo, n_steps: 2048 },
  });
  assert.equal(single.ppo.n_steps, 64, "single-thread ignores num_envs");
});
