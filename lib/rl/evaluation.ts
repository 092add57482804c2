/**
 * Policy evaluation on reproducible episodes: a policy (by default its
 * deterministic actions, the means clipped to the action space) or a baseline
 * controller runs one episode per given env seed, as Stable-Baselines3's
 * `evaluate_policy(deterministic=True)` (stable_baselines3/common/evaluation.py),
 * except that every episode starts from `env.reset(seed)`, so the same seeds give
 * the same episodes for every policy, controller and evaluation.
 *
 * Episodes run as a batch: up to `batchSize` envs step together, with one batched
 * policy call per step; an ended episode's env takes the next seed. Every episode
 * depends on its seed only, so the results equal one-at-a-time evaluation.
 * Each episode also records social-navigation metrics and SNQI (lib/sim
 * `NavMetricsRecorder`; docs/evaluation.md).
 *
 * @module
 */
import {
  aggregateNavMetrics,
  type Controller,
  DEFAULT_COMFORT_DISTANCE,
  type NavAggregate,
  type NavEpisodeMetrics,
  NavMetricsRecorder,
  RobotEnv,
} from "../sim/mod.ts";
import { SeededRng } from "../rng/mod.ts";
import { clipActions } from "./distributions.ts";
import type { ObservationBatch } from "./policy.ts";
import { mean, std } from "../internal/stats.ts";

/**
 * One evaluated episode: the original outcome fields and the social-navigation
 * metrics (undefined values are NaN, `null` in JSON).
 */
export interface EpisodeOutcome extends NavEpisodeMetrics {
  /** Env seed of the episode. */
  seed: number;
  /** Sum of rewards. */
  reward: number;
  /** Steps. */
  length: number;
  /** The robot reached its goal (`info.is_success`). */
  success: boolean;
  /** The episode ended in a pedestrian or obstacle collision. */
  collision: boolean;
  /** The episode hit the time limit. */
  timeout: boolean;
}

/** Aggregate of an evaluation. */
export interface EvaluationResult {
  /** Episodes in seed order. */
  episodes: EpisodeOutcome[];
  /** Mean episode reward. */
  meanReward: number;
  /** Population standard deviation of the episode reward (numpy `std`). */
  stdReward: number;
  /** Mean episode length, steps. */
  meanEpLength: number;
  /** Population standard deviation of the episode length, steps. */
  stdEpLength: number;
  /** Fraction of episodes that reached the goal, in [0, 1]. */
  successRate: number;
  /** Fraction of episodes that ended in a collision, in [0, 1]. */
  collisionRate: number;
  /** Social-navigation aggregates (metrics.json / eval --json keys). */
  navigation: NavAggregate;
}

/**
 * Env seeds of the evaluation episodes of a run: episode k uses
 * `(seed + 100003 (k + 1)) mod 2^32`. They depend on the run seed only, so every
 * extractor of a run and every evaluation sees the same episodes.
 * @param seed Run seed (`run.seed`).
 * @param count Episodes (`run.n_eval_episodes`).
 * @throws {RangeError} When count is not a positive integer.
 */
export function evaluationSeeds(seed: number, count: number): number[] {
  if (!Number.isInteger(count) || count < 1) {
    throw new RangeError(`Evaluation episode count must be a positive integer, got ${count}`);
  }
  return Array.from({ length: count }, (_, k) => (seed + 100003 * (k + 1)) % 4294967296);
}

/** A network that gives action means for a batch (a `PpoPolicy`, an exported ONNX policy). */
export interface ActionMeanModel {
  /** Action means `[n, 2]` and log standard deviations `[2]` for `n` observations. */
  forward(obs: ObservationBatch): Promise<{ actionMean: Float32Array; logStd: Float32Array }>;
}

/**
 * Chooses actions for a batch of envs. `start` is called after each episode's
 * reset; `act` gets the active envs' stacked observations (rows in `slots` order)
 * and writes `[n, 2]` actions (the env clips them).
 */
export interface EvaluationActor {
  /** An episode starts in a slot (the env was just reset with `seed`). */
  start(slot: number, env: RobotEnv, seed: number): void;
  /** Actions for the active slots. */
  act(
    obs: ObservationBatch,
    envs: readonly RobotEnv[],
    slots: readonly number[],
    out: Float32Array,
  ): void | Promise<void>;
}

/**
 * An actor for a policy network: the means (deterministic, SB3's default for
 * evaluation) or samples `mean + exp(log_std) z` with `z` from a stream seeded by
 * the episode's env seed (stream 5 of it), so that sampled episodes do not depend
 * on the batch either. Actions are clipped to the action space.
 * @param model The network.
 * @param deterministic Means (true) or samples (false).
 */
