/**
 * Typed environment settings with robot_sf's defaults (robot_sf
 * `gym_env/env_config.py`, `sim/sim_config.py`, `sensor/range_sensor.py`,
 * `robot/differential_drive.py`, PySocialForce `config.py`), and the resolver
 * for a scenario's `env:` block.
 *
 * @module
 */

/** Differential-drive robot (robot_sf `DifferentialDriveSettings`). */
export interface DifferentialDriveSettings {
  /** Robot kind. */
  kind: "differential";
  /** Collision radius, m. @default 1.0 */
  radius: number;
  /** Maximum linear speed, m/s (no reversing: minimum 0). @default 2.0 */
  maxLinearSpeed: number;
  /** Maximum angular speed magnitude, rad/s. @default 0.5 */
  maxAngularSpeed: number;
  /** Wheel radius, m. @default 0.05 */
  wheelRadius: number;
  /** Distance between the wheels, m. @default 0.3 */
  interaxisLength: number;
  /**
   * How an action (linear, angular) changes the velocity. `"increment"` (robot_sf):
   * the action is added to the current velocity, then clipped to the limits.
   * `"absolute"`: the action is the new velocity.
   * @default "increment"
   */
  actionMode: "increment" | "absolute";
  /**
   * Odometry. `"reference"` reproduces robot_sf exactly: the distance per step is
   * `(v_prev + v) / 4 * dt` (half the trapezoidal distance) along the mean heading.
   * `"exact"`: the exact arc for the trapezoidal mean speed and turn.
   * @default "reference"
   */
  odometry: "reference" | "exact";
}

/** Bicycle-drive robot (robot_sf `BicycleDriveSettings`). Action: (acceleration, steering angle). */
export interface BicycleDriveSettings {
  /** Robot kind. */
  kind: "bicycle";
  /** Collision radius, m. @default 1.0 */
  radius: number;
  /** Distance between the axles, m. @default 1.0 */
  wheelbase: number;
  /** Maximum steering angle, rad. @default 0.78 */
  maxSteer: number;
  /** Maximum speed, m/s. @default 3.0 */
  maxVelocity: number;
  /** Maximum acceleration magnitude, m/s². @default 1.0 */
  maxAccel: number;
  /** Whether negative speeds are allowed. @default false */
  allowBackwards: boolean;
}

/** Either robot kind. */
export type RobotSettings = DifferentialDriveSettings | BicycleDriveSettings;

/** LiDAR settings (robot_sf `LidarScannerSettings`). */
export interface LidarSettings {
  /** Number of rays spread evenly over the opening angle. @default 272 */
  rays: number;
  /** Maximum range, m. @default 10.0 */
  maxRange: number;
  /** Portion of the full circle covered, in (0, 1]. @default 1.0 */
  visualAnglePortion: number;
  /** Whether ray loss and corruption noise is applied. @default true */
  noise: boolean;
  /** Probability that a ray is lost (reads max range). @default 0.005 */
  lossProbability: number;
  /** Probability that a ray is corrupted (range times a uniform factor). @default 0.002 */
  corruptionProbability: number;
}

/** Social force model parameters (PySocialForce `config.py` defaults). */
export interface SocialForceSettings {
  /** Radius used by the force model, m (PySocialForce `agent_radius`). @default 0.35 */
  agentRadius: number;
  /** Desired force factor. @default 1.0 */
  desiredFactor: number;
  /** Relaxation time tau, s. @default 0.5 */
  relaxationTime: number;
  /** Distance to the goal below which a pedestrian brakes, m. @default 0.2 */
  goalThreshold: number;
  /** Social (pedestrian-pedestrian) force factor. @default 5.1 */
  socialFactor: number;
  /** Weight of the velocity difference in the interaction vector. @default 2.0 */
  lambdaImportance: number;
  /** Interaction range scale. @default 0.35 */
  gamma: number;
  /** Angular exponent of the turning component. @default 2 */
  n: number;
  /** Angular exponent of the velocity component. @default 3 */
  nPrime: number;
  /** Pairs farther apart than this are ignored, m (PySocialForce cut-off). @default 20.0 */
  socialActivationThreshold: number;
  /** Whether pedestrians feel obstacle forces. robot_sf's RobotEnv turns them off. @default false */
  obstacleForces: boolean;
  /** Obstacle force factor. @default 10.0 */
  obstacleFactor: number;
  /** Obstacle force sigma (scales agentRadius into the threshold). @default 0.0 */
  obstacleSigma: number;
  /** Obstacle distance offset, m (negative pushes the potential outwards). @default -0.57 */
  obstacleThreshold: number;
  /**
   * Obstacle segments farther than this from a pedestrian are ignored, m.
   * Infinity sums every segment, exactly as PySocialForce. @default Infinity
   */
  obstacleForceRange: number;
  /** Whether group forces (coherence, repulsion, gaze) act. @default true */
  groupForces: boolean;
  /** Group coherence factor. @default 3.0 */
  groupCoherenceFactor: number;
  /** Group repulsion factor. @default 1.0 */
  groupRepulsiveFactor: number;
  /** Group repulsion range, m. @default 0.55 */
  groupRepulsiveThreshold: number;
  /** Group gaze factor. @default 4.0 */
  groupGazeFactor: number;
  /** Whether pedestrians are pushed away from the robot (robot_sf `PedRobotForce`). @default true */
  robotForce: boolean;
  /** Extra range of the robot force beyond both radii, m. @default 2.0 */
  robotForceActivationThreshold: number;
  /** Robot force multiplier. @default 10.0 */
  robotForceMultiplier: number;
}

