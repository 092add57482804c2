import assert from "node:assert/strict";
import { SeededRng } from "../../../lib/rng/mod.ts";
import {
  defaultEnvSettings,
  loadMap,
  pedestrianCounts,
  type PedestrianSettings,
  PedestrianSimulation,
} from "../../../lib/sim/mod.ts";
import { sharedMapsDir, SKIP_MESSAGE } from "./_shared.ts";
import { testMap } from "./_maps.ts";

const dir = sharedMapsDir();
if (dir === null) console.warn(SKIP_MESSAGE);

function pedSettings(forces: Partial<PedestrianSettings["forces"]> = {}): PedestrianSettings {
  const s = defaultEnvSettings().pedestrians;
  return { ...s, forces: { ...s.forces, ...forces } };
}

Deno.test("A lone pedestrian relaxes to its desired speed with time constant tau", () => {
  const map = testMap(200, 20, []);
  const sim = new PedestrianSimulation(map, pedSettings(), { count: 1, timeStep: 0.1 });
  // Initial speed 0.5 m/s: desired (= maximum) speed 1.3 * 0.5 = 0.65 m/s.
  sim.place([{ x: 5, y: 10, vx: 0.5, vy: 0, goalX: 190, goalY: 10 }]);
  const rng = new SeededRng(0);
  let x = 5;
  for (let k = 1; k <= 30; k++) {
    sim.step(rng, null);
    // Semi-implicit Euler of dv/dt = (v0 - v) / tau: v_k = v0 - (v0 - v_0) (1 - dt / tau)^k.
    const v = 0.65 - 0.15 * 0.8 ** k;
    x += v * 0.1;
    assert.ok(Math.abs(sim.vx[0] - v) < 1e-12, `speed at step ${k}`);
    assert.ok(Math.abs(sim.px[0] - x) < 1e-10, `position at step ${k}`);
    // Continuous solution v0 - (v0 - v_0) exp(-t / tau), within the Euler error.
    assert.ok(Math.abs(sim.vx[0] - (0.65 - 0.15 * Math.exp(-(k * 0.1) / 0.5))) < 0.01);
    assert.equal(sim.vy[0], 0);
  }
});

Deno.test("Two head-on pedestrians feel the closed-form social force and deflect to opposite sides", () => {
  const map = testMap(60, 20, []);
  const s = pedSettings();
  const sim = new PedestrianSimulation(map, s, { count: 2, timeStep: 0.1 });
  sim.place([
    { x: 10, y: 10, vx: 0.5, vy: 0, goalX: 50, goalY: 10 },
    { x: 12, y: 10, vx: -0.5, vy: 0, goalX: 10, goalY: 10 },
  ]);
  sim.computeForces(null);
  // Pedestrian 0: direction to it from 1 is (-1, 0); interaction vector
  // 2 * (-0.5 - 0.5) + (-1) = (-3, 0); theta = pi - pi = 0; B = 0.35 * 3 + 1e-8;
  // social force 5.1 * (-e, e) with e = exp(-2 / B). Desired force (0.65 - 0.5) / 0.5.
  const e = Math.exp(-2 / (0.35 * 3 + 1e-8));
  assert.ok(Math.abs(sim.fx[0] - (0.3 + 5.1 * -e)) < 1e-12);
  assert.ok(Math.abs(sim.fy[0] - 5.1 * e) < 1e-12);
  assert.ok(Math.abs(sim.fy[1] + 5.1 * e) < 1e-12);
  // Walk through each other: they swap sides without overlapping.
  sim.place([
    { x: 10, y: 10, vx: 0.5, vy: 0, goalX: 50, goalY: 10 },
    { x: 30, y: 10, vx: -0.5, vy: 0, goalX: 2, goalY: 10 },
  ]);
  const rng = new SeededRng(0);
  let closest = Infinity;
  for (let k = 0; k < 400; k++) {
    sim.step(rng, null);
    closest = Math.min(closest, Math.hypot(sim.px[0] - sim.px[1], sim.py[0] - sim.py[1]));
  }
  assert.ok(sim.px[0] > 30 && sim.px[1] < 10, "they passed each other");
  // The force model knows bodies of radius agentRadius (0.35 m), not the 0.4 m collision radius.
  assert.ok(closest > 2 * s.forces.agentRadius, `closest approach ${closest} m`);
  assert.ok(sim.py[0] > 10 && sim.py[1] < 10, "deflected to opposite sides");
});

