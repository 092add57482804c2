import assert from "node:assert/strict";
import {
  aggregateNavMetrics,
  DEFAULT_SNQI_WEIGHTS,
  NavMetricsRecorder,
  normalizeSnqiTerm,
  snqi,
} from "../../../lib/sim/mod.ts";

const END = { success: false, pedestrianCollision: false, obstacleCollision: false, timeout: true };
const SUCCESS = { ...END, success: true, timeout: false };
const close = (a: number, b: number, what: string) =>
  assert.ok(Math.abs(a - b) < 1e-9, `${what}: ${a} vs ${b}`);

function recorder(extra: Partial<ConstructorParameters<typeof NavMetricsRecorder>[0]> = {}) {
  return new NavMetricsRecorder({
    timeStep: 0.1,
    maxSteps: 10,
    robotRadius: 1,
    pedestrianRadius: 0.4,
    ...extra,
  });
}

Deno.test("a straight 3 m path: length, time, efficiency, zero jerk, SNQI 1 - 0.8 * 0.3", () => {
  const rec = recorder();
  rec.start(0, 0);
  for (let k = 1; k <= 3; k++) rec.step(k, 0, [], [], 0);
  const m = rec.finish(SUCCESS);
  close(m.path_length, 3, "path length");
  close(m.time_to_goal, 0.3, "time to goal");
  close(m.time_to_goal_norm, 0.3, "normalised time");
  close(m.path_efficiency, 1, "efficiency");
  assert.equal(m.jerk_mean, 0);
  assert.ok(Number.isNaN(m.min_pedestrian_distance));
  assert.equal(m.near_misses, 0);
  assert.equal(m.comfort_exposure, 0);
  close(m.snqi, 1 - 0.8 * 0.3, "snqi");
});

Deno.test("an L-shaped path 3 m + 4 m has efficiency 5/7; failures have none", () => {
  const rec = recorder({ maxSteps: 100 });
  rec.start(0, 0);
  for (let k = 1; k <= 3; k++) rec.step(k, 0, [], [], 0);
  for (let k = 1; k <= 4; k++) rec.step(3, k, [], [], 0);
  const m = rec.finish(SUCCESS);
  close(m.path_length, 7, "path length");
  close(m.path_efficiency, 5 / 7, "efficiency");
  rec.start(0, 0);
  rec.step(1, 0, [], [], 0);
  const failed = rec.finish(END);
  assert.ok(Number.isNaN(failed.path_efficiency) && Number.isNaN(failed.time_to_goal));
  assert.equal(failed.time_to_goal_norm, 1);
});

Deno.test("a pedestrian passing 2 m from a standing robot: clearance 0.6 m, near misses, force", () => {
  // Robot (radius 1) at the origin; pedestrian (radius 0.4) walks along y = 2 from x = -3 to 3.
  const run = (comfortDistance: number) => {
    const rec = recorder({ comfortDistance, robotForce: { multiplier: 10, range: 3.35 } });
    rec.start(0, 0);
    for (let x = -3; x <= 3; x++) rec.step(0, 0, [x], [2], 1);
    return rec.finish(END);
  };
  const loose = run(0.5);
  close(loose.min_pedestrian_distance, 0.6, "min clearance");
  assert.equal(loose.near_misses, 0); // 0.6 m is outside 0.5 m
  // Force 10 / d^2 exceeds 2 only at d = 2 (2.5); at d = sqrt(5) it is exactly 2.
  assert.equal(loose.force_exceed_events, 1);
  close(loose.comfort_exposure, 1 / 7, "comfort exposure");
  const strict = run(0.7); // clearance < 0.7 only at x = 0
  assert.equal(strict.near_misses, 1);
  // Timeout: -0.8 (time) - 1 (near miss) - 0.5 / 7 (comfort) - 1.5 (force) - 0 (jerk, standing).
  close(strict.snqi, -0.8 - 1 - 0.5 / 7 - 1.5, "snqi");
});

