/**
 * Non-learning baseline controllers: what a trained policy must beat. They read
 * the env's state directly (robot pose and speed, current waypoint, pedestrian
 * positions), which a policy only sees through its observation.
 *
 * - `zero`: the zero action. With robot_sf's incremental differential drive the
 *   robot stays at rest.
 * - `random`: uniform actions in the action space, from a seeded stream.
 * - `constant_forward`: full linear action, no turning.
 * - `goal_seeking`: turns towards the current waypoint and drives at a safe speed
 *   (lower while the heading error is large, lower still with a pedestrian within
 *   2 m of clearance).
 *
 * Speeds are commanded through the drive's own action semantics: absolute
 * velocities, or (robot_sf's default `increment` mode) the difference to the
 * current velocity. The incremental drive's linear action cannot be negative, so
 * there `goal_seeking` "slows" only by not accelerating further.
 *
 * @module
 */
import { SeededRng } from "../rng/mod.ts";
import type { RobotEnv } from "./robot_env.ts";

/** Names of the built-in controllers. */
export const CONTROLLER_NAMES = ["zero", "random", "constant_forward", "goal_seeking"] as const;

/** A built-in controller's name. */
export type ControllerName = typeof CONTROLLER_NAMES[number];

/** Whether a string names a built-in controller. */
export function isControllerName(name: string): name is ControllerName {
  return (CONTROLLER_NAMES as readonly string[]).includes(name);
}

/**
 * A controller: writes the next action `[2]` for an env's current state.
 * `reset` is called after every `env.reset(seed)` with that seed.
 */
export interface Controller {
  /** The controller's name. */
  readonly name: string;
  /** Start an episode (the env was just reset with `seed`). */
  reset(env: RobotEnv, seed: number): void;
  /** Write the action for the env's current state into `out` `[2]`. */
  act(env: RobotEnv, out: Float32Array): void;
}

/** Clearance to a pedestrian (m) under which goal_seeking holds its speed low. */
const _PEDESTRIAN_CAUTION = 2.0;

function _wrap(a: number): number {
  return Math.atan2(Math.sin(a), Math.cos(a));
}

/** Command velocities (v m/s, w rad/s) for the differential drive, or (accel, steer) for the bicycle. */
function _command(env: RobotEnv, v: number, w: number, out: Float32Array) {
  const s = env.settings.robot, r = env.robot;
  if (s.kind === "differential") {
    if (s.actionMode === "increment") {
      out[0] = v - r.speed0;
      out[1] = w - r.speed1;
    } else {
      out[0] = v;
      out[1] = w;
    }
  } else {
    // Bicycle: accelerate towards v, steer by w (as a steering angle).
    out[0] = (v - r.speed0) / env.settings.timeStep;
    out[1] = w;
  }
}

/**
 * A built-in controller.
 * @param name One of {@linkcode CONTROLLER_NAMES}.
 * @returns A fresh controller (random draws from a stream seeded per episode).
 * @throws {RangeError} When the name is unknown.
 */
export function createController(name: string): Controller {
  switch (name) {
    case "zero":
      return {
        name,
        reset() {},
        act(_env, out) {
          out[0] = 0;
          out[1] = 0;
        },
      };
    case "random": {
      let rng = new SeededRng(0);
      return {
        name,
        reset(_env, seed) {
          // A stream of its own per episode, apart from the env's (stream 7 of the seed).
          rng = new SeededRng(seed).fork(7);
        },
        act(env, out) {
          const lo = env.actionSpace.low, hi = env.actionSpace.high;
          out[0] = rng.uniformRange(lo[0], hi[0]);
          out[1] = rng.uniformRange(lo[1], hi[1]);
        },
      };
    }
    case "constant_forward":
      return {
        name,
        reset() {},
        act(env, out) {
          out[0] = env.actionSpace.high[0];
          out[1] = 0;
        },
      };
    case "goal_seeking":
      return {
        name,
        reset() {},
        act(env, out) {
          const r = env.robot, [gx, gy] = env.goal;
          const s = env.settings.robot;
          const maxV = s.kind === "differential" ? s.maxLinearSpeed : s.maxVelocity;
          const maxW = s.kind === "differential" ? s.maxAngularSpeed : s.maxSteer;
          const err = _wrap(Math.atan2(gy - r.y, gx - r.x) - r.theta);
          // Turn at full rate until nearly aligned, then proportionally.
          const w = Math.max(-maxW, Math.min(maxW, 2 * err));
          let v = maxV * Math.max(0, Math.cos(err)) ** 4;
          const p = env.pedestrians, reach = r.radius + env.settings.pedestrians.radius;
          for (let i = 0; i < p.count; i++) {
            if (Math.hypot(p.px[i] - r.x, p.py[i] - r.y) - reach < _PEDESTRIAN_CAUTION) {
              v = Math.min(v, 0.25 * maxV);
              break;
            }
          }
          _command(env, v, w, out);
        },
      };
    default:
      throw new RangeError(
        `Unknown controller '${name}' (known: ${CONTROLLER_NAMES.join(", ")})`,
      );
  }
}