export function policyActor(model: ActionMeanModel, deterministic = true): EvaluationActor {
  const rngs: SeededRng[] = [];
  return {
    start(slot, _env, seed) {
      if (!deterministic) rngs[slot] = new SeededRng(seed).fork(5);
    },
    async act(obs, envs, slots, out) {
      const { actionMean, logStd } = await model.forward(obs);
      const raw = out.subarray(0, 2 * obs.n);
      for (let i = 0; i < obs.n; i++) {
        for (let d = 0; d < 2; d++) {
          raw[2 * i + d] = deterministic
            ? actionMean[2 * i + d]
            : actionMean[2 * i + d] + Math.exp(logStd[d]) * rngs[slots[i]].normal();
        }
      }
      const bounds = envs[0].actionSpace;
      clipActions(raw, bounds.low, bounds.high, raw);
    },
  };
}

/** An actor for a baseline controller (one controller instance per slot). */
export function controllerActor(make: () => Controller): EvaluationActor {
  const controllers: Controller[] = [];
  return {
    start(slot, env, seed) {
      controllers[slot] ??= make();
      controllers[slot].reset(env, seed);
    },
    act(_obs, envs, slots, out) {
      for (let i = 0; i < envs.length; i++) {
        controllers[slots[i]].act(envs[i], out.subarray(2 * i, 2 * i + 2));
      }
    },
  };
}

/** Options of {@linkcode evaluateActor} and {@linkcode evaluatePolicy}. */
export interface EvaluatePolicyOptions {
  /** An env; it is reset with each seed. More envs like it are built for a batch. */
  env: RobotEnv;
  /** One env seed per episode (see {@linkcode evaluationSeeds}). */
  seeds: readonly number[];
  /** Envs stepped together. @default min(16, seeds.length) */
  batchSize?: number;
  /** Near-miss clearance, m. @default 0.5 */
  comfortDistance?: number;
  /** Policy actions: means (true, SB3's default) or samples. Ignored by controllers. @default true */
  deterministic?: boolean;
  /** Stop every episode after this many steps (as if truncated). @default no cap */
  maxSteps?: number;
}

function _recorder(env: RobotEnv, comfortDistance: number): NavMetricsRecorder {
  const s = env.settings, f = s.pedestrians.forces;
  return new NavMetricsRecorder({
    timeStep: s.timeStep,
    maxSteps: env.maxSteps,
    robotRadius: env.robot.radius,
    pedestrianRadius: s.pedestrians.radius,
    comfortDistance,
    robotForce: f.robotForce
      ? {
        multiplier: f.robotForceMultiplier,
        range: f.robotForceActivationThreshold + f.agentRadius + env.robot.radius,
      }
      : undefined,
  });
}

interface _Slot {
  env: RobotEnv;
  episode: number;
  reward: number;
  recorder: NavMetricsRecorder;
}

/**
 * Run one episode per seed with an actor, batched, and aggregate the outcomes.
 * @param actor Chooses the actions (see {@linkcode policyActor}, {@linkcode controllerActor}).
 * @param options Env, seeds, batch size, comfort distance, step cap.
 * @returns Per-episode outcomes in seed order and aggregates.
 * @throws {RangeError} When seeds is empty or batchSize is not a positive integer.
 */
