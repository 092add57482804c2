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
import type { ExtractorConfigurationProfile, ScenarioSettings } from "../config/mod.ts";
import { resolvedSettings } from "../config/mod.ts";
import { InputFileError } from "../internal/input_file.ts";
import { guardDirectory, mkdirNoFollow } from "../internal/safe_path.ts";
import { CheckpointError, ExecutionProviderError, writeOnnx } from "../nn/mod.ts";
import {
  EXTRACTOR_FILES,
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
  RobotEnv,
  VecEnv,
} from "../sim/mod.ts";
import {
  checkDeterministicStillness,
  CheckpointCallback,
  EvalCallback,
  evaluateHeldOut,
  evaluationSeeds,
  ExtractorRunError,
  HELD_OUT_FILE_NAME,
  heldOutMetrics,
  heldOutSeeds,
  loadTrainerCheckpoint,
  PpoPolicy,
  PpoTrainer,
  ProgressCallback,
  TRAINER_ENV_STREAMS,
  type TrainingCallback,
  type TrainingGenerators,
  trainingGenerators,
  type TrainingVecEnv,
  TrainLogCallback,
} from "../rl/mod.ts";
import { SB3_LOG_FILES, Sb3LogCallback } from "../rl/mod.ts";
import type { TrainingProgress } from "../log/mod.ts";
import { stableJson } from "../internal/stable_json.ts";
import { scenarioEnvSettings } from "./navigation.ts";

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
  /**
   * Fill the next minibatch's dropout masks in a worker while ONNX Runtime runs the
   * current one (identical masks, so identical results). It pays when a core is idle
   * during updates; with every core already training it slows training down
   * (docs/benchmarks.md), so the comparison turns it off then. @default true
   */
  prefetchMasks?: boolean;
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
  const { profile, settings } = options;
  const numEnvs = _numEnvs(settings);
  const files = _artifactPaths(options.extractorDir, options.runDir);
  // Also in an extractor worker: nothing below the extractor directory is reached
  // through a link (the way to it is checked before training begins).
  guardDirectory(options.extractorDir);
  await mkdirNoFollow(files.checkpoints);
  const { envSettings, map } = await _loadEnvironment(settings);
  const rng = trainingGenerators(settings.run.seed);
  const policy = await _buildPolicy(profile, settings, rng, options.prefetchMasks ?? true);
  const envs = await _buildEnvs(options, map, envSettings, numEnvs);
  const description = _describeRun(profile, settings, envs, map, envSettings, numEnvs);
  const callbacks = _buildCallbacks(options, policy, envs, description, files, numEnvs);
  try {
    const trainer = _buildTrainer(options, policy, envs.train, rng, callbacks.list);
    let envRestored: boolean | null = null;
    if (options.resumeFrom !== undefined) {
      envRestored = await _resume(trainer, options.resumeFrom, _compatibility(profile, settings));
    } else {
      // A fresh start owns the append-only logs.
      for (const file of [files.evalHistory, files.trainLog]) {
        await Deno.remove(file).catch(() => {});
      }
      for (const sub of Object.values(SB3_LOG_FILES)) {
        await Deno.remove(files.of(sub), { recursive: true }).catch(() => {});
      }
    }
    await _writeResolvedSettings(files, description, options.resumeFrom, settings, policy);
    const result = await trainer.learn();
    return await _writeArtifacts(options, files, trainer, callbacks, policy, description, {
      interrupted: result.interrupted,
      numTimesteps: result.numTimesteps,
      envRestored,
      evaluationEnv: envs.evaluation,
    });
  } finally {
    await policy.release();
    const closable = envs.train as { close?: () => void | Promise<void> };
    await closable.close?.();
  }
}

/** Envs trained side by side: 1 in `single-thread` mode, else `run.num_envs`. */
function _numEnvs(settings: ScenarioSettings): number {
  const run = settings.run;
  const numEnvs = run.worker_mode === "single-thread" ? 1 : run.num_envs;
  if (numEnvs > TRAINER_ENV_STREAMS) {
    throw new ExtractorRunError(
      `run.num_envs is ${numEnvs}, more than the ${TRAINER_ENV_STREAMS} env streams a run supports`,
      `set run.num_envs to ${TRAINER_ENV_STREAMS} or fewer`,
    );
  }
  return numEnvs;
}

/** Absolute artifact paths of an extractor directory, and the run-relative form. */
interface _ArtifactPaths {
  /** Absolute path of a file inside the extractor directory. */
  of(name: string): string;
  /** A path relative to the run directory. */
  relative(path: string): string;
  checkpoints: string;
  evalHistory: string;
  trainLog: string;
}

