/**
 * The crowd-navigation environment (robot_sf `gym_env/robot_env.py` with
 * `sim/simulator.py`, `robot/robot_state.py`, `nav/occupancy.py`,
 * `sensor/sensor_fusion.py`, `sensor/goal_sensor.py`): a robot follows a route
 * of waypoints through pedestrians moved by the social force model.
 *
 * @module
 */
import { SeededRng } from "../rng/mod.ts";
import { _circleHitsSegment } from "./_geometry.ts";
import { type _SegmentGrid, _segmentGridOf } from "./_segment_grid.ts";
import { LidarScanner, type LidarScanOptions } from "./lidar.ts";
import { type MapDefinition, maxTargetDistance, type Zone } from "./map_definition.ts";
import { loadMap } from "./load_map.ts";
import { PedestrianSimulation } from "./pedestrians.ts";
import { type RewardEvents, simpleReward } from "./reward.ts";
import { createRobot, type Robot } from "./robot.ts";
import { type EnvSettings, validateEnvSettings } from "./settings.ts";
import { stableJson } from "../internal/stable_json.ts";
import { _decode, _decodeInto, _digest, _encode } from "./_codec.ts";
import {
  checkSnapshotHeader,
  ENV_SNAPSHOT_FORMAT,
  type RobotEnvSnapshot,
  SNAPSHOT_VERSION,
  SnapshotError,
} from "./snapshot.ts";

/** A box space: element-wise bounds of a float32 tensor. */
export interface BoxSpace {
  /** Tensor shape, e.g. `[3, 272]`. */
  shape: number[];
  /** Lower bounds, flat, row-major. */
  low: Float32Array;
  /** Upper bounds, flat, row-major. */
  high: Float32Array;
  /** Element type. */
  dtype: "float32";
}

/** The observation: both arrays normalised by their space maxima. */
export interface Observation {
  /** LiDAR ranges / max range, `[stack=3, rays=272]`, oldest row first. */
  rays: Float32Array;
  /**
   * Drive state, `[stack=3, 5]`, oldest row first: linear speed / max, angular
   * speed / max, distance to the current waypoint / max target distance, angle to
   * it / pi, angle from it to the following waypoint / pi.
   */
  drive_state: Float32Array;
}

/** Per-step details, mirroring robot_sf's meta dict. Reused between steps. */
export interface StepInfo {
  /** Steps taken in this episode. */
  step: number;
  /** Episodes started so far by this env (1 after the first reset). */
  episode: number;
  /** The robot touched a pedestrian. */
  is_pedestrian_collision: boolean;
  /** The robot touched an obstacle or the map edge. */
  is_obstacle_collision: boolean;
  /** The robot reached a waypoint this step (robot_sf semantics; rewarded). */
  is_robot_at_goal: boolean;
  /** The robot is within reach of the last waypoint. */
  is_route_complete: boolean;
  /** The episode ended because the robot reached its goal circle (success). */
  is_success: boolean;
  /** The time limit was exceeded. */
  is_timesteps_exceeded: boolean;
  /** Distance to the current waypoint, m. */
  distance_to_goal: number;
  /** Distance to the final goal, m. */
  distance_to_final_goal: number;
  /** Steps of a full-length episode. */
  max_sim_steps: number;
}

/** Result of {@linkcode RobotEnv.step}; the same object is refilled every step. */
export interface StepResult {
  /** Observation (the env's buffers). */
  observation: Observation;
  /** Step reward. */
  reward: number;
  /** Episode ended by collision or goal (or time limit when not truncation). */
  terminated: boolean;
  /** Episode ended by the time limit. */
  truncated: boolean;
  /** Details. */
  info: StepInfo;
}

