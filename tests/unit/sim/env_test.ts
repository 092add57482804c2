import assert from "node:assert/strict";
import { SeededRng } from "../../../lib/rng/mod.ts";
import {
  createVecEnvBuffers,
  type EnvSettings,
  LidarScanner,
  loadMap,
  makeEnvSettings,
  type MapDefinition,
  RobotEnv,
  VecEnv,
} from "../../../lib/sim/mod.ts";
import { testMap } from "./_maps.ts";

const campus = await loadMap("default");

function randomActions(seed: number, n: number): Float32Array {
  const rng = new SeededRng(seed), out = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    out[2 * i] = rng.uniformRange(0, 0.3);
    out[2 * i + 1] = rng.uniformRange(-0.5, 0.5);
  }
  return out;
}

/** Observations and rewards of `steps` steps with auto-reset, as one byte string. */
function trajectory(
  env: RobotEnv,
  actions: Float32Array,
  steps: number,
): { obs: Uint8Array[]; rewards: number[] } {
  const obs: Uint8Array[] = [], rewards: number[] = [];
  env.reset();
  for (let t = 0; t < steps; t++) {
    const r = env.step(actions.subarray(2 * t, 2 * t + 2));
    obs.push(
      new Uint8Array(r.observation.rays.slice().buffer),
      new Uint8Array(r.observation.drive_state.slice().buffer),
    );
    rewards.push(r.reward);
    if (r.terminated || r.truncated) env.reset();
  }
  return { obs, rewards };
}

Deno.test("RobotEnv exposes robot_sf's normalised observation and action spaces", () => {
  const env = new RobotEnv(campus, makeEnvSettings());
  assert.deepEqual(env.observationSpace.rays.shape, [3, 272]);
  assert.ok(env.observationSpace.rays.low.every((v) => v === 0));
  assert.ok(env.observationSpace.rays.high.every((v) => v === 1));
  assert.deepEqual(env.observationSpace.drive_state.shape, [3, 5]);
  assert.deepEqual(Array.from(env.observationSpace.drive_state.low.subarray(0, 5)), [
    0,
    -1,
    0,
    -1,
    -1,
  ]);
  assert.deepEqual(Array.from(env.observationSpace.drive_state.high), new Array(15).fill(1));
  assert.deepEqual(env.actionSpace.shape, [2]);
  assert.deepEqual(Array.from(env.actionSpace.low), [0, -0.5]);
  assert.deepEqual(Array.from(env.actionSpace.high), [2, 0.5]);
  assert.equal(env.maxSteps, 2000);
});

Deno.test("RobotEnv repeats a trajectory bit for bit with the same seed and differs with another", () => {
  const actions = randomActions(1, 400);
  const a = trajectory(new RobotEnv(campus, makeEnvSettings(), { seed: 5 }), actions, 400);
  const b = trajectory(new RobotEnv(campus, makeEnvSettings(), { seed: 5 }), actions, 400);
  const c = trajectory(new RobotEnv(campus, makeEnvSettings(), { seed: 6 }), actions, 400);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.obs, c.obs);
  // reset(seed) restarts the stream: same as a fresh env built with that seed.
  const env = new RobotEnv(campus, makeEnvSettings(), { seed: 99 });
  env.reset();
  env.step(Float32Array.of(1, 0));
  const first = env.reset(5).observation.rays.slice();
  const fresh = new RobotEnv(campus, makeEnvSettings(), { seed: 5 }).reset().observation.rays
    .slice();
  assert.deepEqual(first, fresh);
});

/** Env on a map with one wall, the robot placed by hand, pedestrians frozen in place. */
function sceneEnv(map: MapDefinition, overrides: Partial<EnvSettings> = {}) {
  const settings = makeEnvSettings({
    lidar: { noise: false },
    pedDensityByDifficulty: [1, 0, 0, 0],
  });
  Object.assign(settings, overrides);
  const env = new RobotEnv(map, settings, { seed: 1 });
  env.reset();
  for (let i = 0; i < env.pedestrians.count; i++) {
    env.pedestrians.maxSpeed[i] = 0; // frozen: speed capped at 0
    env.pedestrians.px[i] = 35;
    env.pedestrians.py[i] = 35;
  }
  return env;
}

