/**
 * Policy evaluation on reproducible episodes: the deterministic policy (action
 * means, clipped to the action space) runs one episode per given env seed, as
 * Stable-Baselines3's `evaluate_policy(deterministic=True)`
 * (stable_baselines3/common/evaluation.py), except that every episode starts from
 * `env.reset(seed)`, so the same seeds give the same episodes for every policy and
 * every evaluation.
 *
 * @module
 */
import type { RobotEnv } from "../sim/mod.ts";
import type { PpoPolicy } from "./policy.ts";
import { mean, std } from "../internal/stats.ts";

/** One evaluated episode. */
export interface EpisodeOutcome {
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

/** Options of {@linkcode evaluatePolicy}. */
export interface EvaluatePolicyOptions {
  /** A single env; it is reset with each seed. */
  env: RobotEnv;
  /** One env seed per episode (see {@linkcode evaluationSeeds}). */
  seeds: readonly number[];
}

/**
 * Run one deterministic episode per seed and aggregate the outcomes.
 * @param policy The policy (its inference model acts, batch 1).
 * @param options Env and episode seeds.
 * @returns Per-episode outcomes and aggregates.
 * @throws {ExtractorRunError} When the network output is not finite.
 * @throws {RangeError} When seeds is empty.
 */
export async function evaluatePolicy(
  policy: PpoPolicy,
  options: EvaluatePolicyOptions,
): Promise<EvaluationResult> {
  const { env, seeds } = options;
  if (seeds.length === 0) throw new RangeError("Evaluation needs at least one episode seed");
  const action = new Float32Array(2);
  const bounds = env.actionSpace;
  const episodes: EpisodeOutcome[] = [];
  for (const seed of seeds) {
    const { observation } = env.reset(seed);
    const obs = { rays: observation.rays, driveState: observation.drive_state, n: 1 };
    let reward = 0;
    for (;;) {
      await policy.predictDeterministic(obs, { bounds, out: action });
      const r = env.step(action);
      reward += r.reward;
      if (r.terminated || r.truncated) {
        episodes.push({
          seed,
          reward,
          length: r.info.step,
          success: r.info.is_success,
          collision: r.info.is_pedestrian_collision || r.info.is_obstacle_collision,
          timeout: r.truncated || r.info.is_timesteps_exceeded,
        });
        break;
      }
    }
  }
  const rewards = episodes.map((e) => e.reward);
  const lengths = episodes.map((e) => e.length);
  return {
    episodes,
    meanReward: mean(rewards),
    stdReward: std(rewards),
    meanEpLength: mean(lengths),
    stdEpLength: std(lengths),
    successRate: episodes.filter((e) => e.success).length / episodes.length,
    collisionRate: episodes.filter((e) => e.collision).length / episodes.length,
  };
}