/** Pedestrian population settings (robot_sf `SimulationSettings`, `PedSpawnConfig`). */
export interface PedestrianSettings {
  /** Radius for robot collisions and LiDAR, m. @default 0.4 */
  radius: number;
  /** Maximum speed = this times the initial speed. @default 1.3 */
  speedMultiplier: number;
  /** Initial walking speed, m/s. @default 0.5 */
  initialSpeed: number;
  /** Largest group size. @default 6 */
  maxGroupSize: number;
  /** Group size k has probability proportional to decay^(k-1). @default 0.3 */
  groupSizeDecay: number;
  /** Width of the band around pedestrian routes counted as spawn area, m. @default 3.0 */
  sidewalkWidth: number;
  /** Distance at which a group has reached a waypoint or crowd goal, m. @default 1.0 */
  goalProximity: number;
  /** Social force parameters. */
  forces: SocialForceSettings;
}

/** Reward weights (robot_sf `simple_reward`). */
export interface RewardSettings {
  /** Summed over a full-length episode: each step adds this / maxSteps. @default -0.1 */
  maxEpisodeStepDiscount: number;
  /** Added on a pedestrian collision. @default -5 */
  pedestrianCollision: number;
  /** Added on an obstacle collision. @default -2 */
  obstacleCollision: number;
  /** Added when a waypoint (or the goal) is reached. @default 1 */
  waypointReached: number;
}

/** Everything that defines a {@linkcode RobotEnv}. */
export interface EnvSettings {
  /** Built-in map name or path to a `.json`/`.svg` map. @default "default" */
  map: string;
  /** Index into pedDensityByDifficulty, 0..3. @default 0 */
  difficulty: number;
  /** Pedestrians per m² of spawn area (route sidewalks and crowded zones), per difficulty. @default [0.01, 0.02, 0.04, 0.08] */
  pedDensityByDifficulty: number[];
  /** Episode time limit, s of simulated time. @default 200 */
  episodeSeconds: number;
  /** Simulation step, s. @default 0.1 */
  timeStep: number;
  /** Observations stacked over time. @default 3 */
  stackSteps: number;
  /** Goal radius, m. A waypoint counts as reached within robot radius + goal radius. @default 1.0 */
  goalRadius: number;
  /** Whether the drive state includes the angle to the following waypoint. @default true */
  useNextGoal: boolean;
  /**
   * Whether the time limit ends an episode as truncated (true) or terminated as in
   * robot_sf (false). @default true
   */
  timeLimitIsTruncation: boolean;
  /**
   * Whether pedestrians are respawned at every reset. robot_sf keeps them walking
   * across episodes; a reset with a seed always respawns them. @default false
   */
  respawnPedestriansOnReset: boolean;
  /** LiDAR settings. */
  lidar: LidarSettings;
  /** Robot kind and limits. */
  robot: RobotSettings;
  /** Pedestrians and their force model. */
  pedestrians: PedestrianSettings;
  /** Reward weights. */
  reward: RewardSettings;
}

/** Default differential-drive settings (robot_sf). */
export function defaultDifferentialDrive(): DifferentialDriveSettings {
  return {
    kind: "differential",
    radius: 1.0,
    maxLinearSpeed: 2.0,
    maxAngularSpeed: 0.5,
    wheelRadius: 0.05,
    interaxisLength: 0.3,
    actionMode: "increment",
    odometry: "reference",
  };
}

/** Default bicycle-drive settings (robot_sf). */
export function defaultBicycleDrive(): BicycleDriveSettings {
  return {
    kind: "bicycle",
    radius: 1.0,
    wheelbase: 1.0,
    maxSteer: 0.78,
    maxVelocity: 3.0,
    maxAccel: 1.0,
    allowBackwards: false,
  };
}