Deno.test("RobotEnv detects a pedestrian collision on contact, not before", () => {
  const map = testMap(40, 40, []);
  for (const [gap, hit] of [[1e-9, false], [-1e-9, true]] as const) {
    const env = sceneEnv(map);
    env.robot.reset(10, 20, 0);
    env.pedestrians.px[0] = 10 + 1.4 + gap; // robot radius 1.0 + pedestrian radius 0.4
    env.pedestrians.py[0] = 20;
    const r = env.step(Float32Array.of(0, 0));
    assert.equal(env.robot.x, 10);
    assert.equal(r.info.is_pedestrian_collision, hit);
    assert.equal(r.terminated, hit);
    assert.equal(r.reward, hit ? -0.1 / 2000 - 5 : -0.1 / 2000);
  }
});

Deno.test("RobotEnv detects an obstacle collision on contact and outside the map", () => {
  const map = testMap(40, 40, [{ id: "wall", rect: [15, 10, 1, 20] }]);
  for (const [x, hit] of [[14 - 1e-9, false], [14 + 1e-9, true]] as const) {
    const env = sceneEnv(map);
    env.robot.reset(x, 20, 0);
    const r = env.step(Float32Array.of(0, 0));
    assert.equal(r.info.is_obstacle_collision, hit, `x = ${x}`);
    assert.equal(r.reward, hit ? -0.1 / 2000 - 2 : -0.1 / 2000);
  }
  const env = sceneEnv(map);
  env.robot.reset(-0.5, 35, 0);
  assert.equal(env.step(Float32Array.of(0, 0)).info.is_obstacle_collision, true);
});

Deno.test("RobotEnv normalises and stacks observations oldest first, and clips actions", () => {
  const map = testMap(40, 40, [{ id: "wall", rect: [15, 10, 1, 20] }]);
  const env = sceneEnv(map);
  env.robot.reset(10, 20, 0);
  const obs = env.step(Float32Array.of(0, 0)).observation;
  const expected = new LidarScanner(env.settings.lidar, map).scan(env.robot, env.pedestrians, {
    pedestrianRadius: 0.4,
    rng: null,
  });
  for (let k = 0; k < 272; k++) {
    assert.equal(obs.rays[2 * 272 + k], Math.fround(Math.fround(expected[k]) / 10));
  }
  assert.equal(obs.rays[2 * 272 + 136], 0.5);
  const before = obs.rays.slice(), driveBefore = obs.drive_state.slice();
  const r = env.step(Float32Array.of(9, 9)); // clipped to (2, 0.5); increment from rest
  assert.deepEqual(r.observation.rays.subarray(0, 544), before.subarray(272));
  assert.deepEqual(r.observation.drive_state.subarray(0, 10), driveBefore.subarray(5));
  assert.equal(r.observation.drive_state[10], 1); // 2 m/s / 2
  assert.equal(r.observation.drive_state[11], 1); // 0.5 rad/s / 0.5
  // Distance to the current waypoint / (sqrt(2) * 2 * 40).
  const [gx, gy] = env.goal;
  const dist = Math.hypot(gx - env.robot.x, gy - env.robot.y);
  assert.equal(
    r.observation.drive_state[12],
    Math.fround(Math.fround(dist) / Math.fround(Math.SQRT2 * 80)),
  );
  assert.throws(() => env.step([Number.NaN, 0]), RangeError);
});

