/**
 * Robot kinematics: differential drive (robot_sf `robot/differential_drive.py`)
 * and bicycle drive (robot_sf `robot/bicycle_drive.py`). Poses are in metres and
 * radians (x right, y up, heading counter-clockwise from +x).
 *
 * @module
 */
import type { BicycleDriveSettings, DifferentialDriveSettings, RobotSettings } from "./settings.ts";

/** Common interface of both drive models. */
export interface Robot {
  /** x, m. */
  x: number;
  /** y, m. */
  y: number;
  /** Heading, rad (not wrapped for the differential drive, as robot_sf). */
  theta: number;
  /** Collision radius, m. */
  readonly radius: number;
  /** Action space lower bounds `[2]`. */
  readonly actionLow: Float32Array;
  /** Action space upper bounds `[2]`. */
  readonly actionHigh: Float32Array;
  /** Speed observation lower bounds `[2]` (robot_sf robot `observation_space`). */
  readonly speedLow: Float32Array;
  /** Speed observation upper bounds `[2]`. */
  readonly speedHigh: Float32Array;
  /** First speed observation: linear speed, m/s. */
  readonly speed0: number;
  /** Second speed observation: angular speed (differential) or heading (bicycle, as robot_sf). */
  readonly speed1: number;
  /** Put the robot at rest at a pose. */
  reset(x: number, y: number, theta: number): void;
  /**
   * Apply an action (already clipped to the action space) for dt seconds.
   * @param a0 First action component.
   * @param a1 Second action component.
   * @param dt Step, s.
   */
  apply(a0: number, a1: number, dt: number): void;
  /**
   * The complete kinematic state, for snapshots: `[x, y, theta, v, w, wheel
   * left, wheel right]` (differential; m, rad, m/s, rad/s, rad/s) or
   * `[x, y, theta, v]` (bicycle).
   */
  getState(): Float64Array;
  /**
   * Set the state returned by {@linkcode Robot.getState}.
   * @throws {RangeError} When the state has the wrong length.
   */
  setState(state: ArrayLike<number>): void;
}

function _checkStateLength(state: ArrayLike<number>, n: number, kind: string): void {
  if (state.length !== n) {
    throw new RangeError(`A ${kind} robot state has ${n} values, got ${state.length}`);
  }
}

