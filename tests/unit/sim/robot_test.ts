import assert from "node:assert/strict";
import {
  BicycleDriveRobot,
  defaultBicycleDrive,
  defaultDifferentialDrive,
  DifferentialDriveRobot,
} from "../../../lib/sim/mod.ts";

const DT = 0.1;

Deno.test("DifferentialDriveRobot with exact odometry follows the closed-form arc of radius v / w", () => {
  const robot = new DifferentialDriveRobot({
    ...defaultDifferentialDrive(),
    actionMode: "absolute",
    odometry: "exact",
  });
  robot.reset(0, 0, 0);
  const v = 1.2, w = 0.4, R = v / w;
  for (let k = 1; k <= 60; k++) {
    robot.apply(v, w, DT);
    // The first step ramps from rest (trapezoid), so the heading is w dt (k - 1/2);
    // every step runs along the same circle centred at (0, R).
    const theta = w * DT * (k - 0.5);
    assert.ok(Math.abs(robot.theta - theta) < 1e-12, `heading at step ${k}`);
    assert.ok(Math.abs(robot.x - R * Math.sin(theta)) < 1e-9, `x at step ${k}`);
    assert.ok(Math.abs(robot.y - R * (1 - Math.cos(theta))) < 1e-9, `y at step ${k}`);
  }
  assert.equal(robot.speed0, v);
  assert.equal(robot.speed1, w);
});

Deno.test("DifferentialDriveRobot with reference odometry moves half the commanded distance, as robot_sf", () => {
  const robot = new DifferentialDriveRobot({
    ...defaultDifferentialDrive(),
    actionMode: "absolute",
  });
  robot.reset(1, 2, Math.PI / 2);
  for (let k = 0; k < 10; k++) robot.apply(2, 0, DT);
  // distance per step (v_prev + v) / 4 dt: 0.05 then 0.1 per step.
  assert.ok(Math.abs(robot.y - (2 + 0.05 + 9 * 0.1)) < 1e-12);
  assert.ok(Math.abs(robot.x - 1) < 1e-12);
  // Turning in place: heading changes by the trapezoid of the angular speeds.
  robot.reset(0, 0, 0);
  robot.apply(0, 0.5, DT);
  robot.apply(0, 0.5, DT);
  assert.ok(Math.abs(robot.theta - (0.025 + 0.05)) < 1e-12);
  assert.equal(robot.x, 0);
});

Deno.test("DifferentialDriveRobot adds increment actions to its velocity and clips them to the limits", () => {
  const robot = new DifferentialDriveRobot(defaultDifferentialDrive());
  robot.reset(0, 0, 0);
  robot.apply(0.5, 0.2, DT);
  robot.apply(0.5, 0.2, DT);
  assert.equal(robot.speed0, 1.0);
  assert.ok(Math.abs(robot.speed1 - 0.4) < 1e-15);
  robot.apply(2, 0.2, DT);
  assert.equal(robot.speed0, 2.0);
  assert.equal(robot.speed1, 0.5);
  robot.apply(0, -2, DT);
  assert.equal(robot.speed1, -0.5);
});

Deno.test("BicycleDriveRobot accelerates to its limit and turns with rate v tan(steer) / wheelbase", () => {
  const robot = new BicycleDriveRobot(defaultBicycleDrive());
  robot.reset(0, 0, 0);
  // 1 m/s^2 for 40 steps: speed 0.1 k capped at 3; position uses the old speed.
  let x = 0;
  for (let k = 1; k <= 40; k++) {
    robot.apply(5, 0, DT); // clipped to 1 m/s^2
    x += Math.min(3, 0.1 * (k - 1)) * DT;
    assert.ok(Math.abs(robot.speed0 - Math.min(3, 0.1 * k)) < 1e-12);
  }
  assert.ok(Math.abs(robot.x - x) < 1e-9);
  assert.equal(robot.y, 0);
  const steer = 0.3, omega = (3 * Math.tan(steer)) / 1.0;
  const theta0 = robot.theta;
  robot.apply(0, steer, DT);
  assert.ok(Math.abs(robot.theta - (theta0 + omega * DT)) < 1e-12);
  robot.apply(0, 5, DT); // steering clipped to 0.78
  assert.ok(Math.abs(robot.theta - (theta0 + omega * DT + 3 * Math.tan(0.78) * DT)) < 1e-12);
});