/** A fresh copy of the default settings (robot_sf RobotEnv defaults). */
export function defaultEnvSettings(): EnvSettings {
  return {
    map: "default",
    difficulty: 0,
    pedDensityByDifficulty: [0.01, 0.02, 0.04, 0.08],
    episodeSeconds: 200,
    timeStep: 0.1,
    stackSteps: 3,
    goalRadius: 1.0,
    useNextGoal: true,
    timeLimitIsTruncation: true,
    respawnPedestriansOnReset: false,
    lidar: {
      rays: 272,
      maxRange: 10.0,
      visualAnglePortion: 1.0,
      noise: true,
      lossProbability: 0.005,
      corruptionProbability: 0.002,
    },
    robot: defaultDifferentialDrive(),
    pedestrians: {
      radius: 0.4,
      speedMultiplier: 1.3,
      initialSpeed: 0.5,
      maxGroupSize: 6,
      groupSizeDecay: 0.3,
      sidewalkWidth: 3.0,
      goalProximity: 1.0,
      forces: {
        agentRadius: 0.35,
        desiredFactor: 1.0,
        relaxationTime: 0.5,
        goalThreshold: 0.2,
        socialFactor: 5.1,
        lambdaImportance: 2.0,
        gamma: 0.35,
        n: 2,
        nPrime: 3,
        socialActivationThreshold: 20.0,
        obstacleForces: false,
        obstacleFactor: 10.0,
        obstacleSigma: 0.0,
        obstacleThreshold: -0.57,
        obstacleForceRange: Infinity,
        groupForces: true,
        groupCoherenceFactor: 3.0,
        groupRepulsiveFactor: 1.0,
        groupRepulsiveThreshold: 0.55,
        groupGazeFactor: 4.0,
        robotForce: true,
        robotForceActivationThreshold: 2.0,
        robotForceMultiplier: 10.0,
      },
    },
    reward: {
      maxEpisodeStepDiscount: -0.1,
      pedestrianCollision: -5,
      obstacleCollision: -2,
      waypointReached: 1,
    },
  };
}

/** Recursive partial, for overrides. */
export type DeepPartial<T> = {
  [K in keyof T]?: T[K] extends (infer U)[] ? U[] : T[K] extends object ? DeepPartial<T[K]> : T[K];
};

/** Options of {@linkcode makeEnvSettings}. */
export type EnvSettingsOverrides = DeepPartial<Omit<EnvSettings, "robot">> & {
  /** Robot overrides; `kind` switches the robot and starts from that kind's defaults. */
  robot?: Partial<DifferentialDriveSettings> | Partial<BicycleDriveSettings>;
};

/**
 * Default settings with overrides applied, validated.
 * @param overrides Fields to change; nested objects merge.
 * @returns Complete settings.
 * @throws {RangeError} When a value is out of range (names the field).
 * @throws {TypeError} When a value has the wrong type (names the field).
 */
export function makeEnvSettings(overrides: EnvSettingsOverrides = {}): EnvSettings {
  const s = defaultEnvSettings();
  const { robot, ...rest } = overrides;
  _merge(s as unknown as Record<string, unknown>, rest as Record<string, unknown>, "");
  if (robot !== undefined) {
    const kind = robot.kind ?? s.robot.kind;
    const base = kind === "bicycle"
      ? defaultBicycleDrive()
      : kind === "differential"
      ? defaultDifferentialDrive()
      : null;
    if (base === null) {
      throw new TypeError(`robot.kind must be "differential" or "bicycle", got '${kind}'`);
    }
    _merge(base as unknown as Record<string, unknown>, robot as Record<string, unknown>, "robot.");
    s.robot = base;
  }
  validateEnvSettings(s);
  return s;
}

function _merge(target: Record<string, unknown>, src: Record<string, unknown>, prefix: string) {
  for (const [k, v] of Object.entries(src)) {
    if (v === undefined) continue;
    if (!(k in target)) throw new TypeError(`Unknown env setting '${prefix}${k}'`);
    const cur = target[k];
    if (cur !== null && typeof cur === "object" && !Array.isArray(cur)) {
      if (typeof v !== "object" || v === null || Array.isArray(v)) {
        throw new TypeError(`Env setting '${prefix}${k}' must be an object`);
      }
      _merge(cur as Record<string, unknown>, v as Record<string, unknown>, `${prefix}${k}.`);
    } else {
      if (typeof cur !== typeof v || Array.isArray(cur) !== Array.isArray(v)) {
        throw new TypeError(
          `Env setting '${prefix}${k}' must be ${
            Array.isArray(cur) ? "an array" : `a ${typeof cur}`
          }`,
        );
      }
      target[k] = Array.isArray(v) ? [...v] : v;
    }
  }
}