Deno.test("a collision at a known step: negative clearance, one collision, SNQI penalty 2", () => {
  const rec = recorder();
  rec.start(0, 0);
  const xs = [5, 4, 3, 2, 1.3];
  xs.forEach((x) => rec.step(0, 0, [x], [0], 1));
  const m = rec.finish({ ...END, timeout: false, pedestrianCollision: true });
  close(m.min_pedestrian_distance, -0.1, "clearance at contact");
  assert.equal(m.collisions, 1);
  assert.equal(m.steps, 5);
  // Near miss only at x = 2 (clearance 0.6 > 0.5? no): none; force off.
  assert.equal(m.near_misses, 0);
  close(m.snqi, -0.8 - 2, "snqi");
});

Deno.test("mean jerk of x = t^3 is 6 m/s^3 (third derivative)", () => {
  const dt = 0.5;
  const rec = recorder({ timeStep: dt, maxSteps: 100 });
  rec.start(0, 0);
  for (let k = 1; k <= 8; k++) rec.step((k * dt) ** 3, 0, [], [], 0);
  const m = rec.finish(END);
  close(m.jerk_mean, 6, "jerk");
});

Deno.test("SNQI normalisation clamps to [0, 1] (robot_sf normalize_metric)", () => {
  assert.equal(normalizeSnqiTerm(3, { med: 0, p95: 1 }), 1);
  assert.equal(normalizeSnqiTerm(-1, { med: 0, p95: 1 }), 0);
  assert.equal(normalizeSnqiTerm(3, { med: 2, p95: 6 }), 0.25);
  assert.equal(normalizeSnqiTerm(3, { med: 2, p95: 2 }), 1); // zero denominator counts as 1
  const best = snqi({
    success: true,
    time_to_goal_norm: 0,
    collisions: 0,
    near_misses: 0,
    comfort_exposure: 0,
    force_exceed_events: 0,
    jerk_mean: 0,
  });
  assert.equal(best, DEFAULT_SNQI_WEIGHTS.w_success);
  const worst = snqi({
    success: false,
    time_to_goal_norm: 1,
    collisions: 1,
    near_misses: 9,
    comfort_exposure: 1,
    force_exceed_events: 9,
    jerk_mean: 9,
  });
  close(worst, -(0.8 + 2 + 1 + 0.5 + 1.5 + 0.3), "worst");
});

Deno.test("aggregates: rates over all episodes, time and efficiency over successes", () => {
  const base = {
    success: false,
    pedestrian_collision: false,
    obstacle_collision: false,
    timeout: false,
    steps: 10,
    time_to_goal: NaN,
    time_to_goal_norm: 1,
    path_length: 2,
    path_efficiency: NaN,
    min_pedestrian_distance: NaN,
    near_misses: 0,
    collisions: 0,
    force_exceed_events: 0,
    comfort_exposure: 0,
    jerk_mean: 1,
    snqi: -1,
    reward: -1,
  };
  const a = aggregateNavMetrics([
    { ...base, success: true, time_to_goal: 3, path_efficiency: 0.5, snqi: 0.5, reward: 1 },
    { ...base, pedestrian_collision: true, min_pedestrian_distance: -0.2, near_misses: 2 },
    { ...base, obstacle_collision: true, min_pedestrian_distance: 1.2, path_length: 5 },
    { ...base, timeout: true },
  ]);
  assert.equal(a.success_rate, 0.25);
  assert.equal(a.collision_rate, 0.5);
  assert.equal(a.pedestrian_collision_rate, 0.25);
  assert.equal(a.obstacle_collision_rate, 0.25);
  assert.equal(a.timeout_rate, 0.25);
  assert.equal(a.mean_time_to_goal, 3);
  assert.equal(a.path_efficiency, 0.5);
  close(a.min_pedestrian_distance, 0.5, "mean min distance over episodes with pedestrians");
  assert.equal(a.near_miss_rate, 0.25);
  close(a.mean_path_length, 11 / 4, "path length");
  close(a.snqi, (0.5 - 3) / 4, "snqi");
  close(a.mean_return, (1 - 3) / 4, "return");
  assert.equal(a.episodes, 4);
});
