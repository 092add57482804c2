import assert from "node:assert/strict";
import { SeededRng } from "../../../lib/rng/mod.ts";
import {
  defaultEnvSettings,
  LidarScanner,
  type LidarSettings,
  loadMap,
  type MapDefinition,
  PedestrianSimulation,
} from "../../../lib/sim/mod.ts";
import { testMap } from "./_maps.ts";

function settings(over: Partial<LidarSettings> = {}): LidarSettings {
  return { ...defaultEnvSettings().lidar, noise: false, ...over };
}

const NONE = new Float64Array(0);
const STEP = (2 * Math.PI) / 272;
/** Ray k points at heading - pi + k * 2 pi / 272; ray 136 looks straight ahead. */
const AHEAD = 136;

Deno.test("LidarScanner reads the distance to a wall, growing as 1 / cos off-axis", () => {
  const map = testMap(40, 40, [{ id: "wall", rect: [15, 10, 1, 20] }]);
  const lidar = new LidarScanner(settings(), map);
  const r = lidar.scan({ x: 10, y: 20, theta: 0 }, { px: NONE, py: NONE, count: 0 }, {
    pedestrianRadius: 0.4,
    rng: null,
  });
  assert.ok(Math.abs(r[AHEAD] - 5) < 1e-12);
  for (let k = AHEAD - 20; k <= AHEAD + 20; k++) {
    const angle = (k - AHEAD) * STEP;
    assert.ok(Math.abs(r[k] - 5 / Math.cos(angle)) < 1e-9, `ray ${k}`);
  }
  // Looking backwards (ray 0) the nearest thing is the map bound at x = 0, 10 m away.
  assert.ok(Math.abs(r[0] - 10) < 1e-12);
});

Deno.test("LidarScanner hits a pedestrian's circle at centre distance minus radius", () => {
  const map = testMap(40, 40, []);
  const lidar = new LidarScanner(settings(), map);
  const r = lidar.scan({ x: 10, y: 20, theta: 0 }, {
    px: Float64Array.of(13),
    py: Float64Array.of(20),
    count: 1,
  }, { pedestrianRadius: 0.4, rng: null });
  assert.ok(Math.abs(r[AHEAD] - 2.6) < 1e-12);
  // Off-axis ray at angle a: d cos a - sqrt(r^2 - d^2 sin^2 a).
  const a = STEP;
  assert.ok(
    Math.abs(r[AHEAD + 1] - (3 * Math.cos(a) - Math.sqrt(0.16 - 9 * Math.sin(a) ** 2))) < 1e-9,
  );
  // 0.4 / 3 rad is about 6 rays; ray AHEAD + 6 (0.1386 rad) misses the circle.
  assert.equal(r[AHEAD + 6], 10);
  // A pedestrian whose centre is beyond max range is not seen (robot_sf filters by centre).
  const far = lidar.scan({ x: 10, y: 20, theta: 0 }, {
    px: Float64Array.of(20.2),
    py: Float64Array.of(20),
    count: 1,
  }, { pedestrianRadius: 0.4, rng: null });
  assert.equal(far[AHEAD], 10);
});

Deno.test("LidarScanner hits a corner exactly on its diagonal ray", () => {
  const map = testMap(40, 40, [{ id: "box", rect: [15, 25, 5, 5] }]);
  const lidar = new LidarScanner(settings(), map);
  const r = lidar.scan({ x: 10, y: 20, theta: 0 }, { px: NONE, py: NONE, count: 0 }, {
    pedestrianRadius: 0.4,
    rng: null,
  });
  // Ray AHEAD + 34 points at exactly 45 degrees, through the corner (15, 25).
  assert.ok(Math.abs(r[AHEAD + 34] - 5 * Math.SQRT2) < 1e-9);
});

Deno.test("LidarScanner reads max range when nothing is in reach", () => {
  const map = testMap(40, 40, []);
  const lidar = new LidarScanner(settings(), map);
  const r = lidar.scan({ x: 20, y: 20, theta: 0.3 }, { px: NONE, py: NONE, count: 0 }, {
    pedestrianRadius: 0.4,
    rng: null,
  });
  assert.ok(r.every((v) => v === 10));
});

