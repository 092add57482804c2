/**
 * Train one feature extractor end to end: build the envs, the policy and the
 * callbacks from a scenario's settings, run PPO (or continue it from a
 * checkpoint), and write every artifact into the extractor's directory.
 *
 * The train workflow calls {@linkcode trainExtractor} once per extractor.
 *
 * @module
 */
import * as nodePath from "node:path";
import "../nn/_ort_env.ts"; // before onnxruntime-node: telemetry off
import * as ort from "onnxruntime-node";
import denoJson from "../../deno.json" with { type: "json" };
import type { ScenarioSettings } from "../config/mod.ts";
import { resolvedSettings } from "../config/mod.ts";
import { CheckpointError, ExecutionProviderError, writeOnnx } from "../nn/mod.ts";
import { SeededRng } from "../rng/mod.ts";
import {
  type ExtractorConfigurationProfile,
  type ManifestSink,
  writeJsonFileAtomic,
  writeMetricsFile,
} from "../run/mod.ts";
import {
  type EnvSettings,
  loadMap,
  type MapDefinition,
  MapError,
  maxTargetDistance,
  resolveScenarioEnv,
  RobotEnv,
  VecEnv,
} from "../sim/mod.ts";
import {
  CheckpointCallback,
  EvalCallback,
  ProgressCallback,
  type TrainingCallback,
  type TrainingProgress,
  TrainLogCallback,
} from "./callbacks.ts";
import { loadTrainerCheckpoint } from "./checkpoint.ts";
import { ExtractorRunError } from "./errors.ts";
import { evaluationSeeds } from "./evaluation.ts";
import { PpoPolicy } from "./policy.ts";
import { PpoTrainer, type TrainingVecEnv } from "./ppo.ts";
import { SB3_LOG_FILES, Sb3LogCallback } from "./sb3_logs.ts";

/** File names inside an extractor directory. */
export const EXTRACTOR_FILES = {
  finalModel: "final_model.onnx",
  bestModel: "best_model.onnx",
  checkpoints: "checkpoints",
  metrics: "metrics.json",
  evalHistory: "eval_history.jsonl",
  trainLog: "train_log.jsonl",
  resolvedSettings: "resolved_settings.json",
} as const;

/** What a {@linkcode VecEnvFactory} gets. */
export interface VecEnvFactoryArgs {
  /** The loaded map. */
  map: MapDefinition;
  /** Resolved env settings. */
  settings: EnvSettings;
  /** Envs to create. */
  numEnvs: number;
  /** Seed: env i must use stream i of it (lib/sim's `VecEnv` convention). */
  seed: number;
}

/** Builds the training envs (e.g. a worker-backed vector env). */
export type VecEnvFactory = (
  args: VecEnvFactoryArgs,
) => TrainingVecEnv | Promise<TrainingVecEnv>;

/** Options of {@linkcode trainExtractor}. */
export interface TrainExtractorOptions {
  /** The extractor: name, preset, resolved parameters. */
  profile: ExtractorConfigurationProfile;
  /** Scenario settings: run (total_timesteps, eval_freq, save_freq, ...), ppo, env. */
  settings: ScenarioSettings;
  /** Absolute extractor directory; every artifact goes here (created when missing). */
  extractorDir: string;
  /** Absolute run directory; artifact paths are reported relative to it. */
  runDir: string;
  /**
   * Where `checkpoint_written` and `evaluation_done` events go: the run's
   * ManifestWriter, or a proxy to it (an extractor worker's). @default none
   */
  manifest?: ManifestSink;
  /** Interruption: stop after the current env step or minibatch, write a checkpoint. @default never */
  signal?: AbortSignal;
  /** Trainer checkpoint to continue from. @default a fresh start */
  resumeFrom?: string;
  /** Progress receiver (steps, fps, ETA, mean reward). @default none */
  onProgress?: (progress: TrainingProgress) => void;
  /** How to build the training envs. @default lib/sim's in-thread VecEnv */
  vecEnvFactory?: VecEnvFactory;
}

