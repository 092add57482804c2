/**
 * Reward of robot_sf's `simple_reward` (`gym_env/reward.py`).
 *
 * @module
 */
import type { RewardSettings } from "./settings.ts";

/** What happened in one step, as the reward sees it. */
export interface RewardEvents {
  /** The robot touched a pedestrian. */
  pedestrianCollision: boolean;
  /** The robot touched an obstacle or left the map. */
  obstacleCollision: boolean;
  /** The robot reached a waypoint (or its goal) this step. */
  waypointReached: boolean;
}

/**
 * `discount / maxSteps`, plus the pedestrian collision penalty, the obstacle
 * collision penalty and the waypoint reward when they apply (robot_sf
 * `simple_reward`; defaults -0.1, -5, -2, +1).
 *
 * @param events What happened this step.
 * @param options `maxSteps`: steps in a full-length episode,
 * `ceil(episodeSeconds / timeStep)`; `weights`: reward weights.
 * @returns The step reward.
 */
export function simpleReward(
  events: RewardEvents,
  options: { maxSteps: number; weights: RewardSettings },
): number {
  const weights = options.weights, maxSteps = options.maxSteps;
  let reward = weights.maxEpisodeStepDiscount / maxSteps;
  if (events.pedestrianCollision) reward += weights.pedestrianCollision;
  if (events.obstacleCollision) reward += weights.obstacleCollision;
  if (events.waypointReached) reward += weights.waypointReached;
  return reward;
}