/** Every ray against every segment and pedestrian, no index or angular span. */
function bruteForce(
  map: MapDefinition,
  x: number,
  y: number,
  heading: number,
  px: Float64Array,
  py: Float64Array,
) {
  const n = 272, out = new Float64Array(n).fill(Infinity);
  const seg = map.segments;
  for (let k = 0; k < n; k++) {
    const lower = heading - Math.PI; // numpy linspace(lower, upper, n + 1)[:-1], wrapped
    const a = (k * ((2 * Math.PI) / n) + lower + 2 * Math.PI) % (2 * Math.PI);
    const xr = Math.cos(a), yr = Math.sin(a);
    for (let s = 0; s < seg.length; s += 4) {
      const xDiff = seg[s] - x, yDiff = seg[s + 1] - y;
      const xSeg = seg[s + 2] - seg[s], ySeg = seg[s + 3] - seg[s + 1];
      const den = xSeg * yr - xr * ySeg;
      if (den === 0) continue;
      const mu = (xr * yDiff - yr * xDiff) / den;
      const tau = (mu * xSeg + xDiff) / xr;
      if (mu >= 0 && mu <= 1 && tau >= 0) {
        const cx = seg[s] + mu * xSeg, cy = seg[s + 1] + mu * ySeg;
        out[k] = Math.min(out[k], Math.sqrt((x - cx) ** 2 + (y - cy) ** 2));
      }
    }
    for (let i = 0; i < px.length; i++) {
      const cx = px[i] - x, cy = py[i] - y;
      if (cx * cx + cy * cy > 100 || cx * xr + cy * yr < 0) continue;
      const b = -2 * (xr * cx + yr * cy), c = cx * cx + cy * cy - 0.4 * 0.4, aa = xr * xr + yr * yr;
      const disc = b * b - 4 * aa * c;
      if (disc < 0 || (b > 0 && b * b > disc)) continue;
      const m1 = (-b - Math.sqrt(disc)) / (2 * aa), m2 = (-b + Math.sqrt(disc)) / (2 * aa);
      const d1 = Math.sqrt((m1 * xr) ** 2 + (m1 * yr) ** 2),
        d2 = Math.sqrt((m2 * xr) ** 2 + (m2 * yr) ** 2);
      out[k] = Math.min(out[k], m1 >= 0 && m2 >= 0 ? Math.min(d1, d2) : m1 >= 0 ? d1 : d2);
    }
    out[k] = Math.min(out[k], 10);
  }
  return out;
}

Deno.test("LidarScanner equals a brute-force scan of every ray against every object on the campus map", async () => {
  const map = await loadMap("default");
  const lidar = new LidarScanner(settings(), map);
  const s = defaultEnvSettings();
  const peds = new PedestrianSimulation(map, s.pedestrians, { density: 0.08, timeStep: 0.1 });
  const rng = new SeededRng(11);
  peds.populate(rng);
  for (let trial = 0; trial < 60; trial++) {
    // Poses near pedestrians and walls as well as random ones.
    const i = rng.int(peds.count);
    const x = trial % 2 === 0
      ? peds.px[i] + rng.uniformRange(-3, 3)
      : rng.uniformRange(0, map.width);
    const y = trial % 2 === 0
      ? peds.py[i] + rng.uniformRange(-3, 3)
      : rng.uniformRange(0, map.height);
    const heading = rng.uniformRange(-10, 10);
    const fast = lidar.scan({ x: x, y: y, theta: heading }, {
      px: peds.px,
      py: peds.py,
      count: peds.count,
    }, { pedestrianRadius: 0.4, rng: null });
    const slow = bruteForce(map, x, y, heading, peds.px, peds.py);
    // The scanner turns its rays by the angle-addition formulas, the brute force by
    // cos and sin of each wrapped angle: directions agree to a few 1e-16, ranges to 1e-12 m
    // and, as the observation stores them, in float32.
    for (let k = 0; k < fast.length; k++) {
      assert.ok(Math.abs(fast[k] - slow[k]) <= 1e-12, `pose ${x}, ${y}, ${heading}, ray ${k}`);
      assert.equal(Math.fround(fast[k]), Math.fround(slow[k]));
    }
  }
});

Deno.test("LidarScanner loses rays to max range and corrupts them with the configured probabilities", () => {
  const map = testMap(40, 40, [{ id: "wall", rect: [15, 0, 1, 40] }]);
  const lost = new LidarScanner(settings({ noise: true, lossProbability: 1 }), map);
  assert.ok(
    lost.scan({ x: 14, y: 20, theta: 0 }, { px: NONE, py: NONE, count: 0 }, {
      pedestrianRadius: 0.4,
      rng: new SeededRng(1),
    }).every((v) => v === 10),
  );
  const corrupt = new LidarScanner(
    settings({ noise: true, lossProbability: 0, corruptionProbability: 1 }),
    map,
  );
  const r = corrupt.scan({ x: 14, y: 20, theta: 0 }, { px: NONE, py: NONE, count: 0 }, {
    pedestrianRadius: 0.4,
    rng: new SeededRng(1),
  });
  assert.ok(r[AHEAD] < 1 && r[AHEAD] >= 0);
  // Default probabilities: 0.5% lost over 200 scans of a wall 1 m ahead.
  const noisy = new LidarScanner(settings({ noise: true }), map);
  const rng = new SeededRng(2);
  let lostCount = 0, corrupted = 0, total = 0;
  for (let t = 0; t < 200; t++) {
    const scan = noisy.scan({ x: 14, y: 20, theta: 0 }, { px: NONE, py: NONE, count: 0 }, {
      pedestrianRadius: 0.4,
      rng: rng,
    });
    for (let k = AHEAD - 40; k <= AHEAD + 40; k++) {
      total++;
      const clean = 1 / Math.cos((k - AHEAD) * STEP);
      if (scan[k] === 10) lostCount++;
      else if (Math.abs(scan[k] - clean) > 1e-9) corrupted++;
    }
  }
  // Binomial(16200, 0.005): mean 81, sd 9; corruption (1 - 0.005) * 0.002: mean 32, sd 5.7.
  assert.ok(lostCount > 45 && lostCount < 117, `lost ${lostCount} of ${total}`);
  assert.ok(corrupted > 9 && corrupted < 55, `corrupted ${corrupted} of ${total}`);
});