Deno.test("The obstacle force of a wall is 10 d / (d + 0.57)^4 away from it", () => {
  const map = testMap(40, 20, [{ id: "block", rect: [0, 4, 40, 6] }]);
  const sim = new PedestrianSimulation(
    map,
    pedSettings({ obstacleForces: true, obstacleForceRange: 3 }),
    {
      count: 1,
      timeStep: 0.1,
    },
  );
  for (const d of [0.2, 1, 2.5]) {
    sim.place([{ x: 20, y: 10 + d, vx: 0, vy: 0, goalX: 20, goalY: 10 + d }]);
    sim.computeForces(null);
    assert.ok(Math.abs(sim.fx[0]) < 1e-12);
    assert.ok(Math.abs(sim.fy[0] - (10 * d) / (d + 0.57) ** 4) < 1e-12, `distance ${d}`);
  }
  // With an infinite range every segment counts, as PySocialForce sums them all.
  const all = new PedestrianSimulation(map, pedSettings({ obstacleForces: true }), {
    count: 1,
    timeStep: 0.1,
  });
  all.place([{ x: 20, y: 11, vx: 0, vy: 0, goalX: 20, goalY: 11 }]);
  all.computeForces(null);
  assert.ok(all.fy[0] > (10 * 1) / 1.57 ** 4 - 0.01 && all.fy[0] !== (10 * 1) / 1.57 ** 4);
});

Deno.test("The robot pushes pedestrians within reach with 10 / d^3", () => {
  const map = testMap(40, 20, []);
  const sim = new PedestrianSimulation(map, pedSettings(), { count: 2, timeStep: 0.1 });
  sim.place([
    { x: 10, y: 10, vx: 0, vy: 0, goalX: 10, goalY: 10 },
    { x: 10, y: 13.36, vx: 0, vy: 0, goalX: 10, goalY: 13.36 },
  ]);
  // Robot at (12, 10): pedestrian 0 at 2 m (reach 2 + 0.35 + 1 = 3.35 m), pedestrian 1 at 3.9 m.
  sim.computeForces({ x: 12, y: 10, radius: 1 });
  const social = new PedestrianSimulation(map, pedSettings({ robotForce: false }), {
    count: 2,
    timeStep: 0.1,
  });
  social.place([
    { x: 10, y: 10, vx: 0, vy: 0, goalX: 10, goalY: 10 },
    { x: 10, y: 13.36, vx: 0, vy: 0, goalX: 10, goalY: 13.36 },
  ]);
  social.computeForces({ x: 12, y: 10, radius: 1 });
  assert.ok(Math.abs(sim.fx[0] - social.fx[0] - (-10 / 8)) < 1e-12);
  assert.equal(sim.fx[1], social.fx[1]);
});

Deno.test("pedestrianCounts() gives robot_sf's 81 pedestrians on uni_campus_big at difficulty 0", {
  ignore: dir === null,
}, async () => {
  const map = await loadMap(`${dir}/uni_campus_big.json`);
  // ceil(1469.05 m^2 * 0.01) crowd + ceil(2177.5 m * 3 m * 0.01) route pedestrians.
  assert.deepEqual(pedestrianCounts(map, 0.01, 3), [15, 66]);
});

Deno.test({
  name: "No pedestrian enters an obstacle over 10k steps on any shared map",
  ignore: dir === null,
  async fn() {
    const files = [...Deno.readDirSync(dir!)].filter((e) => e.isFile).map((e) => e.name).sort();
    for (const file of files) {
      const map = await loadMap(`${dir}/${file}`);
      // Small maps get a dense crowd; the campus runs at its default density
      // with obstacle forces from segments within 10 m (the far field is ~1e-3).
      const campus = file === "uni_campus_big.json";
      const settings = pedSettings({
        obstacleForces: true,
        obstacleForceRange: campus ? 10 : Infinity,
      });
      const sim = new PedestrianSimulation(map, settings, {
        density: campus ? 0.01 : 0.15,
        timeStep: 0.1,
      });
      const rng = new SeededRng(3);
      sim.populate(rng);
      let stepsChecked = 0;
      for (let t = 0; t < 10_000; t++) {
        sim.step(rng, null);
        for (let i = 0; i < sim.count; i++) {
          if (sim.insideObstacle(sim.px[i], sim.py[i])) {
            assert.fail(
              `${file}: pedestrian ${i} inside an obstacle at step ${t} (${sim.px[i]}, ${
                sim.py[i]
              })`,
            );
          }
        }
        stepsChecked++;
      }
      assert.equal(stepsChecked, 10_000);
      assert.ok(sim.count > 0, file);
    }
  },
});

/**
 * The social force as PySocialForce's SocialForce writes it, one ordered pair at a time
 * (forces.py: diff = pos_i - pos_j, interaction = lambda (vel_j - vel_i) + diff_dir,
 * theta = angle(interaction) - angle(diff)), summed over j in index order, plus the
 * desired force: the second method for computeForces' visit of each pair once.
 */