/** Outcome of {@linkcode trainExtractor}. */
export interface TrainExtractorResult {
  /** Env steps trained. */
  trainingSteps: number;
  /** metrics.json contents (finite numbers; partial when interrupted). */
  metrics: Record<string, number>;
  /** Artifact paths relative to the run directory, by role. */
  artifacts: Record<string, string>;
  /** Wall-clock seconds of training, including earlier sessions of a resumed run. */
  wallTimeSeconds: number;
  /** True when stopped by the signal; a checkpoint holds the state. */
  interrupted: boolean;
  /** The last checkpoint written (relative to the run directory), or null. */
  lastCheckpoint: string | null;
  /** Whether a resumed run restored the envs exactly (null when not resumed). */
  envRestored: boolean | null;
}

/** Jumps between the env streams (0 .. num_envs - 1) and the trainer's generators. */
const _TRAINER_STREAM = 1024;

/** The trainer's random generators of a run. */
export interface TrainingGenerators {
  /** Initial weights. */
  init: SeededRng;
  /** Dropout masks. */
  dropout: SeededRng;
  /** Action noise during rollouts. */
  actions: SeededRng;
  /** Minibatch permutations. */
  shuffle: SeededRng;
}

/**
 * The trainer's generators of a run, derived from `run.seed`: training env i uses
 * stream i of the seed (lib/sim's VecEnv), these use streams 1025 to 1028, so none
 * overlap (streams are 2^64 draws apart).
 * @param seed Run seed.
 */
export function trainingGenerators(seed: number): TrainingGenerators {
  const root = new SeededRng(seed).fork(_TRAINER_STREAM);
  return {
    init: root.fork(1),
    dropout: root.fork(2),
    actions: root.fork(3),
    shuffle: root.fork(4),
  };
}

/** Env settings of a scenario's `env:` block. */
function _envSettings(settings: ScenarioSettings): EnvSettings {
  const env = settings.env;
  return resolveScenarioEnv({
    map: env.map_path ?? env.map,
    difficulty: env.difficulty,
    ped_density_by_difficulty: env.ped_density_by_difficulty,
    episode_seconds: env.episode_seconds,
    robot: env.robot,
  });
}

/** The parts of a run that must match for a checkpoint to continue it. */
function _compatibility(profile: ExtractorConfigurationProfile, settings: ScenarioSettings) {
  return {
    preset: profile.preset,
    parameters: profile.parameters,
    ppo: settings.ppo,
    env: settings.env,
    seed: settings.run.seed,
    worker_mode: settings.run.worker_mode,
    num_envs: settings.run.worker_mode === "single-thread" ? 1 : settings.run.num_envs,
  };
}

function _versions(): Record<string, string> {
  return {
    "multi-extractor": denoJson.version,
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    typescript: Deno.version.typescript,
    "onnxruntime-node": ort.env.versions?.node ?? "unknown",
  };
}

function _stable(value: unknown): string {
  return JSON.stringify(
    value,
    (_k, v) =>
      v && typeof v === "object" && !Array.isArray(v)
        ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)))
        : v,
  );
}

/**
 * Train one extractor with PPO and write its artifacts into `extractorDir`:
 * `final_model.onnx` and `best_model.onnx` (standalone eval-mode policies),
 * `checkpoints/checkpoint_<step>_steps.ckpt`, `metrics.json`,
 * `eval_history.jsonl`, `train_log.jsonl` and `resolved_settings.json`. Every file
 * is written atomically or appended line by line with fsync.
 *
 * Worker mode `single-thread` trains on one env; `vectorized` on `run.num_envs`.
 * Evaluations run every `max(1, floor(eval_freq / num_envs))` vector-env steps and
 * checkpoints every `max(1, floor(save_freq / num_envs))`, as the reference passes
 * them to Stable-Baselines3. Evaluation episodes use env seeds derived from
 * `run.seed` (see `evaluationSeeds`), the same for every extractor and evaluation.
 *
 * @example Train the default scenario's first extractor
 * ```ts
 * const scenario = await loadScenario("configs/scenarios/multi_extractor_default.yaml");
 * const result = await trainExtractor({
 *   profile: scenario.extractors[0], settings: scenario.settings,
 *   extractorDir: "/tmp/run/extractors/dynamics_original", runDir: "/tmp/run",
 * });
 * ```
 * @returns Steps, metrics, artifact paths (relative to runDir), wall time, interruption.
 * @throws {ExtractorRunError} When the loss, a parameter, a network output or a reward
 * becomes NaN or infinite, the settings cannot be trained, the map cannot be loaded,
 * the device is unusable, or the checkpoint does not fit; `reason` and `hint` say
 * which and what to do. No artifact is written after the error.
 */