/** Options of the {@linkcode RobotEnv} constructor. */
export interface RobotEnvOptions {
  /** Seed of the env's random stream. @default 0 */
  seed?: number;
  /**
   * Index of this env's random stream: stream i is the seed's generator jumped
   * ahead i times (2^64 draws each), so envs of a vector env never overlap and
   * results do not depend on how envs are spread over workers. @default 0
   */
  streamIndex?: number;
  /** Externally created observation buffers (e.g. views into a vector env's buffers). */
  buffers?: Observation;
}

/** Python's modulo (result has the divisor's sign). */
function _pyMod(a: number, b: number): number {
  const r = a % b;
  return r !== 0 && (r < 0) !== (b < 0) ? r + b : r;
}

/** robot_sf `norm_angle`: `(a + pi) mod 2 pi - pi`, in [-pi, pi). */
function _normAngle(a: number): number {
  return _pyMod(a + Math.PI, 2 * Math.PI) - Math.PI;
}

const _mapDigests = new WeakMap<MapDefinition, string>();

/**
 * Digest of what a snapshot depends on: the map's geometry (bounds, obstacles,
 * zones, routes; not its name or source path) and the settings except `map`.
 */
function _fingerprint(map: MapDefinition, settings: EnvSettings): string {
  let mapDigest = _mapDigests.get(map);
  if (mapDigest === undefined) {
    const { name: _n, source: _s, warnings: _w, ...geometry } = map;
    mapDigest = _digest(stableJson(geometry));
    _mapDigests.set(map, mapDigest);
  }
  const { map: _m, ...rest } = settings;
  return `${mapDigest}-${_digest(stableJson(rest))}`;
}

/** The random stream of env `index` for a seed. */
export function envRng(seed: number, index = 0): SeededRng {
  const rng = new SeededRng(seed);
  return index === 0 ? rng : rng.fork(index);
}

/**
 * Robot crowd-navigation environment with robot_sf's observation and action
 * spaces, reward and termination. Observations are written into preallocated
 * buffers; `step` allocates nothing.
 *
 * @example Run a random episode
 * ```ts
 * const env = await RobotEnv.create(makeEnvSettings({ map: "corridor" }), { seed: 1 });
 * env.reset();
 * const action = new Float32Array(2);
 * for (let done = false; !done;) {
 *   action[0] = 0.1;
 *   const r = env.step(action);
 *   done = r.terminated || r.truncated;
 * }
 * ```
 */
export class RobotEnv {
  /** The map. */
  readonly map: MapDefinition;
  /** The settings. */
  readonly settings: EnvSettings;
  /** Observation spaces (normalised). */
  readonly observationSpace: { rays: BoxSpace; drive_state: BoxSpace };
  /** Action space: differential (linear m/s, angular rad/s); bicycle (accel m/s², steer rad). */
  readonly actionSpace: BoxSpace;
  /** The observation buffers, refilled by reset and step. Treat as read-only. */
  readonly observation: Observation;
  /** The robot. */
  readonly robot: Robot;
  /** The pedestrians. */
  readonly pedestrians: PedestrianSimulation;
  /** Steps of a full-length episode, `ceil(episodeSeconds / timeStep)`. */
  readonly maxSteps: number;

