import assert from "node:assert/strict";
import { loadScenario } from "../../../lib/config/mod.ts";
import { controllerActor, evaluateActor, heldOutSeeds } from "../../../lib/rl/mod.ts";
import { scenarioEnvSettings } from "../../../lib/train/navigation.ts";
import {
  CONTROLLER_NAMES,
  createController,
  loadMap,
  makeEnvSettings,
  RobotEnv,
} from "../../../lib/sim/mod.ts";
import { sharedMapsDir, SKIP_MESSAGE } from "../sim/_shared.ts";

const shared = sharedMapsDir();

async function successRate(map: string, controller: string, seeds: number[]): Promise<number> {
  const env = new RobotEnv(await loadMap(map), makeEnvSettings({ episodeSeconds: 60 }));
  const r = await evaluateActor(controllerActor(() => createController(controller)), {
    env,
    seeds,
  });
  return r.navigation.success_rate;
}

Deno.test("every controller name builds; unknown names are refused", () => {
  for (const name of CONTROLLER_NAMES) assert.equal(createController(name).name, name);
  assert.throws(() => createController("forward"), /Unknown controller 'forward'/);
});

Deno.test({
  name: "goal_seeking beats constant_forward on the Francis et al. suite (blind corner, crossing)",
  ignore: shared === null,
  fn: async () => {
    const maps = ["blind_corner", "circular_crossing", "robot_crowding"].map((m) =>
      `${shared}/francis2023/francis2023_${m}.svg`
    );
    const seeds = [1, 2, 3];
    let goal = 0, forward = 0;
    for (const map of maps) {
      goal += await successRate(map, "goal_seeking", seeds);
      forward += await successRate(map, "constant_forward", seeds);
    }
    // The blind corner needs a turn: constant_forward hits the wall there.
    assert.equal(await successRate(maps[0], "constant_forward", seeds), 0);
    assert.equal(await successRate(maps[0], "goal_seeking", seeds), 1);
    assert.ok(goal > forward, `goal_seeking ${goal / 3} vs constant_forward ${forward / 3}`);
  },
});
if (shared === null) console.warn(SKIP_MESSAGE);

Deno.test("the navigation check's constant controllers stay at or under 0.2 success", async () => {
  const scenario = await loadScenario(
    new URL("../../../configs/scenarios/nav_check.yaml", import.meta.url).pathname,
  );
  const settings = scenarioEnvSettings(scenario.settings);
  const env = new RobotEnv(await loadMap(settings.map), settings);
  const seeds = heldOutSeeds(40);
  const rate = async (name: string) =>
    (await evaluateActor(controllerActor(() => createController(name)), { env, seeds }))
      .navigation.success_rate;
  assert.equal(await rate("zero"), 0);
  assert.equal(await rate("constant_forward"), 0);
  // goal_seeking shows the goals are reachable in time.
  assert.ok(await rate("goal_seeking") >= 0.9);
});
