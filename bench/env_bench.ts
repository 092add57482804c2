/**
 * Environment throughput: single-thread steps per second with uniformly random
 * actions (including resets), on the built-in default map and on robot_sf's
 * uni_campus_big.json at difficulty 0, like robot_sf's figure in
 * shared/product/ANCHORS.md.
 *
 * Usage: deno task bench:env [--json] [--steps N] [--repeats R] [--obstacle-forces [--obstacle-force-range R]]
 *
 * --obstacle-forces turns on the pedestrians' obstacle force (every segment, as
 * PySocialForce, unless --obstacle-force-range R limits it to segments within R m);
 * robot_sf's RobotEnv, and our default, leave it off.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { SeededRng } from "../lib/rng/mod.ts";
import { loadMap, makeEnvSettings, RobotEnv } from "../lib/sim/mod.ts";

interface Result {
  map: string;
  steps_per_second: number;
  mean_pedestrians: number;
  episodes: number;
  median_episode_length: number;
  repeats: number;
}

function sharedMapsDir(): string | null {
  const repo = new URL("../", import.meta.url).pathname;
  for (
    const base of [Deno.env.get("MULTI_EXTRACTOR_SHARED_DIR"), `${repo}../shared`, "/work/shared"]
  ) {
    if (!base) continue;
    try {
      if (Deno.statSync(`${base}/maps/robot_sf`).isDirectory) return `${base}/maps/robot_sf`;
    } catch {
      // try the next candidate
    }
  }
  return null;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length === 0
    ? 0
    : s.length % 2
    ? s[(s.length - 1) / 2]
    : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function run(
  mapPath: string,
  label: string,
  steps: number,
  repeats: number,
  obstacleForces: boolean,
  obstacleForceRange: number,
): Promise<Result> {
  const map = await loadMap(mapPath);
  const settings = makeEnvSettings({
    difficulty: 0,
    pedestrians: { forces: { obstacleForces, obstacleForceRange } },
  });
  const rates: number[] = [];
  let pedSum = 0, episodes = 0;
  const lengths: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const env = new RobotEnv(map, settings, { seed: r });
    const rng = new SeededRng(1000 + r);
    const action = new Float32Array(2);
    const lo = env.actionSpace.low, hi = env.actionSpace.high;
    env.reset();
    let length = 0;
    const t0 = performance.now();
    for (let t = 0; t < steps; t++) {
      action[0] = rng.uniformRange(lo[0], hi[0]);
      action[1] = rng.uniformRange(lo[1], hi[1]);
      const res = env.step(action);
      length++;
      pedSum += env.pedestrians.count;
      if (res.terminated || res.truncated) {
        episodes++;
        lengths.push(length);
        length = 0;
        env.reset();
      }
    }
    rates.push(steps / ((performance.now() - t0) / 1000));
  }
  return {
    map: label,
    steps_per_second: Math.round(median(rates)),
    mean_pedestrians: pedSum / (steps * repeats),
    episodes,
    median_episode_length: median(lengths),
    repeats,
  };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      json: { type: "boolean", default: false },
      steps: { type: "string", default: "5000" },
      repeats: { type: "string", default: "3" },
      "obstacle-forces": { type: "boolean", default: false },
      "obstacle-force-range": { type: "string", default: "Infinity" },
    },
  });
  const steps = Number(values.steps), repeats = Number(values.repeats);
  const range = Number(values["obstacle-force-range"]);
  if (!Number.isInteger(steps) || steps < 1 || !Number.isInteger(repeats) || repeats < 1) {
    console.error("--steps and --repeats must be positive integers");
    Deno.exit(2);
  }
  const results: Result[] = [
    await run("default", "default", steps, repeats, values["obstacle-forces"]!, range),
  ];
  const shared = sharedMapsDir();
  if (shared === null) {
    console.error(
      "shared maps not found (set MULTI_EXTRACTOR_SHARED_DIR): skipping uni_campus_big.json",
    );
  } else {
    results.push(
      await run(
        `${shared}/uni_campus_big.json`,
        "uni_campus_big.json",
        steps,
        repeats,
        values["obstacle-forces"]!,
        range,
      ),
    );
  }
  if (values.json) {
    console.log(JSON.stringify(results, null, 2));
  } else {
    console.log(
      `Env throughput, one thread, random actions incl. resets, ${steps} steps x ${repeats} (median)`,
    );
    for (const r of results) {
      console.log(
        `  ${r.map.padEnd(22)} ${String(r.steps_per_second).padStart(7)} steps/s  ` +
          `${
            r.mean_pedestrians.toFixed(1)
          } pedestrians  ${r.episodes} episodes, median length ${r.median_episode_length}`,
      );
    }
  }
}