function _positive(value: number, name: string) {
  if (!(value > 0) || !Number.isFinite(value)) {
    throw new RangeError(`Env setting '${name}' must be a positive finite number, got ${value}`);
  }
}

function _probability(value: number, name: string) {
  if (!(value >= 0 && value <= 1)) {
    throw new RangeError(`Env setting '${name}' must be within [0, 1], got ${value}`);
  }
}

/**
 * Check settings for values the simulator cannot run with.
 * @throws {RangeError} Naming the first bad field.
 */
export function validateEnvSettings(s: EnvSettings): void {
  if (
    s.pedDensityByDifficulty.length === 0 ||
    s.pedDensityByDifficulty.some((d) => !(d >= 0) || !isFinite(d))
  ) {
    throw new RangeError(
      "Env setting 'pedDensityByDifficulty' must be a non-empty list of non-negative densities",
    );
  }
  if (
    !Number.isInteger(s.difficulty) || s.difficulty < 0 ||
    s.difficulty >= s.pedDensityByDifficulty.length
  ) {
    throw new RangeError(
      `Env setting 'difficulty' must be an integer in [0, ${
        s.pedDensityByDifficulty.length - 1
      }], got ${s.difficulty}`,
    );
  }
  _positive(s.episodeSeconds, "episodeSeconds");
  _positive(s.timeStep, "timeStep");
  _positive(s.goalRadius, "goalRadius");
  if (!Number.isInteger(s.stackSteps) || s.stackSteps < 1) {
    throw new RangeError(
      `Env setting 'stackSteps' must be a positive integer, got ${s.stackSteps}`,
    );
  }
  if (!Number.isInteger(s.lidar.rays) || s.lidar.rays < 1) {
    throw new RangeError(
      `Env setting 'lidar.rays' must be a positive integer, got ${s.lidar.rays}`,
    );
  }
  _positive(s.lidar.maxRange, "lidar.maxRange");
  if (!(s.lidar.visualAnglePortion > 0 && s.lidar.visualAnglePortion <= 1)) {
    throw new RangeError(
      `Env setting 'lidar.visualAnglePortion' must be within (0, 1], got ${s.lidar.visualAnglePortion}`,
    );
  }
  _probability(s.lidar.lossProbability, "lidar.lossProbability");
  _probability(s.lidar.corruptionProbability, "lidar.corruptionProbability");
  const r = s.robot;
  _positive(r.radius, "robot.radius");
  if (r.kind === "differential") {
    _positive(r.maxLinearSpeed, "robot.maxLinearSpeed");
    _positive(r.maxAngularSpeed, "robot.maxAngularSpeed");
    _positive(r.wheelRadius, "robot.wheelRadius");
    _positive(r.interaxisLength, "robot.interaxisLength");
    if (r.actionMode !== "increment" && r.actionMode !== "absolute") {
      throw new RangeError(
        `Env setting 'robot.actionMode' must be "increment" or "absolute", got '${r.actionMode}'`,
      );
    }
    if (r.odometry !== "reference" && r.odometry !== "exact") {
      throw new RangeError(
        `Env setting 'robot.odometry' must be "reference" or "exact", got '${r.odometry}'`,
      );
    }
  } else if (r.kind === "bicycle") {
    _positive(r.wheelbase, "robot.wheelbase");
    _positive(r.maxSteer, "robot.maxSteer");
    _positive(r.maxVelocity, "robot.maxVelocity");
    _positive(r.maxAccel, "robot.maxAccel");
  } else {
    throw new RangeError(`Env setting 'robot.kind' must be "differential" or "bicycle"`);
  }
  const p = s.pedestrians;
  _positive(p.radius, "pedestrians.radius");
  _positive(p.speedMultiplier, "pedestrians.speedMultiplier");
  _positive(p.initialSpeed, "pedestrians.initialSpeed");
  _positive(p.sidewalkWidth, "pedestrians.sidewalkWidth");
  _positive(p.goalProximity, "pedestrians.goalProximity");
  if (!Number.isInteger(p.maxGroupSize) || p.maxGroupSize < 1) {
    throw new RangeError(
      `Env setting 'pedestrians.maxGroupSize' must be a positive integer, got ${p.maxGroupSize}`,
    );
  }
  _positive(p.groupSizeDecay, "pedestrians.groupSizeDecay");
  _positive(p.forces.relaxationTime, "pedestrians.forces.relaxationTime");
  _positive(p.forces.agentRadius, "pedestrians.forces.agentRadius");
  if (!(p.forces.obstacleForceRange > 0)) {
    throw new RangeError(
      `Env setting 'pedestrians.forces.obstacleForceRange' must be positive (Infinity for all segments), got ${p.forces.obstacleForceRange}`,
    );
  }
}

