/**
 * Navigation check: a learning check that constant controllers fail. Per seed,
 * train mlp_small on configs/scenarios/nav_check.yaml, then evaluate its final
 * policy and the baseline controllers on the same held-out episodes. Passes when
 * `constant_forward` and `zero` reach at most 0.2 success and the trained policy at
 * least 0.7 on every seed (exit 1 otherwise).
 *
 * deno task verify:navigation [--seeds 1,2,3] [--episodes 40] [--json]
 *
 * @module
 */
import { parseArgs } from "node:util";
import * as nodePath from "node:path";
import { loadScenario } from "../lib/config/mod.ts";
import { controllerActor, evaluateActor, heldOutSeeds, policyActor } from "../lib/rl/mod.ts";
import { trainExtractor } from "../lib/train/mod.ts";
import { ExportedPolicy } from "../lib/rl/exported_policy.ts";
import { scenarioEnvSettings } from "../lib/train/navigation.ts";
import { CONTROLLER_NAMES, createController, loadMap, RobotEnv } from "../lib/sim/mod.ts";

const { values } = parseArgs({
  options: {
    seeds: { type: "string", default: "1,2,3" },
    episodes: { type: "string", default: "40" },
    scenario: { type: "string", default: "configs/scenarios/nav_check.yaml" },
    json: { type: "boolean", default: false },
  },
});
const scenario = await loadScenario(values.scenario);
const envSettings = scenarioEnvSettings(scenario.settings);
const env = new RobotEnv(await loadMap(envSettings.map), envSettings);
const seeds = heldOutSeeds(Number(values.episodes));

const baselines: Record<string, number> = {};
for (const name of CONTROLLER_NAMES) {
  const r = await evaluateActor(controllerActor(() => createController(name)), { env, seeds });
  baselines[name] = r.navigation.success_rate;
}

const rows = [];
for (const seed of values.seeds.split(",").map(Number)) {
  const settings = structuredClone(scenario.settings);
  settings.run.seed = seed;
  const dir = await Deno.makeTempDir({ prefix: "verify_navigation_" });
  try {
    const extractorDir = nodePath.join(dir, "extractors", "mlp_small");
    const start = performance.now();
    const result = await trainExtractor({
      profile: scenario.extractors[0],
      settings,
      extractorDir,
      runDir: dir,
    });
    const seconds = (performance.now() - start) / 1000;
    const policy = await ExportedPolicy.load(nodePath.join(extractorDir, "final_model.onnx"));
    const trained = await evaluateActor(policyActor(policy), { env, seeds });
    await policy.release();
    rows.push({
      seed,
      steps: result.trainingSteps,
      seconds: Math.round(seconds),
      fps: Math.round(result.metrics.fps),
      success_rate: trained.navigation.success_rate,
      collision_rate: trained.navigation.collision_rate,
      snqi: trained.navigation.snqi,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const pass = baselines.constant_forward <= 0.2 && baselines.zero <= 0.2 &&
  rows.every((r) => r.success_rate >= 0.7);
if (values.json) {
  console.log(JSON.stringify({ episodes: seeds.length, baselines, trained: rows, pass }, null, 2));
} else {
  console.log(
    `held-out episodes ${seeds[0]}..${
      seeds.at(-1)
    }, budget ${scenario.settings.run.total_timesteps} steps`,
  );
  for (const [name, rate] of Object.entries(baselines)) {
    console.log(`baseline ${name.padEnd(16)} success ${rate.toFixed(2)}`);
  }
  console.log("seed  success  collision   SNQI  seconds  env steps/s");
  for (const r of rows) {
    console.log(
      `${String(r.seed).padStart(4)}  ${r.success_rate.toFixed(2).padStart(7)}  ${
        r.collision_rate.toFixed(2).padStart(9)
      }  ${r.snqi.toFixed(2).padStart(5)}  ${String(r.seconds).padStart(7)}  ${
        String(r.fps).padStart(11)
      }`,
    );
  }
  console.log(pass ? "PASS" : "FAIL");
}
if (!pass) Deno.exit(1);
