/**
 * Social-navigation metrics of one episode, computed from its trajectory, and the
 * Social Navigation Quality Index (SNQI) of robot_sf's benchmark.
 *
 * Definitions follow robot_sf's social-navigation benchmark
 * (ll7/robot_sf_ll7 `docs/dev/issues/social-navigation-benchmark/metrics_spec.md`,
 * `robot_sf/benchmark/snqi/compute.py`, default weights and normalisation in
 * `robot_sf/gym_env/reward.py`), adapted to this simulator where noted:
 *
 * - distances to pedestrians are clearances (centre distance minus robot and
 *   pedestrian radii, m), so 0 is contact, as the env's collision test;
 * - collisions end an episode here, so an episode has at most one;
 * - the force term counts the robot's repulsive force on pedestrians (robot_sf's
 *   `PedRobotForce`, the part of the social force that the robot causes) above a
 *   threshold, instead of the total force on each pedestrian.
 *
 * {@linkcode NavMetricsRecorder} consumes an episode step by step (nothing per step
 * is stored, so it suits long episodes and batches), and {@linkcode snqi} scores the
 * result. docs/evaluation.md lists every metric.
 *
 * @module
 */
import { mean } from "../internal/stats.ts";

/** Default comfort distance: a pedestrian closer than this (clearance, m) is a near miss. */
export const DEFAULT_COMFORT_DISTANCE = 0.5;

/**
 * Robot force magnitude on a pedestrian above which a step counts as a force
 * exceedance (robot_sf benchmark "force comfort threshold" 2.0, metrics_spec.md).
 */
export const DEFAULT_FORCE_THRESHOLD = 2.0;

/** SNQI weights (robot_sf `robot_sf/gym_env/reward.py` `_DEFAULT_SNQI_REWARD_WEIGHTS`). */
export interface SnqiWeights {
  /** Weight of success. @default 1.0 */
  w_success: number;
  /** Weight of the normalised time to goal. @default 0.8 */
  w_time: number;
  /** Weight of the normalised collision count. @default 2.0 */
  w_collisions: number;
  /** Weight of the normalised near-miss count. @default 1.0 */
  w_near: number;
  /** Weight of the comfort exposure. @default 0.5 */
  w_comfort: number;
  /** Weight of the normalised force-exceedance count. @default 1.5 */
  w_force_exceed: number;
  /** Weight of the normalised mean jerk. @default 0.3 */
  w_jerk: number;
}

/** robot_sf's default SNQI weights. */
export const DEFAULT_SNQI_WEIGHTS: Readonly<SnqiWeights> = Object.freeze({
  w_success: 1.0,
  w_time: 0.8,
  w_collisions: 2.0,
  w_near: 1.0,
  w_comfort: 0.5,
  w_force_exceed: 1.5,
  w_jerk: 0.3,
});

/**
 * Median and 95th percentile used to normalise a count-type SNQI term
 * (robot_sf `normalize_metric`).
 */
export interface SnqiBaseline {
  /** Median. */
  med: number;
  /** 95th percentile. */
  p95: number;
}

/**
 * robot_sf's default normalisation (`_DEFAULT_SNQI_REWARD_BASELINE` in
 * `robot_sf/gym_env/reward.py`): med 0, p95 1 for collisions, near misses, force
 * exceedances and mean jerk, i.e. each term is clamped to [0, 1].
 */
export const DEFAULT_SNQI_BASELINE: Readonly<
  Record<"collisions" | "near_misses" | "force_exceed_events" | "jerk_mean", SnqiBaseline>
> = Object.freeze({
  collisions: { med: 0, p95: 1 },
  near_misses: { med: 0, p95: 1 },
  force_exceed_events: { med: 0, p95: 1 },
  jerk_mean: { med: 0, p95: 1 },
});