Deno.test("RobotEnv truncates at the time limit on step ceil(T / dt) + 1, as robot_sf times out", () => {
  const map = testMap(40, 40, []);
  const env = sceneEnv(map, { episodeSeconds: 20 });
  env.robot.reset(20, 20, 0);
  const zero = Float32Array.of(0, 0);
  for (let t = 1; t <= 200; t++) {
    const r = env.step(zero);
    assert.equal(r.truncated || r.terminated, false, `step ${t}`);
  }
  const last = env.step(zero);
  assert.equal(last.truncated, true);
  assert.equal(last.terminated, false);
  assert.equal(last.info.is_timesteps_exceeded, true);
  assert.throws(() => env.step(zero), Error);
  const reference = sceneEnv(map, { episodeSeconds: 20, timeLimitIsTruncation: false });
  reference.robot.reset(20, 20, 0);
  for (let t = 1; t <= 200; t++) reference.step(zero);
  assert.equal(reference.step(zero).terminated, true);
});

Deno.test("RobotEnv rewards each reached waypoint and ends at the goal", () => {
  const map = testMap(40, 40, []);
  const env = sceneEnv(map);
  // Route: waypoints (1.5, 1.5), (38.5, 38.5), then the goal drawn in the goal zone (38..39).
  const route = env.route;
  assert.equal(route.length, 3);
  // Within robot radius + goal radius (2 m) of the first waypoint: +1, the episode goes on.
  env.robot.reset(1.5 + 1.9, 1.5, 0);
  let r = env.step(Float32Array.of(0, 0));
  assert.equal(r.info.is_robot_at_goal, true);
  assert.equal(r.terminated, false);
  assert.equal(r.reward, -0.1 / 2000 + 1);
  assert.deepEqual(env.goal, route[1]);
  r = env.step(Float32Array.of(0, 0));
  assert.equal(r.info.is_robot_at_goal, false);
  // Next to the second waypoint, which is also within 2 m of the goal: +1 and success.
  env.robot.reset(38.5 - 0.5, 38.5, 0);
  r = env.step(Float32Array.of(0, 0));
  assert.equal(r.terminated, true);
  assert.equal(r.info.is_success, true);
  assert.equal(r.info.is_route_complete, true);
  assert.equal(r.reward, -0.1 / 2000 + 1);
});

Deno.test("VecEnv env i matches a standalone env on stream i, and keeps terminal observations", () => {
  const settings = makeEnvSettings({ map: "default", episodeSeconds: 3 });
  const n = 3, steps = 70;
  const buffers = createVecEnvBuffers(n, { stackSteps: 3, rays: 272 }, { shared: true });
  const vec = new VecEnv(campus, settings, { numEnvs: n, seed: 42, buffers });
  assert.equal(vec.buffers.rays, buffers.rays);
  assert.ok(vec.buffers.rays.buffer instanceof SharedArrayBuffer);
  const solo = Array.from(
    { length: n },
    (_, i) => new RobotEnv(campus, settings, { seed: 42, streamIndex: i }),
  );
  vec.reset();
  solo.forEach((e) => e.reset());
  const actions = randomActions(3, n * steps);
  let ended = 0;
  for (let t = 0; t < steps; t++) {
    const a = actions.subarray(2 * n * t, 2 * n * (t + 1));
    vec.step(a);
    for (let i = 0; i < n; i++) {
      const r = solo[i].step(a.subarray(2 * i, 2 * i + 2));
      assert.equal(vec.buffers.rewards[i], Math.fround(r.reward));
      assert.equal(vec.buffers.terminated[i], r.terminated ? 1 : 0);
      assert.equal(vec.buffers.truncated[i], r.truncated ? 1 : 0);
      if (r.terminated || r.truncated) {
        ended++;
        assert.deepEqual(
          vec.buffers.terminal_rays.subarray(816 * i, 816 * (i + 1)),
          r.observation.rays,
        );
        assert.deepEqual(
          vec.buffers.terminal_drive_state.subarray(15 * i, 15 * (i + 1)),
          r.observation.drive_state,
        );
        assert.equal(vec.buffers.episode_length[i], r.info.step);
        solo[i].reset();
      }
      assert.deepEqual(vec.buffers.rays.subarray(816 * i, 816 * (i + 1)), solo[i].observation.rays);
    }
  }
  // 3 s episodes end by step 31 at the latest, so every env finished at least two.
  assert.ok(ended >= 2 * n);
  assert.equal(vec.episodesFinished, ended);
});