export async function evaluateActor(
  actor: EvaluationActor,
  options: EvaluatePolicyOptions,
): Promise<EvaluationResult> {
  const { env, seeds } = options;
  if (seeds.length === 0) throw new RangeError("Evaluation needs at least one episode seed");
  const batch = Math.min(options.batchSize ?? 16, seeds.length);
  if (!Number.isInteger(batch) || batch < 1) {
    throw new RangeError(`Evaluation batch size must be a positive integer, got ${batch}`);
  }
  const comfort = options.comfortDistance ?? DEFAULT_COMFORT_DISTANCE;
  const cap = options.maxSteps ?? Infinity;
  const stack = env.settings.stackSteps, rayWidth = stack * env.settings.lidar.rays;
  const driveWidth = stack * 5;
  const episodes: EpisodeOutcome[] = new Array(seeds.length);
  let next = 0;
  const begin = (slot: number, s: _Slot) => {
    s.episode = next++;
    s.reward = 0;
    s.env.reset(seeds[s.episode]);
    s.recorder.start(s.env.robot.x, s.env.robot.y);
    actor.start(slot, s.env, seeds[s.episode]);
  };
  const slots: _Slot[] = [];
  for (let k = 0; k < batch; k++) {
    const e = k === 0 ? env : new RobotEnv(env.map, env.settings, {
      streamIndex: env.streamIndex,
    });
    slots.push({ env: e, episode: -1, reward: 0, recorder: _recorder(e, comfort) });
    begin(k, slots[k]);
  }
  let active = slots.map((_, k) => k);
  const buffers = new Map<number, ObservationBatch & { actions: Float32Array }>();
  while (active.length > 0) {
    const n = active.length;
    let b = buffers.get(n);
    if (b === undefined) {
      b = {
        rays: new Float32Array(n * rayWidth),
        driveState: new Float32Array(n * driveWidth),
        n,
        actions: new Float32Array(n * 2),
      };
      buffers.set(n, b);
    }
    const envs = active.map((k) => slots[k].env);
    envs.forEach((e, i) => {
      b.rays.set(e.observation.rays, i * rayWidth);
      b.driveState.set(e.observation.drive_state, i * driveWidth);
    });
    await actor.act(b, envs, active, b.actions);
    const still: number[] = [];
    for (let i = 0; i < n; i++) {
      const k = active[i], s = slots[k];
      const r = s.env.step(b.actions.subarray(2 * i, 2 * i + 2));
      s.reward += r.reward;
      const p = s.env.pedestrians;
      s.recorder.step(s.env.robot.x, s.env.robot.y, p.px, p.py, p.count);
      const capped = r.info.step >= cap;
      if (!(r.terminated || r.truncated || capped)) {
        still.push(k);
        continue;
      }
      const info = r.info;
      const pedHit = info.is_pedestrian_collision, obstacleHit = info.is_obstacle_collision;
      const timeout = !info.is_success && !pedHit && !obstacleHit;
      const nav = s.recorder.finish({
        success: info.is_success,
        pedestrianCollision: pedHit,
        obstacleCollision: obstacleHit,
        timeout,
      });
      episodes[s.episode] = {
        ...nav,
        seed: seeds[s.episode],
        reward: s.reward,
        length: info.step,
        success: info.is_success,
        collision: pedHit || obstacleHit,
        timeout,
      };
      if (next < seeds.length) {
        begin(k, s);
        still.push(k);
      }
    }
    active = still;
  }
  return _aggregate(episodes);
}

function _aggregate(episodes: EpisodeOutcome[]): EvaluationResult {
  const rewards = episodes.map((e) => e.reward);
  const lengths = episodes.map((e) => e.length);
  const navigation = aggregateNavMetrics(episodes);
  return {
    episodes,
    meanReward: mean(rewards),
    stdReward: std(rewards),
    meanEpLength: mean(lengths),
    stdEpLength: std(lengths),
    successRate: navigation.success_rate,
    collisionRate: navigation.collision_rate,
    navigation,
  };
}

/**
 * Run one episode per seed with a policy (deterministic by default) and aggregate
 * the outcomes.
 * @param policy The policy (a `PpoPolicy` acts through its inference model).
 * @param options Env, episode seeds, batch size, deterministic or sampled actions.
 * @returns Per-episode outcomes and aggregates.
 * @throws {ExtractorRunError} When the network output is not finite.
 * @throws {RangeError} When seeds is empty.
 */
export function evaluatePolicy(
  policy: ActionMeanModel,
  options: EvaluatePolicyOptions,
): Promise<EvaluationResult> {
  return evaluateActor(policyActor(policy, options.deterministic ?? true), options);
}

/** Path length (m) below which an evaluated policy counts as not moving. */
export const STILL_PATH_LENGTH = 0.05;

/** Outcome of {@linkcode checkDeterministicStillness}. */
export interface StillnessCheck {
  /** The deterministic policy moved the robot less than 5 cm per episode on average. */
  deterministicStill: boolean;
  /** Sampled actions moved the robot at least 5 cm in some episode (checked only when still). */
  stochasticMoves: boolean;
}

/**
 * The deterministic-evaluation pitfall: a policy whose action means never move
 * the robot (e.g. a mean linear action at or below 0 in robot_sf's incremental
 * drive) while its sampled actions do. Looks at a deterministic evaluation's mean
 * path length and, when it is under 5 cm, runs `steps`-step sampled episodes on
 * the same seeds (at most 3).
 * @param policy The policy.
 * @param meanPathLength Mean path length (m) of its deterministic evaluation.
 * @param options Env, seeds and the sampled episodes' length. @default steps 100
 */
export async function checkDeterministicStillness(
  policy: ActionMeanModel,
  meanPathLength: number,
  options: { env: RobotEnv; seeds: readonly number[]; steps?: number },
): Promise<StillnessCheck> {
  if (!(meanPathLength < STILL_PATH_LENGTH)) {
    return { deterministicStill: false, stochasticMoves: false };
  }
  const sampled = await evaluatePolicy(policy, {
    env: options.env,
    seeds: options.seeds.slice(0, 3),
    deterministic: false,
    maxSteps: options.steps ?? 100,
  });
  return {
    deterministicStill: true,
    stochasticMoves: sampled.episodes.some((e) => e.path_length >= STILL_PATH_LENGTH),
  };
}
