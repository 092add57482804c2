/**
 * Evaluation cost per env step, split into the simulator and the policy call: the
 * held-out episodes of a scenario (default: the default comparison's env, the built-in
 * default map) run by `evaluateActor` in batches of 16, once with the `zero` baseline
 * controller (simulator, observations and navigation metrics, no network) and once
 * with each untrained preset's policy (the same plus one batched ONNX Runtime call per
 * step). Untrained deterministic policies mostly leave the robot standing, as in the
 * early evaluations of a comparison, so most episodes run to the time limit.
 *
 * Usage: deno task bench:eval [--config FILE] [--episodes N] [--repeats R] [--json]
 *
 * Prints, per actor, microseconds per env step (median of the repeats, with the
 * min-max spread) and the env steps of one pass; then the floor PySocialForce's
 * arithmetic puts under the simulator's step (social-force pairs per step times the cost
 * of V8's `Math.atan2` and `Math.exp`).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { ConfigError, loadScenario } from "../lib/config/mod.ts";
import {
  controllerActor,
  evaluateActor,
  type EvaluationActor,
  heldOutSeeds,
  policyActor,
  PpoPolicy,
} from "../lib/rl/mod.ts";
import { median } from "../lib/report/mod.ts";
import { SeededRng } from "../lib/rng/mod.ts";
import { createController, loadMap, RobotEnv } from "../lib/sim/mod.ts";
import { scenarioEnvSettings } from "../lib/train/mod.ts";

interface Row {
  actor: string;
  us_per_step_median: number;
  us_per_step_min: number;
  us_per_step_max: number;
  steps_per_pass: number;
  episodes: number;
  repeats: number;
}

/** Median of a non-empty list (lib/report's `median`). */
const medianOf = (values: number[]): number => median(values) as number;

const USAGE = "Usage: deno task bench:eval [--config FILE] [--episodes N] [--repeats R] [--json]";

function parseCommandLine() {
  try {
    return parseArgs({
      args: Deno.args,
      options: {
        config: { type: "string", default: "configs/scenarios/multi_extractor_default.yaml" },
        episodes: { type: "string", default: "16" },
        repeats: { type: "string", default: "3" },
        json: { type: "boolean", default: false },
      },
    }).values;
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    Deno.exit(2);
  }
}
const values = parseCommandLine();
const episodes = Number(values.episodes), repeats = Number(values.repeats);
if (!Number.isInteger(episodes) || episodes < 1 || !Number.isInteger(repeats) || repeats < 1) {
  console.error("--episodes and --repeats take positive integers");
  Deno.exit(2);
}

let scenario;
try {
  scenario = await loadScenario(values.config);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  Deno.exit(2);
}
const envSettings = scenarioEnvSettings(scenario.settings);
const env = new RobotEnv(await loadMap(envSettings.map), envSettings);
const seeds = heldOutSeeds(episodes);

async function measure(actor: string, make: () => EvaluationActor): Promise<Row> {
  const rates: number[] = [];
  let steps = 0;
  // Warm-up, not timed: the first pass also compiles the simulator's hot loops.
  await evaluateActor(make(), { env, seeds: seeds.slice(0, 1), maxSteps: 2000 });
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    const result = await evaluateActor(make(), { env, seeds, batchSize: 16 });
    const ms = performance.now() - t0;
    steps = result.episodes.reduce((sum, e) => sum + e.steps, 0);
    rates.push((ms * 1000) / steps);
  }
  return {
    actor,
    us_per_step_median: medianOf(rates),
    us_per_step_min: Math.min(...rates),
    us_per_step_max: Math.max(...rates),
    steps_per_pass: steps,
    episodes,
    repeats,
  };
}

const rows: Row[] = [
  await measure("zero controller", () => controllerActor(() => createController("zero"))),
];
for (const preset of ["dynamics_original", "mlp_small"] as const) {
  const policy = await PpoPolicy.create({ preset, parameters: {} }, {
    initRng: new SeededRng(42),
    dropoutRng: new SeededRng(43),
    prefetchMasks: false,
  });
  try {
    rows.push(await measure(`untrained ${preset}`, () => policyActor(policy, true)));
  } finally {
    await policy.release();
  }
}