export async function trainExtractor(
  options: TrainExtractorOptions,
): Promise<TrainExtractorResult> {
  const { profile, settings, extractorDir, runDir } = options;
  const run = settings.run, ppo = settings.ppo;
  const numEnvs = run.worker_mode === "single-thread" ? 1 : run.num_envs;
  if (numEnvs > _TRAINER_STREAM) {
    throw new ExtractorRunError(
      `run.num_envs is ${numEnvs}, more than the ${_TRAINER_STREAM} env streams a run supports`,
      `set run.num_envs to ${_TRAINER_STREAM} or fewer`,
    );
  }
  const path = (name: string) => nodePath.join(extractorDir, name);
  const relative = (p: string) => nodePath.relative(runDir, p);
  const checkpointDir = path(EXTRACTOR_FILES.checkpoints);
  await Deno.mkdir(checkpointDir, { recursive: true });

  let envSettings: EnvSettings, map: MapDefinition;
  try {
    envSettings = _envSettings(settings);
    map = await loadMap(envSettings.map);
  } catch (error) {
    if (error instanceof MapError || error instanceof Deno.errors.NotFound) {
      throw new ExtractorRunError(
        `Cannot load map '${settings.env.map}': ${(error as Error).message}`,
        "check env.map in the scenario (a built-in name or a .json/.svg path)",
        { cause: error },
      );
    }
    if (error instanceof RangeError || error instanceof TypeError) {
      throw new ExtractorRunError(
        `Invalid env settings: ${error.message}`,
        "fix the scenario's env block",
        { cause: error },
      );
    }
    throw error;
  }

  const rng = trainingGenerators(run.seed);
  let policy: PpoPolicy;
  try {
    policy = await PpoPolicy.create(
      { preset: profile.preset, parameters: profile.parameters },
      {
        initRng: rng.init,
        dropoutRng: rng.dropout,
        loss: {
          clipRange: ppo.clip_range,
          entCoef: ppo.ent_coef,
          vfCoef: ppo.vf_coef,
          normalizeAdvantage: ppo.normalize_advantage,
          targetKl: ppo.target_kl,
        },
        maxGradNorm: ppo.max_grad_norm,
        executionProvider: run.device,
      },
    );
  } catch (error) {
    if (error instanceof ExecutionProviderError) {
      throw new ExtractorRunError(error.message, "set run.device: cpu", { cause: error });
    }
    if (error instanceof RangeError) {
      throw new ExtractorRunError(
        `Cannot build the policy for preset '${profile.preset}': ${error.message}`,
        "check the extractor's preset and parameters, and run.ppo",
        { cause: error },
      );
    }
    throw error;
  }

  const env = options.vecEnvFactory
    ? await options.vecEnvFactory({ map, settings: envSettings, numEnvs, seed: run.seed })
    : new VecEnv(map, envSettings, { numEnvs, seed: run.seed });
  const seeds = evaluationSeeds(run.seed, run.n_eval_episodes);
  const evalEnv = new RobotEnv(map, envSettings, { seed: seeds[0] });
  const compatibility = _compatibility(profile, settings);
  const resolved = {
    extractor: profile,
    settings: resolvedSettings(settings),
    env_settings: envSettings,
    num_envs: numEnvs,
    evaluation_seeds: seeds,
  };
  const observationNormalization = {
    rays: "range / max_range (m)",
    rays_max_range_m: envSettings.lidar.maxRange,
    drive_state:
      "[linear speed, angular speed, distance to waypoint, angle to waypoint, angle to next waypoint] / scale",
    drive_state_scale: [
      evalEnv.robot.speedHigh[0],
      evalEnv.robot.speedHigh[1],
      maxTargetDistance(map),
      Math.PI,
      Math.PI,
    ],
  };
  const modelMetadata = (kind: string) => (timestep: number): Record<string, string> => ({
    model: kind,
    preset: profile.preset,
    extractor: profile.name,
    parameters: JSON.stringify(profile.parameters),
    features_dim: String(profile.features_dim),
    training_steps: String(timestep),
    seed: String(run.seed),
    inputs: "rays [batch, 3, 272], drive_state [batch, 3, 5]",
    outputs: "action_mean [batch, 2], value [batch, 1], log_std [2]",
    observation_normalization: JSON.stringify(observationNormalization),
    library_versions: JSON.stringify(_versions()),
    resolved_config: JSON.stringify(resolved),
  });

  const historyPath = path(EXTRACTOR_FILES.evalHistory);
  const trainLogPath = path(EXTRACTOR_FILES.trainLog);
  const sb3Logs = new Sb3LogCallback(extractorDir);
  const evalCallback = new EvalCallback({
    policy,
    env: evalEnv,
    evalFreq: Math.max(1, Math.floor(run.eval_freq / numEnvs)),
    seeds,
    historyPath,
    bestModelPath: path(EXTRACTOR_FILES.bestModel),
    modelMetadata: modelMetadata("best"),
    onEvaluation: async (r, result) => {
      await sb3Logs.recordEvaluation(r, result);
      await options.manifest?.append({
        event: "evaluation_done",
        extractor: profile.name,
        timestep: r.timestep,
        mean_reward: r.mean_reward,
        std_reward: r.std_reward,
        n_episodes: r.n_episodes,
        mean_ep_length: r.mean_ep_length,
        success_rate: r.success_rate,
      });
    },
  });
  let lastCheckpoint: string | null = null;
  const checkpointCallback = new CheckpointCallback({
    saveFreq: Math.max(1, Math.floor(run.save_freq / numEnvs)),
    dir: checkpointDir,
    onCheckpoint: async (info) => {
      lastCheckpoint = relative(info.path);
      await options.manifest?.append({
        event: "checkpoint_written",
        extractor: profile.name,
        path: relative(info.path),
        step: info.step,
        sha256: info.sha256,
      });
    },
  });
  // The checkpoint callback comes after every callback with state of its own, so a
  // checkpoint taken at the end of an update already counts that update's
  // train_log.jsonl line (a resume from it neither loses nor repeats the line).
  const callbacks: TrainingCallback[] = [
    evalCallback,
    new TrainLogCallback(trainLogPath),
    sb3Logs,
    checkpointCallback,
  ];
  if (options.onProgress) {
    callbacks.push(
      new ProgressCallback({
        onProgress: options.onProgress,
        lastEvalReward: () => evalCallback.evaluations > 0 ? evalCallback.lastMeanReward : null,
      }),
    );
  }

  try {
    let trainer: PpoTrainer;
    try {
      trainer = new PpoTrainer({
        policy,
        env,
        ppo,
        totalTimesteps: run.total_timesteps,
        actionRng: rng.actions,
        shuffleRng: rng.shuffle,
        callbacks,
        signal: options.signal,
        checkpointMetadata: { compatibility, extractor: profile.name },
      });
    } catch (error) {
      if (error instanceof RangeError) {
        throw new ExtractorRunError(error.message, "fix run.ppo in the scenario", { cause: error });
      }
      throw error;
    }

    let envRestored: boolean | null = null;
    if (options.resumeFrom !== undefined) {
      envRestored = await _resume(trainer, options.resumeFrom, compatibility);
    } else {
      // A fresh start owns the append-only logs.
      for (const file of [historyPath, trainLogPath]) await Deno.remove(file).catch(() => {});
      for (const sub of Object.values(SB3_LOG_FILES)) {
        await Deno.remove(path(sub), { recursive: true }).catch(() => {});
      }
    }
    await writeJsonFileAtomic(path(EXTRACTOR_FILES.resolvedSettings), {
      ...resolved,
      resumed_from: options.resumeFrom ?? null,
      system: {
        os: Deno.build.os,
        arch: Deno.build.arch,
        logical_cores: navigator.hardwareConcurrency,
        versions: _versions(),
        execution_provider: run.device,
      },
      policy: {
        total_parameters: policy.parameterCount,
        trainable_parameters: policy.parameterCount,
        buffers: policy.store.bufferCount,
      },
    });

    const result = await trainer.learn();
    const artifacts: Record<string, string> = {
      checkpoints: relative(checkpointDir),
      eval_history: relative(historyPath),
      train_log: relative(trainLogPath),
      tensorboard: relative(sb3Logs.paths.tensorboard),
      progress_csv: relative(sb3Logs.paths.progress),
      resolved_settings: relative(path(EXTRACTOR_FILES.resolvedSettings)),
    };
    if (evalCallback.evaluations > 0) {
      artifacts.best_model = relative(path(EXTRACTOR_FILES.bestModel));
      artifacts.evaluations_npz = relative(sb3Logs.paths.evaluations);
    }
    if (result.interrupted) {
      await checkpointCallback.save(trainer.context());
      return {
        trainingSteps: result.numTimesteps,
        metrics: _metrics(trainer, evalCallback, policy, profile),
        artifacts,
        wallTimeSeconds: trainer.wallTimeSeconds,
        interrupted: true,
        lastCheckpoint,
        envRestored,
      };
    }
    const finalPath = path(EXTRACTOR_FILES.finalModel);
    const bytes = policy.exportOnnx(modelMetadata("final")(result.numTimesteps));
    await writeOnnx(finalPath, bytes);
    artifacts.final_model = relative(finalPath);
    const metrics = _metrics(trainer, evalCallback, policy, profile);
    await writeMetricsFile(extractorDir, metrics);
    artifacts.metrics = relative(path(EXTRACTOR_FILES.metrics));
    return {
      trainingSteps: result.numTimesteps,
      metrics,
      artifacts,
      wallTimeSeconds: trainer.wallTimeSeconds,
      interrupted: false,
      lastCheckpoint,
      envRestored,
    };
  } finally {
    await policy.release();
    const closable = env as { close?: () => void | Promise<void> };
    await closable.close?.();
  }
}

