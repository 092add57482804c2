/**
 * Typed settings blocks of a scenario (`run:` with its nested `run.ppo:`, `env:`,
 * `slurm:`) and their defaults. The defaults live in contracts/scenario.schema.json (`default` keywords,
 * filled in by ajv); the constants below are read from that file, so there is one
 * definition.
 *
 * @module
 */
import scenarioSchema from "../../contracts/scenario.schema.json" with { type: "json" };
import type { WorkerMode } from "../run/models.ts";

/** Training device (ONNX Runtime execution provider). */
export type Device = "cpu" | "cuda";

/**
 * The `run:` block: settings shared by all extractors. The nested `run.ppo:` mapping
 * is not part of this type; it is {@linkcode PpoSettings}, exposed as
 * `ScenarioSettings.ppo`.
 */
export interface RunSettings {
  /** Label of the run; the run directory is `<YYYYMMDD-HHMMSS>-<run_id>`. */
  run_id: string;
  /** single-thread: one environment in-process; vectorized: num_envs environments. */
  worker_mode: WorkerMode;
  /** Environments per extractor (vectorized mode). */
  num_envs: number;
  /** Environment steps to train each extractor. */
  total_timesteps: number;
  /** Evaluate every eval_freq environment steps. */
  eval_freq: number;
  /** Write a checkpoint every save_freq environment steps. */
  save_freq: number;
  /** Episodes per evaluation. */
  n_eval_episodes: number;
  /** Training device. */
  device: Device;
  /** Seed of every random generator (0 .. 2^32 - 1); the first trial seed with `num_seeds`. */
  seed: number;
  /** Trial seeds (each extractor trains once per seed), or undefined for a single-seed run. */
  seeds?: number[];
  /** Trial seeds `seed .. seed + num_seeds - 1` (when `seeds` is not given), or undefined. */
  num_seeds?: number;
  /** Directory receiving run directories, or null (see resolveOutputRoot). */
  output_root: string | null;
  /** Extractor that sample efficiency is measured against, or null (first in run order). */
  baseline_extractor: string | null;
  /** Fraction of the best reward that counts as converged, in (0, 1]. */
  convergence_fraction: number;
  /** Environment workers, or null = min(num_envs, logical cores). */
  env_workers: number | null;
  /**
   * Trials trained at the same time, or null = chosen from the host
   * (see `resolveParallelTrials` in lib/config/plan.ts).
   */
  parallel_extractors: number | null;
}

/** Learning-rate schedule. */
export type LearningRateSchedule = "constant" | "linear";

/** The `run.ppo:` mapping: PPO hyperparameters, Stable-Baselines3 names and defaults. */
export interface PpoSettings {
  /** Adam step size (initial value for the linear schedule). */
  learning_rate: number;
  /** constant, or linear decay to 0 over training. */
  lr_schedule: LearningRateSchedule;
  /** Rollout length per environment per update. */
  n_steps: number;
  /** Minibatch size. */
  batch_size: number;
  /** Passes over the rollout buffer per update. */
  n_epochs: number;
  /** Discount factor. */
  gamma: number;
  /** GAE lambda. */
  gae_lambda: number;
  /** PPO ratio clipping. */
  clip_range: number;
  /** Entropy bonus coefficient. */
  ent_coef: number;
  /** Value loss coefficient. */
  vf_coef: number;
  /** Global gradient-norm clip. */
  max_grad_norm: number;
  /** Early-stop threshold on approximate KL, or null. */
  target_kl: number | null;
  /** Normalise advantages per minibatch. */
  normalize_advantage: boolean;
}

/** Robot kinematics. */
export type RobotKind = "differential" | "bicycle";

/** The `env:` block. */
export interface ScenarioEnvSettings {
  /** "default", a built-in map name, or a map file path as written. */
  map: string;
  /** Absolute path of the map file when `map` names a .json or .svg file, else null. */
  map_path: string | null;
  /** Difficulty level 0..3 (index into ped_density_by_difficulty). */
  difficulty: number;
  /** Pedestrians per m^2 of spawn area by difficulty (4 values). */
  ped_density_by_difficulty: number[];
  /** Episode time limit in simulated seconds. */
  episode_seconds: number;
  /** Robot kinematics. */
  robot: RobotKind;
  /** How the time limit ends an episode: `truncation` (default) or `termination` (robot_sf). */
  time_limit: "truncation" | "termination";
}