/**
 * The floor PySocialForce's arithmetic puts under the simulator: social-force pairs within
 * the activation threshold per step (zero action, the first held-out seeds, 20,000 steps),
 * each taking two `atan2` and two `exp` per direction, at V8's measured cost per call
 * (a loop over 4 million random arguments, the loop's own time taken off).
 */
function forceFloor() {
  const threshold = env.settings.pedestrians.forces.socialActivationThreshold;
  const thresholdSq = threshold * threshold;
  const zero = new Float32Array(2);
  let steps = 0, pairs = 0, pedestrians = 0, k = 0;
  env.reset(seeds[0]);
  while (steps < 20_000) {
    const result = env.step(zero);
    const p = env.pedestrians, n = p.count;
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const dx = p.px[i] - p.px[j], dy = p.py[i] - p.py[j];
        if (dx * dx + dy * dy <= thresholdSq) pairs++;
      }
    }
    pedestrians += n;
    steps++;
    if (result.terminated || result.truncated) env.reset(seeds[++k % seeds.length]);
  }
  const count = 4_000_000, xs = new Float64Array(count), ys = new Float64Array(count);
  const rng = new SeededRng(7);
  for (let i = 0; i < count; i++) {
    xs[i] = rng.uniformRange(-1, 1);
    ys[i] = rng.uniformRange(-1, 1);
  }
  // One loop per function (a function passed in would be called, not inlined).
  const atan2Samples: number[] = [], expSamples: number[] = [];
  let sink = 0;
  for (let r = 0; r < 5; r++) {
    let t = performance.now();
    for (let i = 0; i < count; i++) sink += Math.atan2(ys[i], xs[i]);
    const withAtan2 = performance.now() - t;
    t = performance.now();
    for (let i = 0; i < count; i++) sink += Math.exp(-ys[i] * 3 - xs[i] * xs[i]);
    const withExp = performance.now() - t;
    t = performance.now();
    for (let i = 0; i < count; i++) sink += -ys[i] * 3 - xs[i] * xs[i];
    const base = performance.now() - t;
    atan2Samples.push(((withAtan2 - base) * 1e6) / count);
    expSamples.push(((withExp - base) * 1e6) / count);
  }
  if (sink === 0.5) console.log(""); // uses the sums, so the loops are not dropped
  const atan2 = medianOf(atan2Samples), exp = medianOf(expSamples);
  const perStep = (pairs / steps) * (4 * atan2 + 4 * exp) / 1000;
  return {
    pedestrians_per_step: pedestrians / steps,
    pairs_within_threshold_per_step: pairs / steps,
    atan2_ns: atan2,
    exp_ns: exp,
    force_floor_us_per_step: perStep,
  };
}
const floor = forceFloor();

if (values.json) {
  for (const row of rows) console.log(JSON.stringify(row));
  console.log(JSON.stringify(floor));
} else {
  console.log(
    `${episodes} held-out episodes of ${scenario.file}, batches of 16, ${repeats} repeats`,
  );
  for (const row of rows) {
    console.log(
      `${row.actor.padEnd(28)} ${row.us_per_step_median.toFixed(1)} us/step ` +
        `(${row.us_per_step_min.toFixed(1)}-${row.us_per_step_max.toFixed(1)}), ` +
        `${row.steps_per_pass} steps per pass`,
    );
  }
  console.log(
    `social force floor: ${floor.pairs_within_threshold_per_step.toFixed(0)} pairs within the ` +
      `activation threshold per step (${floor.pedestrians_per_step.toFixed(1)} pedestrians) x ` +
      `(4 atan2 at ${floor.atan2_ns.toFixed(1)} ns + 4 exp at ${floor.exp_ns.toFixed(1)} ns) = ` +
      `${floor.force_floor_us_per_step.toFixed(1)} us/step`,
  );
}
