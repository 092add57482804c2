/**
 * Vectorized mode benchmarks, three parts (`--part env|training|parallel|all`):
 *
 * - env: env steps per second (all envs together) of `WorkerVecEnv` with W = 1 and
 *   W = 2 env workers, for num_envs = 2 and 4, on a pedestrian-heavy map (robot_sf's
 *   uni_campus_big.json at difficulty 2; the built-in default map at difficulty 3
 *   when the shared maps are absent). The in-thread `VecEnv` is measured too, as
 *   `env_workers: 0`. Random actions, auto-resets included. All configurations are
 *   built first; then each round steps every one of them in turn for `--steps` steps,
 *   so background load on a shared machine hits them alike; the median over rounds is
 *   reported.
 * - training: PPO training fps (env steps per second of trainExtractor, updates
 *   included: metrics.json's `fps`) of mlp_small on the same map with num_envs 1
 *   (single-thread) and num_envs 4 in vectorized mode (env_workers = min(4, cores)),
 *   `--train-steps` steps with 512-step rollouts; configurations alternate over
 *   `--train-rounds` rounds, median reported.
 * - parallel: wall time of runComparison on the default scenario (dynamics_original
 *   and mlp_small, single-thread, its evaluations every 512 steps and checkpoints; only
 *   total_timesteps is set, to `--parallel-steps`; no figures) with
 *   run.parallel_extractors 1 (one after another in the main thread) and 2 (each in an
 *   extractor worker); alternating over `--train-rounds` rounds, median reported.
 *
 * Usage: deno task bench:vec [--json] [--part P] [--steps N] [--rounds R] [--difficulty D]
 *   [--train-steps N] [--parallel-steps N] [--train-rounds R]
 *
 * `--json` prints an array of objects, each with `env_workers`, `num_envs` and
 * `steps_per_second` (env steps per second, all envs together; for training rows the
 * training throughput), plus `part` and the part's fields: env rows `map, difficulty,
 * pedestrians, rounds, steps_per_round, load_average`; training rows `fps`, `map`,
 * `difficulty`, `total_timesteps`, `rounds`, `load_average`; parallel rows
 * `parallel_extractors`, `wall_seconds`, `extractor_fps` (per extractor) and
 * `total_timesteps` (per extractor).
 *
 * @module
 */
import * as nodePath from "node:path";
import { parseArgs } from "node:util";
import { stringify } from "yaml";
import { parseScenario } from "../lib/config/mod.ts";
import { probeExecutionProviders, runtimeVersions } from "../lib/hardware/mod.ts";
import type { HardwareReport } from "../lib/hardware/mod.ts";
import { SeededRng } from "../lib/rng/mod.ts";
import { createHardwareProfile } from "../lib/run/mod.ts";
import { loadMap, makeEnvSettings, VecEnv, type VectorEnv } from "../lib/sim/mod.ts";
import { prepareComparison, runComparison, trainExtractor } from "../lib/train/mod.ts";
import { WorkerVecEnv } from "../lib/sim/mod.ts";

/** Output folder of the training parts (runs are removed after measuring). */
const TMP_DIR = nodePath.join(new URL("..", import.meta.url).pathname, "tmp");

