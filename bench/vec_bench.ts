/**
 * Vector env throughput: env steps per second (all envs together) of
 * `WorkerVecEnv` with W = 1 and W = 2 env workers, for num_envs = 2 and 4, on
 * a pedestrian-heavy map (robot_sf's uni_campus_big.json at difficulty 2;
 * the built-in default map at difficulty 3 when the shared maps are absent).
 * The in-thread `VecEnv` is measured too, as `env_workers: 0`. Random actions,
 * auto-resets included. Configurations are interleaved within each repeat and
 * the median over repeats is reported.
 *
 * Usage: deno task bench:vec [--json] [--steps N] [--repeats R] [--difficulty D]
 *
 * `--json` prints `[{env_workers, num_envs, steps_per_second, map, difficulty,
 * pedestrians, repeats}]`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { SeededRng } from "../lib/rng/mod.ts";
import { loadMap, makeEnvSettings, VecEnv, type VectorEnv } from "../lib/sim/mod.ts";
import { WorkerVecEnv } from "../lib/workers/mod.ts";

interface Result {
  env_workers: number;
  num_envs: number;
  steps_per_second: number;
  map: string;
  difficulty: number;
  pedestrians: number;
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
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Env steps per second over `steps` vector steps (after a short warm-up). */
async function measure(vec: VectorEnv, actions: Float32Array, steps: number): Promise<number> {
  const row = 2 * vec.numEnvs;
  await vec.reset();
  for (let t = 0; t < 20; t++) await vec.step(actions.subarray(row * t, row * (t + 1)));
  const t0 = performance.now();
  for (let t = 20; t < 20 + steps; t++) await vec.step(actions.subarray(row * t, row * (t + 1)));
  return (steps * vec.numEnvs) / ((performance.now() - t0) / 1000);
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      json: { type: "boolean", default: false },
      steps: { type: "string", default: "400" },
      repeats: { type: "string", default: "3" },
      difficulty: { type: "string" },
    },
  });
  const steps = Number(values.steps), repeats = Number(values.repeats);
  if (!Number.isInteger(steps) || steps < 1 || !Number.isInteger(repeats) || repeats < 1) {
    console.error("--steps and --repeats must be positive integers");
    Deno.exit(2);
  }
  const shared = sharedMapsDir();
  if (shared === null) {
    console.error(
      "shared maps not found (set MULTI_EXTRACTOR_SHARED_DIR): using the built-in default map",
    );
  }
  const mapPath = shared === null ? "default" : `${shared}/uni_campus_big.json`;
  const label = shared === null ? "default" : "uni_campus_big.json";
  const difficulty = Number(values.difficulty ?? (shared === null ? 3 : 2));
  const settings = makeEnvSettings({ map: mapPath, difficulty });
  const map = await loadMap(mapPath);
  const pedestrians = new VecEnv(map, settings).envs[0].pedestrians.count;

  const configs: [number, number][] = [[0, 2], [1, 2], [2, 2], [0, 4], [1, 4], [2, 4]];
  const rates = new Map<string, number[]>(configs.map(([w, n]) => [`${w}x${n}`, []]));
  const rng = new SeededRng(2024);
  const actions = new Float32Array(2 * 4 * (steps + 20));
  for (let i = 0; i < actions.length; i += 2) {
    actions[i] = rng.uniformRange(0, 2);
    actions[i + 1] = rng.uniformRange(-0.5, 0.5);
  }
  for (let r = 0; r < repeats; r++) {
    for (const [w, n] of configs) {
      const vec: VectorEnv = w === 0
        ? new VecEnv(map, settings, { numEnvs: n, seed: r })
        : await WorkerVecEnv.create(settings, { numEnvs: n, envWorkers: w, seed: r });
      try {
        rates.get(`${w}x${n}`)!.push(await measure(vec, actions, steps));
      } finally {
        await vec.close();
      }
    }
  }
  const results: Result[] = configs.map(([w, n]) => ({
    env_workers: w,
    num_envs: n,
    steps_per_second: Math.round(median(rates.get(`${w}x${n}`)!)),
    map: label,
    difficulty,
    pedestrians,
    repeats,
  }));
  if (values.json) {
    console.log(JSON.stringify(results, null, 2));
  } else {
    console.log(
      `Vector env throughput on ${label}, difficulty ${difficulty} (${pedestrians} pedestrians), ` +
        `${steps} steps x ${repeats} repeats (median); env_workers 0 = in-thread VecEnv`,
    );
    console.log("  env_workers  num_envs  env steps/s  vs 1 worker");
    for (const r of results) {
      const one = results.find((o) => o.env_workers === 1 && o.num_envs === r.num_envs)!;
      console.log(
        `  ${String(r.env_workers).padStart(11)}  ${String(r.num_envs).padStart(8)}  ` +
          `${String(r.steps_per_second).padStart(11)}  ${
            (r.steps_per_second / one.steps_per_second).toFixed(2).padStart(10)
          }x`,
      );
    }
  }
}
