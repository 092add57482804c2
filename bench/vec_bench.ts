/**
 * Vector env throughput: env steps per second (all envs together) of
 * `WorkerVecEnv` with W = 1 and W = 2 env workers, for num_envs = 2 and 4, on
 * a pedestrian-heavy map (robot_sf's uni_campus_big.json at difficulty 2;
 * the built-in default map at difficulty 3 when the shared maps are absent).
 * The in-thread `VecEnv` is measured too, as `env_workers: 0`. Random actions,
 * auto-resets included. All configurations are built first; then each round
 * steps every one of them in turn for `--steps` steps, so background load on
 * a shared machine hits them alike; the median over rounds is reported.
 *
 * Usage: deno task bench:vec [--json] [--steps N] [--rounds R] [--difficulty D]
 *
 * `--json` prints `[{env_workers, num_envs, steps_per_second, map, difficulty,
 * pedestrians, rounds, steps_per_round, load_average}]`.
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
  rounds: number;
  steps_per_round: number;
  /** 1-minute load average when the measurement started (other work on the machine). */
  load_average: number | null;
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

/** 1-minute load average (other work on the machine skews the figures), or null. */
function loadAverage(): number | null {
  try {
    return Deno.loadavg()[0];
  } catch {
    return null;
  }
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Env steps per second of `steps` vector steps from action row `from`. */
async function measure(
  vec: VectorEnv,
  actions: Float32Array,
  from: number,
  steps: number,
): Promise<number> {
  const row = 2 * vec.numEnvs;
  const t0 = performance.now();
  for (let t = from; t < from + steps; t++) {
    await vec.step(actions.subarray(row * t, row * (t + 1)));
  }
  return (steps * vec.numEnvs) / ((performance.now() - t0) / 1000);
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      json: { type: "boolean", default: false },
      steps: { type: "string", default: "100" },
      rounds: { type: "string", default: "15" },
      difficulty: { type: "string" },
    },
  });
  const steps = Number(values.steps), rounds = Number(values.rounds);
  if (!Number.isInteger(steps) || steps < 1 || !Number.isInteger(rounds) || rounds < 1) {
    console.error("--steps and --rounds must be positive integers");
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
  const rng = new SeededRng(2024);
  const warmup = 50;
  const actions = new Float32Array(2 * 4 * (warmup + rounds * steps));
  for (let i = 0; i < actions.length; i += 2) {
    actions[i] = rng.uniformRange(0, 2);
    actions[i + 1] = rng.uniformRange(-0.5, 0.5);
  }
  // Every configuration stays alive (idle workers block and use no CPU) and the
  // rounds rotate through them, so background load hits all of them alike.
  const loadBefore = loadAverage();
  const envs: VectorEnv[] = [];
  const rates: number[][] = configs.map(() => []);
  try {
    for (const [w, n] of configs) {
      envs.push(
        w === 0
          ? new VecEnv(map, settings, { numEnvs: n, seed: 1 })
          : await WorkerVecEnv.create(settings, { numEnvs: n, envWorkers: w, seed: 1 }),
      );
    }
    for (const vec of envs) {
      await vec.reset();
      await measure(vec, actions, 0, warmup);
    }
    for (let r = 0; r < rounds; r++) {
      for (let c = 0; c < configs.length; c++) {
        rates[c].push(await measure(envs[c], actions, warmup + r * steps, steps));
      }
    }
  } finally {
    for (const vec of envs) await vec.close();
  }
  const results: Result[] = configs.map(([w, n], c) => ({
    env_workers: w,
    num_envs: n,
    steps_per_second: Math.round(median(rates[c])),
    map: label,
    difficulty,
    pedestrians,
    rounds,
    steps_per_round: steps,
    load_average: loadBefore === null ? null : Math.round(loadBefore * 100) / 100,
  }));
  if (values.json) {
    console.log(JSON.stringify(results, null, 2));
  } else {
    console.log(
      `Vector env throughput on ${label}, difficulty ${difficulty} (${pedestrians} pedestrians), ` +
        `median of ${rounds} rounds of ${steps} steps; env_workers 0 = in-thread VecEnv`,
    );
    console.log(
      `  load average (1 min) before/after: ${loadBefore ?? "?"} / ${loadAverage() ?? "?"} ` +
        `on ${navigator.hardwareConcurrency} logical cores`,
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
