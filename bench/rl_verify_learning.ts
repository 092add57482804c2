/**
 * Learning check: train mlp_small on configs/scenarios/learning_check.yaml for
 * several seeds and report, per seed, the first evaluation reaching the target
 * success rate, the best and the final success rate. Exits with code 1 when a seed
 * does not reach the target within total_timesteps.
 *
 * deno task verify:learning [--seeds 1,2,3,4] [--target 0.8] [--json]
 *
 * @module
 */
import { parseArgs } from "node:util";
import * as nodePath from "node:path";
import { loadScenario } from "../lib/config/mod.ts";
import type { EvaluationRecord } from "../lib/rl/mod.ts";
import { trainExtractor } from "../lib/train/mod.ts";

const { values } = parseArgs({
  options: {
    seeds: { type: "string", default: "1,2,3,4" },
    target: { type: "string", default: "0.8" },
    scenario: { type: "string", default: "configs/scenarios/learning_check.yaml" },
    json: { type: "boolean", default: false },
  },
});
const target = Number(values.target);
const scenario = await loadScenario(values.scenario);
const rows = [];
for (const seed of values.seeds.split(",").map(Number)) {
  const settings = structuredClone(scenario.settings);
  settings.run.seed = seed;
  const dir = await Deno.makeTempDir({ prefix: "verify_learning_" });
  const extractorDir = nodePath.join(dir, "extractors", "mlp_small");
  const start = performance.now();
  const result = await trainExtractor({
    profile: scenario.extractors[0],
    settings,
    extractorDir,
    runDir: dir,
  });
  const seconds = (performance.now() - start) / 1000;
  const evals: EvaluationRecord[] = (await Deno.readTextFile(
    nodePath.join(extractorDir, "eval_history.jsonl"),
  )).trim().split("\n").map((l) => JSON.parse(l));
  await Deno.remove(dir, { recursive: true });
  const reached = evals.find((e) => e.success_rate >= target);
  rows.push({
    seed,
    steps: result.trainingSteps,
    reached_at: reached?.timestep ?? null,
    best_success_rate: Math.max(...evals.map((e) => e.success_rate)),
    final_success_rate: evals.at(-1)!.success_rate,
    initial_success_rate: evals[0].success_rate,
    seconds: Math.round(seconds * 10) / 10,
    fps: Math.round(result.metrics.fps),
  });
}
if (values.json) {
  console.log(JSON.stringify(rows, null, 2));
} else {
  console.log(
    `target success rate ${target}, budget ${scenario.settings.run.total_timesteps} steps\n`,
  );
  console.log("seed  reached at  best  final  first eval  seconds  env steps/s");
  for (const r of rows) {
    console.log(
      `${String(r.seed).padStart(4)}  ${String(r.reached_at ?? "never").padStart(10)}  ${
        r.best_success_rate.toFixed(2)
      }  ${r.final_success_rate.toFixed(2).padStart(5)}  ${
        r.initial_success_rate.toFixed(2).padStart(10)
      }  ${String(r.seconds).padStart(7)}  ${String(r.fps).padStart(11)}`,
    );
  }
}
if (rows.some((r) => r.reached_at === null)) Deno.exit(1);