async function _resume(
  trainer: PpoTrainer,
  file: string,
  compatibility: Record<string, unknown>,
): Promise<boolean> {
  const hint = "resume from a checkpoint of this extractor written with the same scenario " +
    "(preset, parameters, run.ppo, env, seed, worker mode), or start the extractor afresh";
  try {
    const ckpt = await loadTrainerCheckpoint(file);
    const meta = ckpt.state.metadata as { compatibility?: unknown } | undefined;
    if (_stable(meta?.compatibility) !== _stable(compatibility)) {
      const was = (meta?.compatibility ?? {}) as Record<string, unknown>;
      const differ = Object.keys(compatibility).filter((k) =>
        _stable(was[k]) !== _stable(compatibility[k])
      );
      throw new ExtractorRunError(
        `Checkpoint ${file} was written with different settings (${differ.join(", ")})`,
        hint,
      );
    }
    const { envRestored } = await trainer.restore(ckpt);
    return envRestored;
  } catch (error) {
    if (error instanceof ExtractorRunError) throw error;
    if (
      error instanceof CheckpointError ||
      error instanceof RangeError || error instanceof Deno.errors.NotFound
    ) {
      throw new ExtractorRunError(
        `Cannot resume from ${file}: ${(error as Error).message}`,
        hint,
        { cause: error },
      );
    }
    throw error;
  }
}