/** How an episode ended. */
export interface EpisodeEnd {
  /** The robot reached its goal. */
  success: boolean;
  /** The robot touched a pedestrian. */
  pedestrianCollision: boolean;
  /** The robot touched an obstacle or the map edge. */
  obstacleCollision: boolean;
  /** The time limit ended the episode. */
  timeout: boolean;
}

/** Social-navigation metrics of one episode. Undefined values are NaN. */
export interface NavEpisodeMetrics {
  /** Reached the goal. */
  success: boolean;
  /** Ended in a pedestrian collision. */
  pedestrian_collision: boolean;
  /** Ended in an obstacle (or map edge) collision. */
  obstacle_collision: boolean;
  /** Ended by the time limit. */
  timeout: boolean;
  /** Steps taken. */
  steps: number;
  /** Seconds to reach the goal (steps x time step); NaN when not reached. */
  time_to_goal: number;
  /** `time_to_goal / episode limit` on success, 1 otherwise (robot_sf `time_to_goal_norm`). */
  time_to_goal_norm: number;
  /** Length of the robot's path, m (sum of the step displacements). */
  path_length: number;
  /**
   * Straight-line distance from the start to the end position over the path length,
   * in (0, 1]; successful episodes only (NaN otherwise, as robot_sf).
   */
  path_efficiency: number;
  /** Smallest clearance to any pedestrian over the episode, m; NaN without pedestrians. */
  min_pedestrian_distance: number;
  /** Steps with a pedestrian within the comfort distance and no contact. */
  near_misses: number;
  /** Steps with contact with a pedestrian (0 or 1 here: contact ends the episode). */
  collisions: number;
  /** (step, pedestrian) pairs where the robot's force on the pedestrian exceeds the threshold. */
  force_exceed_events: number;
  /** `force_exceed_events / (pedestrians x steps)`, in [0, 1] (robot_sf `comfort_exposure`). */
  comfort_exposure: number;
  /** Mean magnitude of the robot's jerk, m/s³ (finite differences of positions; 0 below 4 positions). */
  jerk_mean: number;
  /** SNQI with the default weights and normalisation. */
  snqi: number;
}

/** Settings of a {@linkcode NavMetricsRecorder}. */
export interface NavMetricsOptions {
  /** Simulation step, s. */
  timeStep: number;
  /** Steps of a full-length episode (the horizon H of `time_to_goal_norm`). */
  maxSteps: number;
  /** Robot radius, m. */
  robotRadius: number;
  /** Pedestrian radius, m. */
  pedestrianRadius: number;
  /** Near-miss clearance, m. @default DEFAULT_COMFORT_DISTANCE */
  comfortDistance?: number;
  /**
   * Robot force on a pedestrian at centre distance d:
   * `multiplier / d²` when `d <= range` (robot_sf `PedRobotForce`), else 0.
   * @default no force term (force exceedances 0)
   */
  robotForce?: { multiplier: number; range: number };
  /** Force exceedance threshold. @default DEFAULT_FORCE_THRESHOLD */
  forceThreshold?: number;
}

/**
 * Accumulates one episode's metrics from positions: call
 * {@linkcode NavMetricsRecorder.start} with the reset position, then
 * {@linkcode NavMetricsRecorder.step} after every env step with the new robot and
 * pedestrian positions, then {@linkcode NavMetricsRecorder.finish}.
 *
 * @example A straight 3 m path in 3 steps
 * ```ts
 * const rec = new NavMetricsRecorder({ timeStep: 0.1, maxSteps: 10, robotRadius: 1, pedestrianRadius: 0.4 });
 * rec.start(0, 0);
 * for (let k = 1; k <= 3; k++) rec.step(k, 0, [], [], 0);
 * rec.finish({ success: true, pedestrianCollision: false, obstacleCollision: false, timeout: false });
 * // path_length 3, time_to_goal 0.3, path_efficiency 1
 * ```
 */