function directForces(sim: PedestrianSimulation, s: PedestrianSettings): [number[], number[]] {
  const f = s.forces, n = sim.count;
  const fx: number[] = [], fy: number[] = [];
  for (let i = 0; i < n; i++) {
    let sx = 0, sy = 0;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const ddx = sim.px[i] - sim.px[j], ddy = sim.py[i] - sim.py[j];
      if (ddx * ddx + ddy * ddy > f.socialActivationThreshold ** 2) continue;
      const len = Math.hypot(ddx, ddy) === 0 ? 0 : Math.sqrt(ddx * ddx + ddy * ddy);
      const [dirX, dirY] = len === 0 ? [ddx, ddy] : [ddx / len, ddy / len];
      const ix = f.lambdaImportance * (sim.vx[j] - sim.vx[i]) + dirX;
      const iy = f.lambdaImportance * (sim.vy[j] - sim.vy[i]) + dirY;
      const ilen = ix === 0 && iy === 0 ? 0 : Math.sqrt(ix * ix + iy * iy);
      const [idx, idy] = ilen === 0 ? [ix, iy] : [ix / ilen, iy / ilen];
      const theta = Math.atan2(idy, idx) - Math.atan2(dirY, dirX);
      const b = f.gamma * ilen + 1e-8;
      const fv = Math.exp(-1.0 * len / b - (f.nPrime * b * theta) ** 2);
      const fa = -(theta >= 0 ? 1 : -1) * Math.exp(-1.0 * len / b - (f.n * b * theta) ** 2);
      sx += idx * fv + -idy * fa;
      sy += idy * fv + idx * fa;
    }
    const dx = sim.gx[i] - sim.px[i], dy = sim.gy[i] - sim.py[i];
    const dist = Math.sqrt(dx * dx + dy * dy);
    const tau = f.relaxationTime;
    const [ax, ay] = dist > f.goalThreshold
      ? [
        ((dx / dist) * sim.maxSpeed[i] - sim.vx[i]) / tau,
        ((dy / dist) * sim.maxSpeed[i] - sim.vy[i]) / tau,
      ]
      : [(-1.0 * sim.vx[i]) / tau, (-1.0 * sim.vy[i]) / tau];
    fx.push(ax * f.desiredFactor + sx * f.socialFactor);
    fy.push(ay * f.desiredFactor + sy * f.socialFactor);
  }
  return [fx, fy];
}

Deno.test("computeForces() visits each pair once and gives bitwise the per-direction sums, zero components included", () => {
  const s = pedSettings({ groupForces: false, robotForce: false });
  const map = testMap(60, 40, []);
  const rng = new SeededRng(11);
  const u = (lo: number, hi: number) => lo + (hi - lo) * rng.uniform();
  const layouts: Parameters<PedestrianSimulation["place"]>[0][] = [];
  // Random crowds, some pairs beyond the 20 m activation threshold.
  for (let k = 0; k < 20; k++) {
    layouts.push(Array.from({ length: 30 }, () => ({
      x: u(1, 59),
      y: u(1, 39),
      vx: u(-1, 1),
      vy: u(-1, 1),
      goalX: u(1, 59),
      goalY: u(1, 39),
    })));
  }
  // Degenerate pairs: same x, same y, same velocity, the same place (with the same and
  // with different velocities), and an
  // interaction vector that is exactly zero (lambda (vel_j - vel_i) = -direction).
  layouts.push([
    { x: 10, y: 10, vx: 0.5, vy: 0, goalX: 50, goalY: 10 },
    { x: 10, y: 14, vx: 0.5, vy: 0, goalX: 50, goalY: 10 },
    { x: 13, y: 10, vx: 0, vy: 0.25, goalX: 10, goalY: 30 },
    { x: 13, y: 10, vx: 0, vy: 0.25, goalX: 10, goalY: 31 },
    { x: 20, y: 20, vx: 0, vy: 0, goalX: 20, goalY: 20 },
    { x: 21, y: 20, vx: 0.5, vy: 0, goalX: 40, goalY: 20 },
    { x: 30, y: 30, vx: 0.3, vy: 0.1, goalX: 50, goalY: 30 },
    { x: 30, y: 30, vx: -0.2, vy: 0, goalX: 5, goalY: 30 },
  ]);
  for (const layout of layouts) {
    const sim = new PedestrianSimulation(map, s, { count: layout.length, timeStep: 0.1 });
    sim.place(layout);
    sim.computeForces(null);
    const [fx, fy] = directForces(sim, s);
    for (let i = 0; i < layout.length; i++) {
      assert.ok(Object.is(sim.fx[i], fx[i]), `fx[${i}] ${sim.fx[i]} != ${fx[i]}`);
      assert.ok(Object.is(sim.fy[i], fy[i]), `fy[${i}] ${sim.fy[i]} != ${fy[i]}`);
    }
  }
});