  #rng: SeededRng;
  #streamIndex: number;
  #grid: _SegmentGrid;
  #lidar: LidarScanner;
  #navX: Float64Array;
  #navY: Float64Array;
  #navCount = 0;
  #navId = 0;
  #timestep = 0;
  #episode = 0;
  #maxDrive: Float32Array;
  #rayScale: number;
  #spawnKeys: number[];
  #routesBySpawn: Map<number, number[]>;
  #events: RewardEvents = {
    pedestrianCollision: false,
    obstacleCollision: false,
    waypointReached: false,
  };
  #result: StepResult;
  #needsReset = true;
  #scanOptions: LidarScanOptions;
  #rewardOptions: { maxSteps: number; weights: EnvSettings["reward"] };

  /**
   * Create a RobotEnv.
   * @param map A loaded map (share one across envs).
   * @param settings Complete settings (the `map` field is not read here).
   * @param options Seed, stream index, external buffers.
   * @throws {RangeError} When settings are invalid or buffers have the wrong size.
   */
  constructor(map: MapDefinition, settings: EnvSettings, options: RobotEnvOptions = {}) {
    validateEnvSettings(settings);
    this.map = map;
    this.settings = settings;
    const seed = options.seed ?? 0;
    this.#streamIndex = options.streamIndex ?? 0;
    if (!Number.isInteger(this.#streamIndex) || this.#streamIndex < 0) {
      throw new RangeError(`Stream index must be a non-negative integer, got ${this.#streamIndex}`);
    }
    this.#rng = envRng(seed, this.#streamIndex);
    this.#grid = _segmentGridOf(map);
    this.robot = createRobot(settings.robot);
    this.#lidar = new LidarScanner(settings.lidar, map);
    this.#scanOptions = { pedestrianRadius: settings.pedestrians.radius, rng: null };
    this.maxSteps = Math.ceil(settings.episodeSeconds / settings.timeStep);
    this.#rewardOptions = { maxSteps: this.maxSteps, weights: settings.reward };

    const stack = settings.stackSteps, rays = settings.lidar.rays;
    const maxTarget = maxTargetDistance(map);
    this.#maxDrive = Float32Array.of(
      this.robot.speedHigh[0],
      this.robot.speedHigh[1],
      maxTarget,
      Math.PI,
      Math.PI,
    );
    this.#rayScale = Math.fround(settings.lidar.maxRange);
    const lowRow = Float32Array.of(
      this.robot.speedLow[0],
      this.robot.speedLow[1],
      0,
      -Math.PI,
      -Math.PI,
    );
    const driveLow = new Float32Array(stack * 5), driveHigh = new Float32Array(stack * 5);
    for (let t = 0; t < stack; t++) {
      for (let k = 0; k < 5; k++) {
        driveLow[5 * t + k] = lowRow[k] / this.#maxDrive[k];
        driveHigh[5 * t + k] = 1;
      }
    }
    this.observationSpace = {
      rays: {
        shape: [stack, rays],
        low: new Float32Array(stack * rays),
        high: new Float32Array(stack * rays).fill(1),
        dtype: "float32",
      },
      drive_state: { shape: [stack, 5], low: driveLow, high: driveHigh, dtype: "float32" },
    };
    this.actionSpace = {
      shape: [2],
      low: Float32Array.from(this.robot.actionLow),
      high: Float32Array.from(this.robot.actionHigh),
      dtype: "float32",
    };
    if (options.buffers) {
      if (
        options.buffers.rays.length !== stack * rays ||
        options.buffers.drive_state.length !== stack * 5
      ) {
        throw new RangeError(
          `Observation buffers must hold ${stack * rays} rays and ${
            stack * 5
          } drive values, got ${options.buffers.rays.length} and ${options.buffers.drive_state.length}`,
        );
      }
      this.observation = options.buffers;
    } else {
      this.observation = {
        rays: new Float32Array(stack * rays),
        drive_state: new Float32Array(stack * 5),
      };
    }

    const density = settings.pedDensityByDifficulty[settings.difficulty];
    this.pedestrians = new PedestrianSimulation(map, settings.pedestrians, {
      density,
      timeStep: settings.timeStep,
    });
    this.pedestrians.populate(this.#rng);

    let longest = 0;
    this.#routesBySpawn = new Map();
    map.robotRoutes.forEach((r, i) => {
      longest = Math.max(longest, r.waypoints.length);
      const list = this.#routesBySpawn.get(r.spawnId) ?? [];
      list.push(i);
      this.#routesBySpawn.set(r.spawnId, list);
    });
    this.#spawnKeys = [...this.#routesBySpawn.keys()].sort((a, b) => a - b);
    this.#navX = new Float64Array(longest + 1);
    this.#navY = new Float64Array(longest + 1);
    this.#result = {
      observation: this.observation,
      reward: 0,
      terminated: false,
      truncated: false,
      info: {
        step: 0,
        episode: 0,
        is_pedestrian_collision: false,
        is_obstacle_collision: false,
        is_robot_at_goal: false,
        is_route_complete: false,
        is_success: false,
        is_timesteps_exceeded: false,
        distance_to_goal: 0,
        distance_to_final_goal: 0,
        max_sim_steps: this.maxSteps,
      },
    };
  }

  /**
   * Load the map named in the settings and build an env.
   * @throws {MapError} When the map cannot be loaded.
   */
  static async create(settings: EnvSettings, options: RobotEnvOptions = {}): Promise<RobotEnv> {
    return new RobotEnv(await loadMap(settings.map), settings, options);
  }

  /** Index of this env's random stream (see {@linkcode RobotEnvOptions.streamIndex}). */
  get streamIndex(): number {
    return this.#streamIndex;
  }

  /** Current waypoint x, y (m). */
  get goal(): [number, number] {
    return [this.#navX[this.#navId], this.#navY[this.#navId]];
  }

  /** The current route's waypoints (the last one is the final goal). */
  get route(): [number, number][] {
    const out: [number, number][] = [];
    for (let i = 0; i < this.#navCount; i++) out.push([this.#navX[i], this.#navY[i]]);
    return out;
  }

  /**
   * Start an episode: a new robot route (random spawn zone, random route from
   * it, start and goal points drawn in its zones) and the robot at rest facing
   * along the route. Pedestrians keep walking (as robot_sf) unless a seed is
   * given or `respawnPedestriansOnReset` is set.
   *
   * @param seed Reseed this env's random stream and respawn the pedestrians.
   * @returns The first observation (the env's buffers) and info.
   */
  reset(seed?: number): { observation: Observation; info: StepInfo } {
    if (seed !== undefined) {
      this.#rng = envRng(seed, this.#streamIndex);
      this.pedestrians.populate(this.#rng);
    } else if (this.settings.respawnPedestriansOnReset && this.#episode > 0) {
      this.pedestrians.populate(this.#rng);
    }
    this.#newRoute();
    this.#timestep = 0;
    this.#episode++;
    this.#needsReset = false;
    this.#writeObservation(true);
    const info = this.#result.info;
    info.step = 0;
    info.episode = this.#episode;
    info.is_pedestrian_collision = info.is_obstacle_collision = info.is_robot_at_goal = false;
    info.is_route_complete = info.is_success = info.is_timesteps_exceeded = false;
    this.#fillDistances(info);
    return { observation: this.observation, info };
  }

  #fillDistances(info: StepInfo) {
    const r = this.robot;
    info.distance_to_goal = Math.hypot(
      this.#navX[this.#navId] - r.x,
      this.#navY[this.#navId] - r.y,
    );
    const last = this.#navCount - 1;
    info.distance_to_final_goal = Math.hypot(this.#navX[last] - r.x, this.#navY[last] - r.y);
  }

  #zonePoint(zone: Zone, clearance: number): [number, number] {
    let x = 0, y = 0;
    for (let t = 0; t < 32; t++) {
      const u = this.#rng.uniform(), v = this.#rng.uniform();
      x = zone.b[0] + u * (zone.a[0] - zone.b[0]) + v * (zone.c[0] - zone.b[0]);
      y = zone.b[1] + u * (zone.a[1] - zone.b[1]) + v * (zone.c[1] - zone.b[1]);
      if (this.pedestrians.insideObstacle(x, y)) continue;
      if (clearance > 0 && this.#obstacleCollision(x, y, clearance)) continue;
      break;
    }
    return [x, y];
  }

  #newRoute() {
    const key = this.#spawnKeys[this.#rng.int(this.#spawnKeys.length)];
    const candidates = this.#routesBySpawn.get(key)!;
    const route = this.map.robotRoutes[candidates[this.#rng.int(candidates.length)]];
    const [sx, sy] = this.#zonePoint(route.spawnZone, this.robot.radius);
    const [gx, gy] = this.#zonePoint(route.goalZone, 0);
    const wps = route.waypoints;
    for (let i = 0; i < wps.length; i++) {
      this.#navX[i] = wps[i][0];
      this.#navY[i] = wps[i][1];
    }
    this.#navX[wps.length] = gx;
    this.#navY[wps.length] = gy;
    this.#navCount = wps.length + 1;
    this.#navId = 0;
    const heading = Math.atan2(this.#navY[1] - this.#navY[0], this.#navX[1] - this.#navX[0]);
    this.robot.reset(sx, sy, heading);
  }

  #obstacleCollision(x: number, y: number, r: number): boolean {
    if (!(0 <= x && x <= this.map.width && 0 <= y && y <= this.map.height)) return true;
    const grid = this.#grid, seg = grid.segments;
    const m = grid.query(x - r, y - r, x + r, y + r);
    for (let q = 0; q < m; q++) {
      const o = 4 * grid.result[q];
      if (_circleHitsSegment(x, y, r, seg[o], seg[o + 1], seg[o + 2], seg[o + 3])) return true;
    }
    return false;
  }

  #pedestrianCollision(x: number, y: number, r: number): boolean {
    const p = this.pedestrians, reach = r + this.settings.pedestrians.radius;
    const reachSq = reach * reach;
    for (let i = 0; i < p.count; i++) {
      const dx = x - p.px[i], dy = y - p.py[i];
      if (dx * dx + dy * dy <= reachSq) return true;
    }
    return false;
  }

  /** Scan, compute the drive state, and push both into the stacked buffers. */
  #writeObservation(fillAll: boolean) {
    const s = this.settings, r = this.robot, p = this.pedestrians;
    this.#scanOptions.rng = s.lidar.noise ? this.#rng : null;
    const ranges = this.#lidar.scan(r, p, this.#scanOptions);
    const rays = this.observation.rays, drive = this.observation.drive_state;
    const n = s.lidar.rays, stack = s.stackSteps;
    const last = (stack - 1) * n;
    if (!fillAll) {
      rays.copyWithin(0, n);
      drive.copyWithin(0, 5);
    }
    const scale = this.#rayScale;
    for (let k = 0; k < n; k++) rays[last + k] = Math.fround(ranges[k]) / scale;
    const gx = this.#navX[this.#navId], gy = this.#navY[this.#navId];
    const distance = Math.sqrt((gx - r.x) ** 2 + (gy - r.y) ** 2);
    const angle = _normAngle(Math.atan2(gy - r.y, gx - r.x) - r.theta);
    let next = 0;
    if (s.useNextGoal && this.#navId + 1 < this.#navCount) {
      const nx = this.#navX[this.#navId + 1], ny = this.#navY[this.#navId + 1];
      next = _normAngle(Math.atan2(ny - gy, nx - gx) - Math.atan2(gy - r.y, gx - r.x));
    }
    const row = (stack - 1) * 5, max = this.#maxDrive;
    drive[row] = Math.fround(r.speed0) / max[0];
    drive[row + 1] = Math.fround(r.speed1) / max[1];
    drive[row + 2] = Math.fround(distance) / max[2];
    drive[row + 3] = Math.fround(angle) / max[3];
    drive[row + 4] = Math.fround(next) / max[4];
    if (fillAll) {
      for (let t = 0; t < stack - 1; t++) {
        rays.copyWithin(t * n, last, last + n);
        drive.copyWithin(t * 5, row, row + 5);
      }
    }
  }

  /**
   * Advance one step: pedestrians move (pushed by the robot's current
   * position), then the robot applies the action (clipped to the action space),
   * then collisions, goal and time limit are checked and the observation is
   * pushed.
   *
   * @param action `[2]` (linear m/s, angular rad/s) for the differential drive,
   * (acceleration m/s², steering rad) for the bicycle.
   * @returns The step result; the same object is refilled by the next call.
   * @throws {RangeError} When the action has the wrong length or a NaN.
   * @throws {Error} When called before reset or after the episode ended.
   */
  step(action: ArrayLike<number>): StepResult {
    if (this.#needsReset) throw new Error("Call reset() before step() and after an episode ends");
    if (action.length !== 2) {
      throw new RangeError(`Action must have 2 elements, got ${action.length}`);
    }
    let a0 = action[0], a1 = action[1];
    if (Number.isNaN(a0) || Number.isNaN(a1)) throw new RangeError("Action contains NaN");
    const lo = this.actionSpace.low, hi = this.actionSpace.high;
    a0 = a0 < lo[0] ? lo[0] : a0 > hi[0] ? hi[0] : a0;
    a1 = a1 < lo[1] ? lo[1] : a1 > hi[1] ? hi[1] : a1;

    const s = this.settings, robot = this.robot;
    this.pedestrians.step(this.#rng, robot);
    robot.apply(a0, a1, s.timeStep);

    const reach = robot.radius + s.goalRadius;
    const id = this.#navId;
    const reached = Math.hypot(this.#navX[id] - robot.x, this.#navY[id] - robot.y) <= reach;
    if (reached) this.#navId = Math.min(this.#navCount - 1, id + 1);
    this.#timestep++;

    const pedHit = this.#pedestrianCollision(robot.x, robot.y, robot.radius);
    const obstacleHit = this.#obstacleCollision(robot.x, robot.y, robot.radius);
    const gdx = robot.x - this.#navX[this.#navId], gdy = robot.y - this.#navY[this.#navId];
    const atGoal = gdx * gdx + gdy * gdy <= reach * reach;
    const timeout = this.#timestep > this.maxSteps;
    this.#writeObservation(false);

    const ev = this.#events;
    ev.pedestrianCollision = pedHit;
    ev.obstacleCollision = obstacleHit;
    ev.waypointReached = reached;
    const result = this.#result, info = result.info;
    result.reward = simpleReward(ev, this.#rewardOptions);
    const ended = atGoal || pedHit || obstacleHit;
    result.terminated = ended || (timeout && !s.timeLimitIsTruncation);
    result.truncated = !result.terminated && timeout;
    info.step = this.#timestep;
    info.episode = this.#episode;
    info.is_pedestrian_collision = pedHit;
    info.is_obstacle_collision = obstacleHit;
    info.is_robot_at_goal = reached;
    const lx = this.#navX[this.#navCount - 1] - robot.x,
      ly = this.#navY[this.#navCount - 1] - robot.y;
    info.is_route_complete = Math.hypot(lx, ly) <= reach;
    info.is_success = atGoal;
    info.is_timesteps_exceeded = timeout;
    this.#fillDistances(info);
    if (result.terminated || result.truncated) this.#needsReset = true;
    return result;
  }

  /**
   * The complete dynamic state as a JSON-serialisable object: random stream,
   * counters, route and waypoint index, robot, pedestrians (with groups and
   * their routes and goals) and the observation stacks. Restoring it into an
   * env built from the same map and settings continues bit for bit.
   *
   * @example Save and continue elsewhere
   * ```ts
   * const saved = JSON.stringify(env.snapshot());
   * const twin = new RobotEnv(map, settings);
   * twin.restore(JSON.parse(saved)); // twin.step(a) now equals env.step(a)
   * ```
   */
  snapshot(): RobotEnvSnapshot {
    const obs = this.observation;
    return {
      format: ENV_SNAPSHOT_FORMAT,
      version: SNAPSHOT_VERSION,
      map: this.map.name,
      fingerprint: _fingerprint(this.map, this.settings),
      streamIndex: this.#streamIndex,
      rng: this.#rng.state(),
      episode: this.#episode,
      timestep: this.#timestep,
      needsReset: this.#needsReset,
      navigation: {
        count: this.#navCount,
        current: this.#navId,
        x: _encode(this.#navX, this.#navCount),
        y: _encode(this.#navY, this.#navCount),
      },
      robot: { kind: this.settings.robot.kind, state: _encode(this.robot.getState()) },
      pedestrians: this.pedestrians.snapshot(),
      observation: { rays: _encode(obs.rays), drive_state: _encode(obs.drive_state) },
    };
  }

  /**
   * Continue from a {@linkcode RobotEnv.snapshot}, replacing every part of the
   * dynamic state (including the random stream and its index). Accepts the
   * object after a JSON round trip. On a {@linkcode SnapshotError} raised
   * before any data is read the env is unchanged.
   *
   * @param snapshot A snapshot of an env with the same map geometry and settings.
   * @throws {SnapshotError} When the format or version is not readable, the map
   * or settings differ (fingerprint), or an array does not fit.
   */
  restore(snapshot: RobotEnvSnapshot): void {
    checkSnapshotHeader(snapshot, ENV_SNAPSHOT_FORMAT);
    const expected = _fingerprint(this.map, this.settings);
    if (snapshot.fingerprint !== expected) {
      throw new SnapshotError(
        `Env snapshot of map '${snapshot.map}' was taken with another map or other settings ` +
          `(fingerprint ${snapshot.fingerprint}, this env ${expected})`,
      );
    }
    const nav = snapshot.navigation;
    const neverReset = nav?.count === 0 && nav.current === 0 && snapshot.needsReset === true;
    if (
      !neverReset && (
        !Number.isInteger(nav?.count) || nav.count < 2 || nav.count > this.#navX.length ||
        !Number.isInteger(nav.current) || nav.current < 0 || nav.current >= nav.count
      )
    ) {
      throw new SnapshotError(
        `Env snapshot navigation must hold 2..${this.#navX.length} waypoints and a valid index`,
      );
    }
    if (snapshot.robot?.kind !== this.settings.robot.kind) {
      throw new SnapshotError(
        `Env snapshot holds a ${snapshot.robot?.kind} robot, this env a ${this.settings.robot.kind} one`,
      );
    }
    if (snapshot.pedestrians?.count !== this.pedestrians.count) {
      throw new SnapshotError(
        `Env snapshot has ${snapshot.pedestrians?.count} pedestrians, this env ${this.pedestrians.count}`,
      );
    }
    const counters = [snapshot.streamIndex, snapshot.episode, snapshot.timestep];
    if (counters.some((v) => !Number.isInteger(v) || v < 0)) {
      throw new SnapshotError("Env snapshot counters must be non-negative integers");
    }
    let rng: SeededRng;
    try {
      rng = SeededRng.fromState(snapshot.rng);
    } catch (err) {
      throw new SnapshotError(`Env snapshot random state: ${(err as Error).message}`);
    }
    const robotState = _decode(snapshot.robot.state, "robot.state");
    _decodeInto(snapshot.observation?.rays, this.observation.rays, "observation.rays");
    _decodeInto(
      snapshot.observation?.drive_state,
      this.observation.drive_state,
      "observation.drive_state",
    );
    _decodeInto(nav.x, this.#navX, "navigation.x", nav.count);
    _decodeInto(nav.y, this.#navY, "navigation.y", nav.count);
    this.pedestrians.restore(snapshot.pedestrians);
    this.robot.setState(robotState);
    this.#navCount = nav.count;
    this.#navId = nav.current;
    this.#rng = rng;
    this.#streamIndex = snapshot.streamIndex;
    this.#episode = snapshot.episode;
    this.#timestep = snapshot.timestep;
    this.#needsReset = snapshot.needsReset === true;
  }

  /** The random stream's state (for checkpoints). */
  rngState(): ReturnType<SeededRng["state"]> {
    return this.#rng.state();
  }
}