export class NavMetricsRecorder {
  readonly #o: Required<Omit<NavMetricsOptions, "robotForce">> & {
    robotForce: { multiplier: number; range: number } | null;
  };
  #x0 = 0;
  #y0 = 0;
  #x = 0;
  #y = 0;
  #steps = 0;
  #path = 0;
  #minClear = Infinity;
  #near = 0;
  #contacts = 0;
  #force = 0;
  #pedSteps = 0;
  // Last three velocities (m/s) for the jerk, and jerk sums.
  #vx: number[] = [];
  #vy: number[] = [];
  #jerkSum = 0;
  #jerkCount = 0;

  /**
   * Create the metrics accumulator of one episode.
   * @param options Time step, horizon, radii, comfort distance, force model.
   * @throws {RangeError} When a value is not a finite positive number.
   */
  constructor(options: NavMetricsOptions) {
    for (const key of ["timeStep", "maxSteps", "robotRadius"] as const) {
      if (!(options[key] > 0) || !Number.isFinite(options[key])) {
        throw new RangeError(`${key} must be a positive number, got ${options[key]}`);
      }
    }
    const comfort = options.comfortDistance ?? DEFAULT_COMFORT_DISTANCE;
    if (!(comfort >= 0) || !Number.isFinite(comfort)) {
      throw new RangeError(`comfortDistance must be a non-negative number, got ${comfort}`);
    }
    this.#o = {
      timeStep: options.timeStep,
      maxSteps: options.maxSteps,
      robotRadius: options.robotRadius,
      pedestrianRadius: options.pedestrianRadius,
      comfortDistance: comfort,
      forceThreshold: options.forceThreshold ?? DEFAULT_FORCE_THRESHOLD,
      robotForce: options.robotForce ?? null,
    };
  }

  /** Begin an episode at the robot's reset position (m). */
  start(x: number, y: number): void {
    this.#x0 = this.#x = x;
    this.#y0 = this.#y = y;
    this.#steps = 0;
    this.#path = 0;
    this.#minClear = Infinity;
    this.#near =
      this.#contacts =
      this.#force =
      this.#pedSteps =
        0;
    this.#vx = [];
    this.#vy = [];
    this.#jerkSum = 0;
    this.#jerkCount = 0;
  }

  /**
   * Record one step: the robot's and pedestrians' positions after it.
   * @param x Robot x, m.
   * @param y Robot y, m.
   * @param px Pedestrian x, m, `[>= count]`.
   * @param py Pedestrian y, m, `[>= count]`.
   * @param count Pedestrians.
   */
  step(x: number, y: number, px: ArrayLike<number>, py: ArrayLike<number>, count: number): void {
    const o = this.#o, dt = o.timeStep;
    const dx = x - this.#x, dy = y - this.#y;
    this.#path += Math.hypot(dx, dy);
    this.#trackJerk(dx / dt, dy / dt);
    this.#x = x;
    this.#y = y;
    this.#steps++;
    const reach = o.robotRadius + o.pedestrianRadius;
    let minClear = Infinity;
    for (let i = 0; i < count; i++) {
      const d = Math.hypot(px[i] - x, py[i] - y);
      const clear = d - reach;
      if (clear < minClear) minClear = clear;
      const f = o.robotForce;
      if (f !== null && d > 0 && d <= f.range && f.multiplier / (d * d) > o.forceThreshold) {
        this.#force++;
      }
    }
    this.#pedSteps += count;
    if (minClear < this.#minClear) this.#minClear = minClear;
    if (minClear <= 0) this.#contacts++;
    else if (minClear < o.comfortDistance) this.#near++;
  }

  #trackJerk(vx: number, vy: number) {
    const dt = this.#o.timeStep;
    this.#vx.push(vx);
    this.#vy.push(vy);
    if (this.#vx.length > 3) {
      this.#vx.shift();
      this.#vy.shift();
    }
    if (this.#vx.length === 3) {
      const [a, b, c] = this.#vx, [d, e, f] = this.#vy;
      // (a_{t+1} - a_t) / dt with a_t = (v_{t+1} - v_t) / dt.
      const jx = (c - 2 * b + a) / (dt * dt), jy = (f - 2 * e + d) / (dt * dt);
      this.#jerkSum += Math.hypot(jx, jy);
      this.#jerkCount++;
    }
  }

  /**
   * The episode's metrics.
   * @param end How the episode ended.
   * @returns Metrics and SNQI (default weights and normalisation).
   */
  finish(end: EpisodeEnd): NavEpisodeMetrics {
    const o = this.#o, steps = this.#steps;
    const straight = Math.hypot(this.#x - this.#x0, this.#y - this.#y0);
    const metrics: NavEpisodeMetrics = {
      success: end.success,
      pedestrian_collision: end.pedestrianCollision,
      obstacle_collision: end.obstacleCollision,
      timeout: end.timeout,
      steps,
      time_to_goal: end.success ? steps * o.timeStep : NaN,
      time_to_goal_norm: end.success ? Math.min(1, steps / o.maxSteps) : 1,
      path_length: this.#path,
      path_efficiency: end.success && this.#path > 0 ? Math.min(1, straight / this.#path) : NaN,
      min_pedestrian_distance: Number.isFinite(this.#minClear) ? this.#minClear : NaN,
      near_misses: this.#near,
      collisions: Math.max(this.#contacts, end.pedestrianCollision ? 1 : 0),
      force_exceed_events: this.#force,
      comfort_exposure: this.#pedSteps > 0 ? this.#force / this.#pedSteps : 0,
      jerk_mean: this.#jerkCount > 0 ? this.#jerkSum / this.#jerkCount : 0,
      snqi: 0,
    };
    metrics.snqi = snqi(metrics);
    return metrics;
  }
}

/**
 * robot_sf `normalize_metric`: `(value - med) / (p95 - med)` clamped to [0, 1]
 * (a zero denominator counts as 1).
 * @param value Raw value.
 * @param baseline Median and 95th percentile.
 * @returns The normalised value in [0, 1].
 */
export function normalizeSnqiTerm(value: number, baseline: SnqiBaseline): number {
  let denom = baseline.p95 - baseline.med;
  if (Math.abs(denom) < 1e-9) denom = 1;
  const n = (value - baseline.med) / denom;
  return n < 0 ? 0 : n > 1 ? 1 : n;
}

/**
 * SNQI of one episode (robot_sf `compute_snqi`):
 * `w_success success - w_time time_to_goal_norm - w_collisions norm(collisions)
 *  - w_near norm(near_misses) - w_comfort comfort_exposure
 *  - w_force_exceed norm(force_exceed_events) - w_jerk norm(jerk_mean)`.
 * Higher is better; with the default weights it lies in [-6.1, 1].
 * @param m The episode's metrics.
 * @param weights Term weights. @default DEFAULT_SNQI_WEIGHTS
 * @param baseline Normalisation of the count terms. @default DEFAULT_SNQI_BASELINE
 */
export function snqi(
  m: Pick<
    NavEpisodeMetrics,
    | "success"
    | "time_to_goal_norm"
    | "collisions"
    | "near_misses"
    | "comfort_exposure"
    | "force_exceed_events"
    | "jerk_mean"
  >,
  weights: Readonly<SnqiWeights> = DEFAULT_SNQI_WEIGHTS,
  baseline: typeof DEFAULT_SNQI_BASELINE = DEFAULT_SNQI_BASELINE,
): number {
  return weights.w_success * (m.success ? 1 : 0) -
    weights.w_time * m.time_to_goal_norm -
    weights.w_collisions * normalizeSnqiTerm(m.collisions, baseline.collisions) -
    weights.w_near * normalizeSnqiTerm(m.near_misses, baseline.near_misses) -
    weights.w_comfort * m.comfort_exposure -
    weights.w_force_exceed *
      normalizeSnqiTerm(m.force_exceed_events, baseline.force_exceed_events) -
    weights.w_jerk * normalizeSnqiTerm(m.jerk_mean, baseline.jerk_mean);
}

/** Aggregate keys of an evaluation (metrics.json, eval --json, comparison). */
export interface NavAggregate {
  /** Fraction of episodes that reached the goal. */
  success_rate: number;
  /** Fraction that ended in any collision. */
  collision_rate: number;
  /** Fraction that ended in a pedestrian collision. */
  pedestrian_collision_rate: number;
  /** Fraction that ended in an obstacle collision. */
  obstacle_collision_rate: number;
  /** Fraction that hit the time limit. */
  timeout_rate: number;
  /** Mean time to goal over successful episodes, s (NaN when none succeeded). */
  mean_time_to_goal: number;
  /** Mean path length over all episodes, m. */
  mean_path_length: number;
  /** Mean path efficiency over successful episodes (NaN when none succeeded). */
  path_efficiency: number;
  /** Mean over episodes with pedestrians of the smallest clearance, m (NaN when none). */
  min_pedestrian_distance: number;
  /** Fraction of episodes with at least one near miss. */
  near_miss_rate: number;
  /** Mean of the episodes' mean jerk, m/s³. */
  mean_jerk: number;
  /** Mean SNQI. */
  snqi: number;
  /** Mean return (sum of rewards). */
  mean_return: number;
  /** Episodes. */
  episodes: number;
}

/** The aggregate keys in their documented order. */
export const NAV_AGGREGATE_KEYS: readonly (keyof NavAggregate)[] = Object.freeze([
  "success_rate",
  "collision_rate",
  "pedestrian_collision_rate",
  "obstacle_collision_rate",
  "timeout_rate",
  "mean_time_to_goal",
  "mean_path_length",
  "path_efficiency",
  "min_pedestrian_distance",
  "near_miss_rate",
  "mean_jerk",
  "snqi",
  "mean_return",
  "episodes",
]);

/** Mean of the finite values (lib/internal's mean), NaN when there are none. */
function _meanFinite(values: number[]): number {
  return mean(values.filter(Number.isFinite));
}

/**
 * Rates and means over episodes (see {@linkcode NavAggregate} for each key's
 * population: time to goal and path efficiency average successful episodes,
 * minimum distance averages episodes with pedestrians).
 * @param episodes Per-episode metrics with their return.
 * @throws {RangeError} When there is no episode.
 */
export function aggregateNavMetrics(
  episodes: readonly (NavEpisodeMetrics & { reward: number })[],
): NavAggregate {
  const n = episodes.length;
  if (n === 0) throw new RangeError("Aggregating navigation metrics needs at least one episode");
  const rate = (f: (e: NavEpisodeMetrics) => boolean) => episodes.filter(f).length / n;
  return {
    success_rate: rate((e) => e.success),
    collision_rate: rate((e) => e.pedestrian_collision || e.obstacle_collision),
    pedestrian_collision_rate: rate((e) => e.pedestrian_collision),
    obstacle_collision_rate: rate((e) => e.obstacle_collision),
    timeout_rate: rate((e) => e.timeout),
    mean_time_to_goal: _meanFinite(episodes.map((e) => e.time_to_goal)),
    mean_path_length: _meanFinite(episodes.map((e) => e.path_length)),
    path_efficiency: _meanFinite(episodes.map((e) => e.path_efficiency)),
    min_pedestrian_distance: _meanFinite(episodes.map((e) => e.min_pedestrian_distance)),
    near_miss_rate: rate((e) => e.near_misses > 0),
    mean_jerk: _meanFinite(episodes.map((e) => e.jerk_mean)),
    snqi: _meanFinite(episodes.map((e) => e.snqi)),
    mean_return: _meanFinite(episodes.map((e) => e.reward)),
    episodes: n,
  };
}