function _clip(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/**
 * Differential drive. Action (linear, angular) is added to the current velocity
 * (robot_sf) or taken as the new velocity, then clipped to
 * `[0, maxLinear] x [-maxAngular, maxAngular]`. With `odometry: "reference"` the
 * step follows robot_sf exactly: wheel speeds `(v -/+ L w / 2) / r`, heading
 * `theta + (w_prev + w) / 2 * dt`, distance `r / 2 * mean wheel speed * dt`
 * (which is `(v_prev + v) / 4 * dt`) along the mean of the old and new heading.
 * With `"exact"` the robot moves `(v_prev + v) / 2 * dt` along the exact arc.
 */
export class DifferentialDriveRobot implements Robot {
  x = 0;
  y = 0;
  theta = 0;
  readonly radius: number;
  readonly actionLow: Float32Array;
  readonly actionHigh: Float32Array;
  readonly speedLow: Float32Array;
  readonly speedHigh: Float32Array;
  #s: DifferentialDriveSettings;
  #v = 0;
  #w = 0;
  #wheelL = 0;
  #wheelR = 0;

  /**
   * Create a DifferentialDriveRobot.
   * @param settings Limits and modes.
   */
  constructor(settings: DifferentialDriveSettings) {
    this.#s = settings;
    this.radius = settings.radius;
    this.actionLow = Float32Array.of(0, -settings.maxAngularSpeed);
    this.actionHigh = Float32Array.of(settings.maxLinearSpeed, settings.maxAngularSpeed);
    this.speedLow = this.actionLow;
    this.speedHigh = this.actionHigh;
  }

  get speed0(): number {
    return this.#v;
  }

  get speed1(): number {
    return this.#w;
  }

  reset(x: number, y: number, theta: number): void {
    this.x = x;
    this.y = y;
    this.theta = theta;
    this.#v =
      this.#w =
      this.#wheelL =
      this.#wheelR =
        0;
  }

  apply(a0: number, a1: number, dt: number): void {
    const s = this.#s;
    const inc = s.actionMode === "increment";
    const v = _clip(inc ? this.#v + a0 : a0, 0, s.maxLinearSpeed);
    const w = _clip(inc ? this.#w + a1 : a1, -s.maxAngularSpeed, s.maxAngularSpeed);
    const diff = (s.interaxisLength * w) / 2;
    const left = (v - diff) / s.wheelRadius;
    const right = (v + diff) / s.wheelRadius;
    const avgLeft = (this.#wheelL + left) / 2;
    const avgRight = (this.#wheelR + right) / 2;
    const turn = (s.wheelRadius / s.interaxisLength) * (avgRight - avgLeft) * dt;
    const newTheta = this.theta + turn;
    if (s.odometry === "reference") {
      const distance = (s.wheelRadius / 2) * ((avgLeft + avgRight) / 2) * dt;
      const heading = (this.theta + newTheta) / 2;
      this.x += distance * Math.cos(heading);
      this.y += distance * Math.sin(heading);
    } else {
      const distance = ((this.#v + v) / 2) * dt;
      if (Math.abs(turn) < 1e-12) {
        const heading = (this.theta + newTheta) / 2;
        this.x += distance * Math.cos(heading);
        this.y += distance * Math.sin(heading);
      } else {
        const radius = distance / turn;
        this.x += radius * (Math.sin(newTheta) - Math.sin(this.theta));
        this.y -= radius * (Math.cos(newTheta) - Math.cos(this.theta));
      }
    }
    this.theta = newTheta;
    this.#wheelL = left;
    this.#wheelR = right;
    this.#v = v;
    this.#w = w;
  }

  getState(): Float64Array {
    return Float64Array.of(
      this.x,
      this.y,
      this.theta,
      this.#v,
      this.#w,
      this.#wheelL,
      this.#wheelR,
    );
  }

  setState(state: ArrayLike<number>): void {
    _checkStateLength(state, 7, "differential drive");
    [this.x, this.y, this.theta, this.#v, this.#w, this.#wheelL, this.#wheelR] = Array.from(state);
  }
}

/**
 * Kinematic bicycle (robot_sf BicycleMotion): action (acceleration m/s²,
 * steering angle rad), each clipped; `v' = clip(v + a dt)`; the position moves
 * with the old speed and heading; heading `+= v' tan(steer) / wheelbase * dt`,
 * wrapped to [-pi, pi]. Speed observation is (speed, heading), as robot_sf.
 */
export class BicycleDriveRobot implements Robot {
  x = 0;
  y = 0;
  theta = 0;
  readonly radius: number;
  readonly actionLow: Float32Array;
  readonly actionHigh: Float32Array;
  readonly speedLow: Float32Array;
  readonly speedHigh: Float32Array;
  #s: BicycleDriveSettings;
  #v = 0;

  /**
   * Create a BicycleDriveRobot.
   * @param settings Limits.
   */
  constructor(settings: BicycleDriveSettings) {
    this.#s = settings;
    this.radius = settings.radius;
    this.actionLow = Float32Array.of(-settings.maxAccel, -settings.maxSteer);
    this.actionHigh = Float32Array.of(settings.maxAccel, settings.maxSteer);
    const minV = settings.allowBackwards ? -settings.maxVelocity : 0;
    this.speedLow = Float32Array.of(minV, -settings.maxSteer);
    this.speedHigh = Float32Array.of(settings.maxVelocity, settings.maxSteer);
  }

  get speed0(): number {
    return this.#v;
  }

  get speed1(): number {
    return this.theta;
  }

  reset(x: number, y: number, theta: number): void {
    this.x = x;
    this.y = y;
    this.theta = theta;
    this.#v = 0;
  }

  apply(a0: number, a1: number, dt: number): void {
    const s = this.#s;
    const accel = _clip(a0, -s.maxAccel, s.maxAccel);
    const minV = s.allowBackwards ? -s.maxVelocity : 0;
    const v = _clip(this.#v + dt * accel, minV, s.maxVelocity);
    const steer = _clip(a1, -s.maxSteer, s.maxSteer);
    const omega = (v * Math.tan(steer)) / s.wheelbase;
    this.x += this.#v * Math.cos(this.theta) * dt;
    this.y += this.#v * Math.sin(this.theta) * dt;
    const t = this.theta + omega * dt;
    this.theta = Math.atan2(Math.sin(t), Math.cos(t));
    this.#v = v;
  }

  getState(): Float64Array {
    return Float64Array.of(this.x, this.y, this.theta, this.#v);
  }

  setState(state: ArrayLike<number>): void {
    _checkStateLength(state, 4, "bicycle drive");
    [this.x, this.y, this.theta, this.#v] = Array.from(state);
  }
}

/** Build the robot for its settings. */
export function createRobot(settings: RobotSettings): Robot {
  return settings.kind === "bicycle"
    ? new BicycleDriveRobot(settings)
    : new DifferentialDriveRobot(settings);
}