interface Result {
  part: "env";
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

interface TrainingResult {
  part: "training";
  env_workers: number;
  num_envs: number;
  steps_per_second: number;
  fps: number;
  map: string;
  difficulty: number;
  total_timesteps: number;
  rounds: number;
  load_average: number | null;
}

interface ParallelResult {
  part: "parallel";
  env_workers: number;
  num_envs: number;
  steps_per_second: number;
  parallel_extractors: number;
  wall_seconds: number;
  extractor_fps: Record<string, number>;
  total_timesteps: number;
  rounds: number;
  load_average: number | null;
}

interface EnvMap {
  path: string;
  label: string;
  difficulty: number;
}

function benchMap(difficulty: string | undefined): EnvMap {
  const shared = sharedMapsDir();
  if (shared === null) {
    console.error(
      "shared maps not found (set MULTI_EXTRACTOR_SHARED_DIR): using the built-in default map",
    );
  }
  return {
    path: shared === null ? "default" : `${shared}/uni_campus_big.json`,
    label: shared === null ? "default" : "uni_campus_big.json",
    difficulty: Number(difficulty ?? (shared === null ? 3 : 2)),
  };
}

/** Env part: WorkerVecEnv and VecEnv throughput with random actions. */
async function envPart(where: EnvMap, steps: number, rounds: number): Promise<Result[]> {
  const settings = makeEnvSettings({ map: where.path, difficulty: where.difficulty });
  const map = await loadMap(where.path);
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
  return configs.map(([w, n], c) => ({
    part: "env",
    env_workers: w,
    num_envs: n,
    steps_per_second: Math.round(median(rates[c])),
    map: where.label,
    difficulty: where.difficulty,
    pedestrians,
    rounds,
    steps_per_round: steps,
    load_average: loadBefore === null ? null : Math.round(loadBefore * 100) / 100,
  }));
}

/**
 * Training part: trainExtractor on mlp_small, num_envs 1 (single-thread) and 4
 * (vectorized, env workers = min(4, cores)); 512-step rollouts, batch 64, 4 epochs, one
 * evaluation episode at the end.
 */
async function trainingPart(
  where: EnvMap,
  totalTimesteps: number,
  rounds: number,
): Promise<TrainingResult[]> {
  const envWorkers = Math.min(4, Math.max(1, navigator.hardwareConcurrency));
  const configs = [
    { worker_mode: "single-thread", num_envs: 1, env_workers: 1 },
    { worker_mode: "vectorized", num_envs: 4, env_workers: envWorkers },
  ];
  const scenarios = await Promise.all(configs.map((c) =>
    parseScenario(stringify({
      run: {
        run_id: "bench_vec",
        worker_mode: c.worker_mode,
        num_envs: c.num_envs,
        env_workers: c.env_workers,
        total_timesteps: totalTimesteps,
        eval_freq: 10 * totalTimesteps,
        save_freq: 10 * totalTimesteps,
        n_eval_episodes: 1,
        seed: 5,
        ppo: { n_steps: 512 / c.num_envs, batch_size: 64, n_epochs: 4 },
      },
      env: { map: where.path, difficulty: where.difficulty, episode_seconds: 30 },
      extractors: [{ name: "mlp_small", preset: "mlp_small" }],
    }))
  ));
  await Deno.mkdir(TMP_DIR, { recursive: true });
  const fps: number[][] = configs.map(() => []);
  const loadBefore = loadAverage();
  for (let r = 0; r < rounds; r++) {
    for (const [c, config] of configs.entries()) {
      const runDir = await Deno.makeTempDir({ dir: TMP_DIR, prefix: "bench-vec-" });
      try {
        const scenario = scenarios[c];
        const result = await trainExtractor({
          profile: scenario.extractors[0],
          settings: scenario.settings,
          extractorDir: nodePath.join(runDir, "extractors", "mlp_small"),
          runDir,
          vecEnvFactory: config.worker_mode === "vectorized"
            ? async ({ map, settings, numEnvs, seed }) =>
              await WorkerVecEnv.create(settings, {
                numEnvs,
                seed,
                envWorkers: config.env_workers,
                map,
              })
            : undefined,
        });
        fps[c].push(result.metrics.fps);
      } finally {
        await Deno.remove(runDir, { recursive: true });
      }
    }
  }
  return configs.map((config, c) => {
    const value = Math.round(median(fps[c]));
    return {
      part: "training",
      env_workers: config.worker_mode === "vectorized" ? config.env_workers : 0,
      num_envs: config.num_envs,
      steps_per_second: value,
      fps: value,
      map: where.label,
      difficulty: where.difficulty,
      total_timesteps: totalTimesteps,
      rounds,
      load_average: loadBefore === null ? null : Math.round(loadBefore * 100) / 100,
    };
  });
}

/** A hardware report for the bench's runs (execution providers probed, nothing else). */
async function benchHardware(): Promise<HardwareReport> {
  const ep = await probeExecutionProviders(["cpu", "cuda"]);
  const versions = runtimeVersions();
  return {
    profile: createHardwareProfile({
      platform: Deno.build.os,
      arch: Deno.build.arch,
      python_version: `deno ${versions.deno}`,
      runtime: "deno",
      deno_version: versions.deno,
      workers: 1,
      logical_cores: navigator.hardwareConcurrency,
      onnxruntime_version: ep.version,
      execution_providers: ep.providers.filter((p) => p.usable).map((p) => p.name),
    }),
    execution_providers: ep.providers,
    nvidia: null,
    notes: [],
    elapsed_ms: 0,
  };
}

/**
 * Parallel part: the default scenario's two extractors, `totalTimesteps` each, with
 * run.parallel_extractors 1 and 2; wall time of runComparison (no figures).
 */
async function parallelPart(totalTimesteps: number, rounds: number): Promise<ParallelResult[]> {
  const config = nodePath.join(
    new URL("..", import.meta.url).pathname,
    "configs/scenarios/multi_extractor_default.yaml",
  );
  const hardware = await benchHardware();
  await Deno.mkdir(TMP_DIR, { recursive: true });
  const ks = [1, 2];
  const walls: number[][] = ks.map(() => []);
  const fps: Record<string, number[]>[] = ks.map(() => ({}));
  const loadBefore = loadAverage();
  for (let r = 0; r < rounds; r++) {
    for (const [i, k] of ks.entries()) {
      const root = await Deno.makeTempDir({ dir: TMP_DIR, prefix: "bench-vec-" });
      try {
        const prepared = await prepareComparison(config, { outputRoot: root, hardware });
        const settings = structuredClone(prepared.scenario.settings);
        settings.run.parallel_extractors = k;
        settings.run.total_timesteps = totalTimesteps;
        prepared.scenario = { ...prepared.scenario, settings };
        const t0 = performance.now();
        const result = await runComparison(prepared, { figures: false });
        walls[i].push((performance.now() - t0) / 1000);
        for (const record of result.records) {
          if (record.status !== "success") {
            throw new Error(`${record.config_name} ${record.status}: ${record.reason}`);
          }
          (fps[i][record.config_name] ??= []).push(record.metrics!.fps);
        }
      } finally {
        await Deno.remove(root, { recursive: true });
      }
    }
  }
  return ks.map((k, i) => ({
    part: "parallel",
    env_workers: 0,
    num_envs: 1,
    steps_per_second: Math.round((2 * totalTimesteps) / median(walls[i])),
    parallel_extractors: k,
    wall_seconds: Math.round(median(walls[i]) * 100) / 100,
    extractor_fps: Object.fromEntries(
      Object.entries(fps[i]).map(([name, values]) => [name, Math.round(median(values))]),
    ),
    total_timesteps: totalTimesteps,
    rounds,
    load_average: loadBefore === null ? null : Math.round(loadBefore * 100) / 100,
  }));
}

function positiveInteger(name: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`--${name} must be a positive integer, got ${value}`);
    Deno.exit(2);
  }
  return n;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      json: { type: "boolean", default: false },
      part: { type: "string", default: "all" },
      steps: { type: "string", default: "100" },
      rounds: { type: "string", default: "15" },
      difficulty: { type: "string" },
      "train-steps": { type: "string", default: "2048" },
      "parallel-steps": { type: "string", default: "2048" },
      "train-rounds": { type: "string", default: "3" },
    },
  });
  const steps = positiveInteger("steps", values.steps);
  const rounds = positiveInteger("rounds", values.rounds);
  const trainSteps = positiveInteger("train-steps", values["train-steps"]);
  const parallelSteps = positiveInteger("parallel-steps", values["parallel-steps"]);
  const trainRounds = positiveInteger("train-rounds", values["train-rounds"]);
  const parts = values.part === "all" ? ["env", "training", "parallel"] : [values.part];
  if (!parts.every((p) => ["env", "training", "parallel"].includes(p))) {
    console.error(`--part must be env, training, parallel or all, got ${values.part}`);
    Deno.exit(2);
  }
  const where = benchMap(values.difficulty);
  const env = parts.includes("env") ? await envPart(where, steps, rounds) : [];
  const training = parts.includes("training")
    ? await trainingPart(where, trainSteps, trainRounds)
    : [];
  const parallel = parts.includes("parallel") ? await parallelPart(parallelSteps, trainRounds) : [];
  if (values.json) {
    console.log(JSON.stringify([...env, ...training, ...parallel], null, 2));
    Deno.exit(0);
  }
  const load = `load average (1 min) now: ${loadAverage() ?? "?"} on ` +
    `${navigator.hardwareConcurrency} logical cores`;
  if (env.length > 0) {
    const r0 = env[0];
    console.log(
      `Vector env throughput on ${r0.map}, difficulty ${r0.difficulty} (${r0.pedestrians} ` +
        `pedestrians), median of ${rounds} rounds of ${steps} steps; env_workers 0 = in-thread VecEnv`,
    );
    console.log(`  load average (1 min) before: ${r0.load_average ?? "?"}; ${load}`);
    console.log("  env_workers  num_envs  env steps/s  vs 1 worker");
    for (const r of env) {
      const one = env.find((o) => o.env_workers === 1 && o.num_envs === r.num_envs)!;
      console.log(
        `  ${String(r.env_workers).padStart(11)}  ${String(r.num_envs).padStart(8)}  ` +
          `${String(r.steps_per_second).padStart(11)}  ${
            (r.steps_per_second / one.steps_per_second).toFixed(2).padStart(10)
          }x`,
      );
    }
  }
  if (training.length > 0) {
    const [single, vec] = training;
    console.log(
      `Training fps (mlp_small, ${trainSteps} steps, 512-step rollouts) on ${single.map}, ` +
        `difficulty ${single.difficulty}, median of ${trainRounds} rounds; ${load}`,
    );
    console.log("  num_envs  env_workers  fps");
    for (const r of training) {
      console.log(
        `  ${String(r.num_envs).padStart(8)}  ${String(r.env_workers).padStart(11)}  ${r.fps}`,
      );
    }
    console.log(`  num_envs 4 vs 1: ${(vec.fps / single.fps).toFixed(2)}x`);
  }
  if (parallel.length > 0) {
    const [k1, k2] = parallel;
    console.log(
      `Default comparison (2 extractors x ${parallelSteps} steps, evaluations every 512 ` +
        `steps, no figures), wall time, ` +
        `median of ${trainRounds} rounds; ${load}`,
    );
    for (const r of parallel) {
      console.log(
        `  parallel_extractors ${r.parallel_extractors}: ${r.wall_seconds.toFixed(2)} s ` +
          `(fps ${JSON.stringify(r.extractor_fps)})`,
      );
    }
    console.log(`  sequential / parallel: ${(k1.wall_seconds / k2.wall_seconds).toFixed(2)}x`);
  }
}