function _metrics(
  trainer: PpoTrainer,
  evalCallback: EvalCallback,
  policy: PpoPolicy,
  profile: ExtractorConfigurationProfile,
): Record<string, number> {
  const wall = trainer.wallTimeSeconds;
  const metrics: Record<string, number> = {
    training_steps: trainer.numTimesteps,
    total_parameters: policy.parameterCount,
    trainable_parameters: policy.parameterCount,
    features_dim: profile.features_dim,
    wall_time_seconds: wall,
    fps: wall > 0 ? trainer.numTimesteps / wall : 0,
    iterations: trainer.iteration,
    n_updates: trainer.nUpdates,
    evaluations: evalCallback.evaluations,
  };
  const last = evalCallback.lastRecord;
  if (last) {
    metrics.best_mean_reward = evalCallback.bestMeanReward;
    metrics.last_mean_reward = evalCallback.lastMeanReward;
    metrics.last_std_reward = last.std_reward;
    metrics.success_rate = last.success_rate;
    metrics.collision_rate = last.collision_rate;
    metrics.mean_ep_length = last.mean_ep_length;
  }
  const ep = trainer.episodeStats();
  if (ep.count > 0) {
    metrics.train_ep_rew_mean = ep.meanReward!;
    metrics.train_ep_len_mean = ep.meanLength!;
    metrics.train_success_rate = ep.successRate!;
  }
  return metrics;
}