/**
 * Resolve a scenario's `env:` block (YAML keys `map`, `difficulty`,
 * `ped_density_by_difficulty`, `episode_seconds`, `robot`) into settings.
 * `robot` is a kind name (`differential` or `bicycle`) or an object with `kind`
 * and snake_case limits (`radius`, `max_linear_speed`, `max_angular_speed`,
 * `wheel_radius`, `interaxis_length`, `action_mode`, `odometry`, `wheelbase`,
 * `max_steer`, `max_velocity`, `max_accel`, `allow_backwards`).
 *
 * @param block The parsed `env:` value (undefined or null gives the defaults).
 * @returns Validated settings.
 * @throws {TypeError} On an unknown key or a value of the wrong type, naming `env.<key>`.
 * @throws {RangeError} On an out-of-range value, naming the field.
 */
export function resolveScenarioEnv(block: unknown): EnvSettings {
  if (block === undefined || block === null) return makeEnvSettings();
  if (typeof block !== "object" || Array.isArray(block)) {
    throw new TypeError("env must be a mapping");
  }
  const o: EnvSettingsOverrides = {};
  for (const [key, value] of Object.entries(block as Record<string, unknown>)) {
    switch (key) {
      case "map":
        if (typeof value !== "string" || value === "") {
          throw new TypeError("env.map must be a map name or path");
        }
        o.map = value;
        break;
      case "difficulty":
        if (typeof value !== "number") throw new TypeError("env.difficulty must be an integer");
        o.difficulty = value;
        break;
      case "ped_density_by_difficulty":
        if (!Array.isArray(value) || value.some((v) => typeof v !== "number")) {
          throw new TypeError("env.ped_density_by_difficulty must be a list of numbers");
        }
        o.pedDensityByDifficulty = value as number[];
        break;
      case "episode_seconds":
        if (typeof value !== "number") throw new TypeError("env.episode_seconds must be a number");
        o.episodeSeconds = value;
        break;
      case "robot":
        o.robot = _robotBlock(value);
        break;
      case "time_limit":
        // robot_sf ends an episode at the time limit as terminated; the default
        // truncation lets PPO bootstrap the value of the last state.
        if (value !== "truncation" && value !== "termination" && value !== undefined) {
          throw new TypeError('env.time_limit must be "truncation" or "termination"');
        }
        if (value !== undefined) o.timeLimitIsTruncation = value === "truncation";
        break;
      default:
        throw new TypeError(
          `Unknown key env.${key} (known: map, difficulty, ped_density_by_difficulty, episode_seconds, robot, time_limit)`,
        );
    }
  }
  return makeEnvSettings(o);
}

const ROBOT_KEYS: Record<string, string> = {
  kind: "kind",
  radius: "radius",
  max_linear_speed: "maxLinearSpeed",
  max_angular_speed: "maxAngularSpeed",
  wheel_radius: "wheelRadius",
  interaxis_length: "interaxisLength",
  action_mode: "actionMode",
  odometry: "odometry",
  wheelbase: "wheelbase",
  max_steer: "maxSteer",
  max_velocity: "maxVelocity",
  max_accel: "maxAccel",
  allow_backwards: "allowBackwards",
};

function _robotBlock(
  value: unknown,
): Partial<DifferentialDriveSettings> | Partial<BicycleDriveSettings> {
  if (value === "differential" || value === "bicycle") return { kind: value };
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError(
      'env.robot must be "differential", "bicycle" or a mapping with kind and limits',
    );
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const name = ROBOT_KEYS[k];
    if (name === undefined) throw new TypeError(`Unknown key env.robot.${k}`);
    out[name] = v;
  }
  const kind = out.kind ?? "differential";
  const allowed = kind === "bicycle"
    ? ["kind", "radius", "wheelbase", "maxSteer", "maxVelocity", "maxAccel", "allowBackwards"]
    : [
      "kind",
      "radius",
      "maxLinearSpeed",
      "maxAngularSpeed",
      "wheelRadius",
      "interaxisLength",
      "actionMode",
      "odometry",
    ];
  for (const k of Object.keys(out)) {
    if (!allowed.includes(k)) {
      throw new TypeError(`env.robot key '${k}' does not apply to a ${String(kind)} robot`);
    }
  }
  return out as Partial<DifferentialDriveSettings>;
}
