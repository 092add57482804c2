/**
 * Learning works: mlp_small on configs/scenarios/learning_check.yaml (open_field,
 * no pedestrians, goal 5.5 m away, seed 1) reaches an evaluation success rate of at
 * least 0.8 within the scenario's budget of 61,440 env steps, starting from a policy
 * that does not move (success 0). About 25 s here; `deno task verify:learning` runs
 * more seeds (docs/benchmarks.md).
 */
import assert from "node:assert/strict";
import * as nodePath from "node:path";
import { loadScenario } from "../../../lib/config/mod.ts";
import {
  evaluatePolicy,
  type EvaluationRecord,
  evaluationSeeds,
  PpoPolicy,
  trainingGenerators,
} from "../../../lib/rl/mod.ts";
import { trainExtractor } from "../../../lib/train/mod.ts";
import { loadMap, resolveScenarioEnv, RobotEnv } from "../../../lib/sim/mod.ts";

Deno.test("mlp_small learns to reach the goal on the open_field learning check (success rate >= 0.8)", async () => {
  const scenario = await loadScenario(
    new URL("../../../configs/scenarios/learning_check.yaml", import.meta.url).pathname,
  );
  // The initial policy (same generators as the run) never reaches the goal: its mean
  // linear action is about 0, and the robot_sf drive adds the action to the velocity.
  const { run, env } = scenario.settings;
  const generators = trainingGenerators(run.seed);
  const profile = scenario.extractors[0];
  const initial = await PpoPolicy.create(
    { preset: profile.preset, parameters: profile.parameters },
    {
      initRng: generators.init,
      dropoutRng: generators.dropout,
    },
  );
  const envSettings = resolveScenarioEnv({ map: env.map, episode_seconds: env.episode_seconds });
  const evalEnv = new RobotEnv(await loadMap(env.map), envSettings);
  const before = await evaluatePolicy(initial, {
    env: evalEnv,
    seeds: evaluationSeeds(run.seed, run.n_eval_episodes),
  });
  await initial.release();
  assert.equal(before.successRate, 0);

  const dir = await Deno.makeTempDir({ prefix: "rl_learning_" });
  const extractorDir = nodePath.join(dir, "extractors", "mlp_small");
  const result = await trainExtractor({
    profile,
    settings: scenario.settings,
    extractorDir,
    runDir: dir,
  });
  const evals: EvaluationRecord[] = (await Deno.readTextFile(
    nodePath.join(extractorDir, "eval_history.jsonl"),
  )).trim().split("\n").map((l) => JSON.parse(l));
  await Deno.remove(dir, { recursive: true });
  assert.equal(result.trainingSteps, 61_440);
  assert.equal(evals.length, 15);
  const best = Math.max(...evals.map((e) => e.success_rate));
  assert.ok(best >= 0.8, `best evaluation success rate ${best} < 0.8`);
  assert.ok(result.metrics.best_mean_reward > before.meanReward + 0.5);
});