/** Baseline controllers evaluated beside the trained extractors (`evaluation.baselines`). */
export interface BaselineSettings {
  /** Evaluate them. */
  enabled: boolean;
  /** Controllers (zero, random, constant_forward, goal_seeking). */
  controllers: string[];
  /**
   * Held-out episodes per controller; null: `evaluation.final_episodes` (the episodes the
   * trained policies are scored on, so the comparison is paired).
   */
  episodes: number | null;
}

/**
 * The `evaluation:` block: held-out final evaluation (docs/comparison.md) and
 * navigation evaluation (docs/evaluation.md).
 */
export interface EvaluationSettings {
  /** Held-out episodes per policy (final and best) after training. */
  final_episodes: number;
  /** Env seed of held-out episode 0 (episode k: start + k). */
  held_out_seed_start: number;
  /** Evaluate action means (true) or sampled actions. */
  deterministic: boolean;
  /** Suite maps as written (built-in names or paths relative to the scenario file). */
  maps: string[];
  /** The suite maps resolved: absolute paths for files, names for built-in maps. */
  map_paths: string[];
  /** Near-miss clearance, m. */
  comfort_distance: number;
  /** Baseline controllers. */
  baselines: BaselineSettings;
}

/** The `slurm:` block (types checked now; used by the SLURM script). */
export interface SlurmSettings {
  /** Partition (`--partition`). */
  partition?: string;
  /** Account (`--account`). */
  account?: string;
  /** Time limit per task (`--time`). */
  time?: string;
  /** CPUs per task. */
  cpus_per_task?: number;
  /** Memory per task (`--mem`). */
  mem?: string;
  /** GPU request for GPU extractors (a count or a gres string). */
  gpus?: string | number;
  /** Command that runs Deno on compute nodes. */
  deno_command?: string;
  /** Further sbatch options, one per item, each starting with "-" (e.g. "--qos=high"). */
  extra_sbatch_args?: string[];
  /** At most this many array tasks at once (`--array=...%N`). */
  max_concurrent_tasks?: number;
  /** Shell lines run on the compute node before Deno starts (e.g. "module load deno"). */
  setup_commands?: string[];
}

type _Props = Record<string, { default?: unknown }>;

function _defaults<T>(properties: _Props, omit: readonly string[] = []): Readonly<T> {
  const values: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(properties)) {
    if (!omit.includes(key) && "default" in spec) values[key] = structuredClone(spec.default);
  }
  return Object.freeze(values) as Readonly<T>;
}

const _run = scenarioSchema.properties.run.properties;

/** Defaults of the `run:` block (the reference workflow's default config), without `ppo`. */
export const RUN_DEFAULTS: Readonly<RunSettings> = _defaults<RunSettings>(
  _run as unknown as _Props,
  ["ppo"],
);
/** Defaults of the `run.ppo:` mapping (Stable-Baselines3 PPO defaults). */
export const PPO_DEFAULTS: Readonly<PpoSettings> = _defaults<PpoSettings>(_run.ppo.properties);
/** Defaults of the `evaluation:` block, without the derived map_paths. */
export const EVALUATION_DEFAULTS: Readonly<Omit<EvaluationSettings, "map_paths">> = Object.freeze({
  ..._defaults<Omit<EvaluationSettings, "map_paths" | "baselines">>(
    scenarioSchema.properties.evaluation.properties as unknown as _Props,
    ["baselines"],
  ),
  baselines: _defaults<BaselineSettings>(
    scenarioSchema.properties.evaluation.properties.baselines.properties as unknown as _Props,
  ),
});
/** Defaults of the `env:` block, without the derived map_path. */
export const ENV_DEFAULTS: Readonly<Omit<ScenarioEnvSettings, "map_path">> = _defaults<
  Omit<ScenarioEnvSettings, "map_path">
>(scenarioSchema.properties.env.properties);
