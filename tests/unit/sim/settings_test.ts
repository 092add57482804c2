import assert from "node:assert/strict";
import { defaultEnvSettings, makeEnvSettings, resolveScenarioEnv } from "../../../lib/sim/mod.ts";

Deno.test("defaultEnvSettings() holds robot_sf's RobotEnv defaults", () => {
  const s = defaultEnvSettings();
  assert.equal(s.map, "default");
  assert.equal(s.difficulty, 0);
  assert.deepEqual(s.pedDensityByDifficulty, [0.01, 0.02, 0.04, 0.08]);
  assert.equal(s.episodeSeconds, 200);
  assert.equal(s.timeStep, 0.1);
  assert.equal(s.stackSteps, 3);
  assert.deepEqual(
    [s.lidar.rays, s.lidar.maxRange, s.lidar.lossProbability, s.lidar.corruptionProbability],
    [272, 10, 0.005, 0.002],
  );
  assert.equal(s.robot.kind, "differential");
  if (s.robot.kind === "differential") {
    assert.deepEqual([s.robot.radius, s.robot.maxLinearSpeed, s.robot.maxAngularSpeed], [
      1,
      2,
      0.5,
    ]);
  }
  assert.deepEqual([
    s.pedestrians.radius,
    s.pedestrians.forces.agentRadius,
    s.pedestrians.speedMultiplier,
  ], [0.4, 0.35, 1.3]);
});

Deno.test("resolveScenarioEnv() maps a scenario env block onto settings", () => {
  const s = resolveScenarioEnv({
    map: "corridor",
    difficulty: 2,
    ped_density_by_difficulty: [0.1, 0.2, 0.3],
    episode_seconds: 60,
    robot: { kind: "bicycle", max_velocity: 2.5 },
  });
  assert.equal(s.map, "corridor");
  assert.equal(s.difficulty, 2);
  assert.deepEqual(s.pedDensityByDifficulty, [0.1, 0.2, 0.3]);
  assert.equal(s.episodeSeconds, 60);
  assert.equal(s.robot.kind, "bicycle");
  if (s.robot.kind === "bicycle") {
    assert.deepEqual([s.robot.maxVelocity, s.robot.maxSteer], [2.5, 0.78]);
  }
  assert.equal(resolveScenarioEnv({ robot: "differential" }).robot.kind, "differential");
  assert.deepEqual(resolveScenarioEnv(undefined), defaultEnvSettings());
});

Deno.test("resolveScenarioEnv() names unknown keys and out-of-range values", () => {
  assert.throws(
    () => resolveScenarioEnv({ maps: "x" }),
    (e: unknown) => e instanceof TypeError && /env\.maps/.test(e.message),
  );
  assert.throws(
    () => resolveScenarioEnv({ difficulty: 4 }),
    (e: unknown) => e instanceof RangeError && /difficulty/.test(e.message),
  );
  assert.throws(
    () => resolveScenarioEnv({ robot: { kind: "bicycle", max_linear_speed: 1 } }),
    TypeError,
  );
  assert.throws(() => makeEnvSettings({ lidar: { rays: 0 } }), RangeError);
});