function _artifactPaths(extractorDir: string, runDir: string): _ArtifactPaths {
  const of = (name: string) => nodePath.join(extractorDir, name);
  return {
    of,
    relative: (p: string) => nodePath.relative(runDir, p),
    checkpoints: of(EXTRACTOR_FILES.checkpoints),
    evalHistory: of(EXTRACTOR_FILES.evalHistory),
    trainLog: of(EXTRACTOR_FILES.trainLog),
  };
}

/** The scenario's env settings and map; bad ones become ExtractorRunErrors. */
async function _loadEnvironment(
  settings: ScenarioSettings,
): Promise<{ envSettings: EnvSettings; map: MapDefinition }> {
  try {
    const envSettings = scenarioEnvSettings(settings);
    return { envSettings, map: await loadMap(envSettings.map) };
  } catch (error) {
    if (
      error instanceof MapError || error instanceof InputFileError ||
      error instanceof Deno.errors.NotFound
    ) {
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
}

/** The actor-critic policy of the extractor; unusable settings become ExtractorRunErrors. */
async function _buildPolicy(
  profile: ExtractorConfigurationProfile,
  settings: ScenarioSettings,
  rng: TrainingGenerators,
  prefetchMasks: boolean,
): Promise<PpoPolicy> {
  const ppo = settings.ppo;
  try {
    return await PpoPolicy.create(
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
        executionProvider: settings.run.device,
        prefetchMasks,
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
}

/** Training envs, the evaluation env and its episode seeds. */
interface _Envs {
  train: TrainingVecEnv;
  evaluation: RobotEnv;
  evaluationSeeds: number[];
}

async function _buildEnvs(
  options: TrainExtractorOptions,
  map: MapDefinition,
  envSettings: EnvSettings,
  numEnvs: number,
): Promise<_Envs> {
  const run = options.settings.run;
  const train = options.vecEnvFactory
    ? await options.vecEnvFactory({ map, settings: envSettings, numEnvs, seed: run.seed })
    : new VecEnv(map, envSettings, { numEnvs, seed: run.seed });
  const seeds = evaluationSeeds(run.seed, run.n_eval_episodes);
  const evaluation = new RobotEnv(map, envSettings, { seed: seeds[0] });
  return { train, evaluation, evaluationSeeds: seeds };
}

/** What the artifacts say about the run: resolved settings and ONNX metadata. */
interface _RunDescription {
  resolved: Record<string, unknown>;
  modelMetadata: (kind: string) => (timestep: number) => Record<string, string>;
}

function _describeRun(
  profile: ExtractorConfigurationProfile,
  settings: ScenarioSettings,
  envs: _Envs,
  map: MapDefinition,
  envSettings: EnvSettings,
  numEnvs: number,
): _RunDescription {
  const resolved = {
    extractor: profile,
    settings: resolvedSettings(settings),
    env_settings: envSettings,
    num_envs: numEnvs,
    evaluation_seeds: envs.evaluationSeeds,
  };
  const observationNormalization = {
    rays: "range / max_range (m)",
    rays_max_range_m: envSettings.lidar.maxRange,
    drive_state:
      "[linear speed, angular speed, distance to waypoint, angle to waypoint, angle to next waypoint] / scale",
    drive_state_scale: [
      envs.evaluation.robot.speedHigh[0],
      envs.evaluation.robot.speedHigh[1],
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
    seed: String(settings.run.seed),
    inputs: "rays [batch, 3, 272], drive_state [batch, 3, 5]",
    outputs: "action_mean [batch, 2], value [batch, 1], log_std [2]",
    observation_normalization: JSON.stringify(observationNormalization),
    library_versions: JSON.stringify(_versions()),
    resolved_config: JSON.stringify(resolved),
  });
  return { resolved, modelMetadata };
}

/** The callbacks of a run, in the order the trainer calls them. */
interface _Callbacks {
  list: TrainingCallback[];
  evaluation: EvalCallback;
  checkpoint: CheckpointCallback;
  /** SB3-format logs (TensorBoard, progress.csv, evaluations.npz). */
  sb3Logs: Sb3LogCallback;
  /** The last checkpoint written (relative to the run directory), or null. */
  lastCheckpoint(): string | null;
}

function _buildCallbacks(
  options: TrainExtractorOptions,
  policy: PpoPolicy,
  envs: _Envs,
  description: _RunDescription,
  files: _ArtifactPaths,
  numEnvs: number,
): _Callbacks {
  const { profile, settings } = options;
  const run = settings.run;
  const sb3Logs = new Sb3LogCallback(options.extractorDir);
  const evalCallback = new EvalCallback({
    policy,
    env: envs.evaluation,
    evalFreq: Math.max(1, Math.floor(run.eval_freq / numEnvs)),
    seeds: envs.evaluationSeeds,
    historyPath: files.evalHistory,
    bestModelPath: files.of(EXTRACTOR_FILES.bestModel),
    modelMetadata: description.modelMetadata("best"),
    deterministic: settings.evaluation?.deterministic,
    comfortDistance: settings.evaluation?.comfort_distance,
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
    dir: files.checkpoints,
    onCheckpoint: async (info) => {
      lastCheckpoint = files.relative(info.path);
      await options.manifest?.append({
        event: "checkpoint_written",
        extractor: profile.name,
        path: files.relative(info.path),
        step: info.step,
        sha256: info.sha256,
      });
    },
  });
  // The checkpoint callback comes after every callback with state of its own, so a
  // checkpoint taken at the end of an update already counts that update's
  // train_log.jsonl line (a resume from it neither loses nor repeats the line).
  const list: TrainingCallback[] = [
    evalCallback,
    new TrainLogCallback(files.trainLog),
    sb3Logs,
    checkpointCallback,
  ];
  if (options.onProgress) {
    list.push(
      new ProgressCallback({
        onProgress: options.onProgress,
        lastEvalReward: () => evalCallback.evaluations > 0 ? evalCallback.lastMeanReward : null,
      }),
    );
  }
  return {
    list,
    evaluation: evalCallback,
    checkpoint: checkpointCallback,
    sb3Logs,
    lastCheckpoint: () => lastCheckpoint,
  };
}

/** The PPO trainer; settings it cannot train become ExtractorRunErrors. */
function _buildTrainer(
  options: TrainExtractorOptions,
  policy: PpoPolicy,
  env: TrainingVecEnv,
  rng: TrainingGenerators,
  callbacks: TrainingCallback[],
): PpoTrainer {
  const { profile, settings } = options;
  try {
    return new PpoTrainer({
      policy,
      env,
      ppo: settings.ppo,
      totalTimesteps: settings.run.total_timesteps,
      actionRng: rng.actions,
      shuffleRng: rng.shuffle,
      callbacks,
      signal: options.signal,
      checkpointMetadata: {
        compatibility: _compatibility(profile, settings),
        extractor: profile.name,
      },
    });
  } catch (error) {
    if (error instanceof RangeError) {
      throw new ExtractorRunError(error.message, "fix run.ppo in the scenario", { cause: error });
    }
    throw error;
  }
}

async function _writeResolvedSettings(
  files: _ArtifactPaths,
  description: _RunDescription,
  resumeFrom: string | undefined,
  settings: ScenarioSettings,
  policy: PpoPolicy,
): Promise<void> {
  await writeJsonFileAtomic(files.of(EXTRACTOR_FILES.resolvedSettings), {
    ...description.resolved,
    resumed_from: resumeFrom ?? null,
    system: {
      os: Deno.build.os,
      arch: Deno.build.arch,
      logical_cores: navigator.hardwareConcurrency,
      versions: _versions(),
      execution_provider: settings.run.device,
    },
    policy: {
      total_parameters: policy.parameterCount,
      trainable_parameters: policy.parameterCount,
      buffers: policy.store.bufferCount,
    },
  });
}

/**
 * After training: an interrupted run gets a checkpoint; a finished one gets
 * final_model.onnx, the held-out evaluation of its final and best policies
 * (held_out.json) and metrics.json (with the held-out scores). Returns the extractor's result.
 */
async function _writeArtifacts(
  options: TrainExtractorOptions,
  files: _ArtifactPaths,
  trainer: PpoTrainer,
  callbacks: _Callbacks,
  policy: PpoPolicy,
  description: _RunDescription,
  outcome: {
    interrupted: boolean;
    numTimesteps: number;
    envRestored: boolean | null;
    evaluationEnv: RobotEnv;
  },
): Promise<TrainExtractorResult> {
  const relative = files.relative;
  const artifacts: Record<string, string> = {
    checkpoints: relative(files.checkpoints),
    eval_history: relative(files.evalHistory),
    train_log: relative(files.trainLog),
    tensorboard: relative(callbacks.sb3Logs.paths.tensorboard),
    progress_csv: relative(callbacks.sb3Logs.paths.progress),
    resolved_settings: relative(files.of(EXTRACTOR_FILES.resolvedSettings)),
  };
  if (callbacks.evaluation.evaluations > 0) {
    artifacts.best_model = relative(files.of(EXTRACTOR_FILES.bestModel));
    artifacts.evaluations_npz = relative(callbacks.sb3Logs.paths.evaluations);
  }
  const interrupted = async () => {
    await callbacks.checkpoint.save(trainer.context());
    return {
      trainingSteps: outcome.numTimesteps,
      metrics: _metrics(trainer, callbacks.evaluation, policy, options.profile),
      artifacts,
      wallTimeSeconds: trainer.wallTimeSeconds,
      interrupted: true,
      lastCheckpoint: callbacks.lastCheckpoint(),
      envRestored: outcome.envRestored,
    };
  };
  if (outcome.interrupted) return await interrupted();
  const finalPath = files.of(EXTRACTOR_FILES.finalModel);
  const bytes = policy.exportOnnx(description.modelMetadata("final")(outcome.numTimesteps));
  await writeOnnx(finalPath, bytes);
  artifacts.final_model = relative(finalPath);
  const { evaluation } = options.settings;
  const evaluationStarted = performance.now();
  const stillness = await _stillness(callbacks, policy, outcome.evaluationEnv, options.settings);
  // Held-out final evaluation (lib/rl/held_out_evaluation.ts): final and best policy.
  const trained = policy.trainingState();
  const heldOut = await evaluateHeldOut({
    policy,
    env: outcome.evaluationEnv,
    seeds: heldOutSeeds(evaluation.final_episodes, evaluation.held_out_seed_start),
    bestModelPath: callbacks.evaluation.evaluations > 0
      ? files.of(EXTRACTOR_FILES.bestModel)
      : null,
    directory: options.extractorDir,
    signal: options.signal,
    deterministic: evaluation.deterministic,
    comfortDistance: evaluation.comfort_distance,
  });
  if (heldOut === null) {
    await policy.setTrainingState(trained); // the checkpoint holds the trained state
    return await interrupted();
  }
  artifacts.held_out = relative(files.of(HELD_OUT_FILE_NAME));
  const metrics = {
    ..._metrics(trainer, callbacks.evaluation, policy, options.profile),
    ...heldOutMetrics(heldOut),
    ...stillness,
    // Periodic evaluations of this session, the stillness check and the held-out
    // evaluation: wall-clock seconds, like wall_time_seconds.
    eval_time_seconds: callbacks.evaluation.evaluationSeconds +
      (performance.now() - evaluationStarted) / 1000,
  };
  await writeMetricsFile(options.extractorDir, metrics);
  artifacts.metrics = relative(files.of(EXTRACTOR_FILES.metrics));
  return {
    trainingSteps: outcome.numTimesteps,
    metrics,
    artifacts,
    wallTimeSeconds: trainer.wallTimeSeconds,
    interrupted: false,
    lastCheckpoint: callbacks.lastCheckpoint(),
    envRestored: outcome.envRestored,
  };
}

/**
 * The deterministic-evaluation pitfall: when the last periodic evaluation's action
 * means never moved the robot, whether sampled actions do (metrics.json flags).
 */
async function _stillness(
  callbacks: _Callbacks,
  policy: PpoPolicy,
  env: RobotEnv,
  settings: ScenarioSettings,
): Promise<Record<string, number>> {
  const pathLength = callbacks.evaluation.lastRecord?.navigation?.mean_path_length;
  if (typeof pathLength !== "number" || settings.evaluation.deterministic === false) return {};
  const seeds = evaluationSeeds(settings.run.seed, settings.run.n_eval_episodes);
  const still = await checkDeterministicStillness(policy, pathLength, { env, seeds });
  return {
    deterministic_policy_still: still.deterministicStill ? 1 : 0,
    sampled_policy_moves: still.stochasticMoves ? 1 : 0,
  };
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
    if (stableJson(meta?.compatibility) !== stableJson(compatibility)) {
      const was = (meta?.compatibility ?? {}) as Record<string, unknown>;
      const differ = Object.keys(compatibility).filter((k) =>
        stableJson(was[k]) !== stableJson(compatibility[k])
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
    for (const [key, value] of Object.entries(last.navigation ?? {})) {
      if (value !== null && !(key in metrics)) metrics[key] = value;
    }
  }
  const ep = trainer.episodeStats();
  if (ep.count > 0) {
    metrics.train_ep_rew_mean = ep.meanReward!;
    metrics.train_ep_len_mean = ep.meanLength!;
    metrics.train_success_rate = ep.successRate!;
  }
  return metrics;
}
