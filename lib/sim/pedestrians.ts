/**
 * Pedestrians moved by the social force model, as PySocialForce computes it
 * (`forces.py`, `scene.py`) and robot_sf drives it (`ped_npc/ped_population.py`,
 * `ped_behavior.py`, `ped_robot_force.py`, `sim/simulator.py`).
 *
 * Per step: group behaviours update goals (crowd groups pick a new goal in
 * their zone, route groups advance along their route and respawn at its spawn
 * zone at the end); then the force on each pedestrian is the sum, in this order,
 * of the desired force, the pedestrian-pedestrian social force (pairs within
 * 20 m), the obstacle force (optional), the group coherence, repulsion and gaze
 * forces (optional), and the robot repulsion; then semi-implicit Euler:
 * `v <- cap(v + dt F, v_max)`, `x <- x + dt v`, with `v_max` = speed multiplier
 * times the initial speed (Helbing & Molnár 1995; Moussaïd et al. 2010).
 *
 * @module
 */
import type { SeededRng } from "../rng/mod.ts";
import { type _SegmentGrid, _segmentGridOf } from "./_segment_grid.ts";
import { _pointInPolygon } from "./_geometry.ts";
import { type MapDefinition, routeLength, type Zone, zoneArea } from "./map_definition.ts";
import type { PedestrianSettings } from "./settings.ts";
import { _decodeInto, _encode } from "./_codec.ts";
import { type PedestrianSnapshot, SnapshotError } from "./snapshot.ts";

const SPAWN_TRIES = 32;
const COLL_DIST = 1e-5;

/**
 * Number of pedestrians robot_sf puts on a map at a density:
 * `ceil(crowded area * density) + ceil(route length * sidewalk width * density)`.
 * @param map The map.
 * @param density Pedestrians per m².
 * @param sidewalkWidth Width of the band around routes, m.
 * @returns `[crowd, route]` counts.
 */
export function pedestrianCounts(
  map: MapDefinition,
  density: number,
  sidewalkWidth: number,
): [number, number] {
  let area = 0;
  for (const z of map.pedCrowdedZones) area += zoneArea(z);
  let length = 0;
  for (const r of map.pedRoutes) length += routeLength(r);
  return [Math.ceil(area * density), Math.ceil(length * sidewalkWidth * density)];
}

/**
 * All pedestrians of one environment: positions, velocities and goals in typed
 * arrays (metres, m/s), groups and their behaviours. Steps without allocating.
 */
export class PedestrianSimulation {
  /** Number of pedestrians (fixed for a map and density). */
  readonly count: number;
  /** x positions, m. `[count]` */
  readonly px: Float64Array;
  /** y positions, m. `[count]` */
  readonly py: Float64Array;
  /** x velocities, m/s. `[count]` */
  readonly vx: Float64Array;
  /** y velocities, m/s. `[count]` */
  readonly vy: Float64Array;
  /** x goals, m. `[count]` */
  readonly gx: Float64Array;
  /** y goals, m. `[count]` */
  readonly gy: Float64Array;
  /** Maximum (and desired) speeds, m/s. `[count]` */
  readonly maxSpeed: Float64Array;
  /** Total force of the last step, per pedestrian. `[count]` */
  readonly fx: Float64Array;
  /** See {@linkcode PedestrianSimulation.fx}. */
  readonly fy: Float64Array;
  /** Group of each pedestrian. `[count]` */
  readonly groupOf: Int32Array;
  /** Number of groups after the last population. */
  groupCount = 0;

  #map: MapDefinition;
  #s: PedestrianSettings;
  #dt: number;
  #density: number;
  #grid: _SegmentGrid;
  #scripted = false;
  #crowdCount: number;
  #routeCount: number;
  #groupStart: Int32Array;
  #groupKind: Uint8Array; // 0 crowd, 1 route, 2 scripted
  #groupTarget: Int32Array; // zone index or route index
  #groupWaypoint: Int32Array;
  #ortho: Float64Array;
  #obstacleBoxes: Float64Array;
  #routeLengths: Float64Array;
  #crowdAreas: Float64Array;
  #groupProbs: Float64Array;
  #point: [number, number] = [0, 0];

  /**
   * Create a PedestrianSimulation.
   * @param map The map (obstacles, zones, routes).
   * @param settings Pedestrian settings.
   * @param options `density` (pedestrians per m²) and `timeStep` (s); or `count`
   * for a scripted scene filled by {@linkcode PedestrianSimulation.place} instead.
   */
  constructor(
    map: MapDefinition,
    settings: PedestrianSettings,
    options: { density?: number; timeStep: number; count?: number },
  ) {
    this.#map = map;
    this.#s = settings;
    this.#dt = options.timeStep;
    this.#density = options.density ?? 0;
    this.#grid = _segmentGridOf(map);
    if (options.count !== undefined) {
      if (!Number.isInteger(options.count) || options.count < 0) {
        throw new RangeError(
          `Pedestrian count must be a non-negative integer, got ${options.count}`,
        );
      }
      this.#scripted = true;
      this.#crowdCount = this.#routeCount = 0;
    } else {
      [this.#crowdCount, this.#routeCount] = pedestrianCounts(
        map,
        this.#density,
        settings.sidewalkWidth,
      );
    }
    const n = options.count ?? this.#crowdCount + this.#routeCount;
    this.count = n;
    this.px = new Float64Array(n);
    this.py = new Float64Array(n);
    this.vx = new Float64Array(n);
    this.vy = new Float64Array(n);
    this.gx = new Float64Array(n);
    this.gy = new Float64Array(n);
    this.maxSpeed = new Float64Array(n);
    this.fx = new Float64Array(n);
    this.fy = new Float64Array(n);
    this.groupOf = new Int32Array(n);
    this.#groupStart = new Int32Array(n + 1);
    this.#groupKind = new Uint8Array(n);
    this.#groupTarget = new Int32Array(n);
    this.#groupWaypoint = new Int32Array(n);
    // Orthogonal unit vectors of the obstacle segments (PySocialForce EnvState).
    const seg = map.segments;
    const ns = seg.length / 4;
    this.#ortho = new Float64Array(2 * ns);
    for (let k = 0; k < ns; k++) {
      const orient =
        (Math.atan2(seg[4 * k + 3] - seg[4 * k + 1], seg[4 * k + 2] - seg[4 * k]) + 2 * Math.PI) %
        (2 * Math.PI);
      const ortho = (orient + Math.PI / 2) % (2 * Math.PI);
      this.#ortho[2 * k] = Math.cos(ortho);
      this.#ortho[2 * k + 1] = Math.sin(ortho);
    }
    this.#obstacleBoxes = new Float64Array(4 * map.obstacles.length);
    map.obstacles.forEach((o, i) => {
      let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
      for (const [x, y] of o.vertices) {
        x0 = Math.min(x0, x);
        y0 = Math.min(y0, y);
        x1 = Math.max(x1, x);
        y1 = Math.max(y1, y);
      }
      this.#obstacleBoxes.set([x0, y0, x1, y1], 4 * i);
    });
    this.#routeLengths = Float64Array.from(map.pedRoutes.map(routeLength));
    this.#crowdAreas = Float64Array.from(map.pedCrowdedZones.map(zoneArea));
    const power = Array.from(
      { length: settings.maxGroupSize },
      (_, i) => settings.groupSizeDecay ** i,
    );
    const total = power.reduce((a, b) => a + b, 0);
    this.#groupProbs = Float64Array.from(power.map((p) => p / total));
  }

  /** Pedestrians per m² this simulation was built for. */
  get density(): number {
    return this.#density;
  }

  /** Whether the point is strictly inside any obstacle polygon. */
  insideObstacle(x: number, y: number): boolean {
    const boxes = this.#obstacleBoxes;
    const obstacles = this.#map.obstacles;
    for (let i = 0; i < obstacles.length; i++) {
      if (
        x < boxes[4 * i] || x > boxes[4 * i + 2] || y < boxes[4 * i + 1] || y > boxes[4 * i + 3]
      ) continue;
      if (obstacles[i].vertices.length >= 3 && _pointInPolygon(x, y, obstacles[i].vertices)) {
        return true;
      }
    }
    return false;
  }

  /** Uniform point in a zone, retried while it falls inside an obstacle; result in #point. */
  #zonePoint(zone: Zone, rng: SeededRng): [number, number] {
    const p = this.#point;
    for (let t = 0; t < SPAWN_TRIES; t++) {
      const u = rng.uniform(), v = rng.uniform();
      p[0] = zone.b[0] + u * (zone.a[0] - zone.b[0]) + v * (zone.c[0] - zone.b[0]);
      p[1] = zone.b[1] + u * (zone.a[1] - zone.b[1]) + v * (zone.c[1] - zone.b[1]);
      if (!this.insideObstacle(p[0], p[1])) break;
    }
    return p;
  }

  #sampleGroupSize(rng: SeededRng): number {
    const u = rng.uniform();
    let acc = 0;
    for (let k = 0; k < this.#groupProbs.length; k++) {
      acc += this.#groupProbs[k];
      if (u < acc) return k + 1;
    }
    return this.#groupProbs.length;
  }

  static #pick(weights: Float64Array, rng: SeededRng): number {
    let total = 0;
    for (let i = 0; i < weights.length; i++) total += weights[i];
    let u = rng.uniform() * total;
    for (let i = 0; i < weights.length; i++) {
      if (weights[i] > 0 && u < weights[i]) return i;
      u -= weights[i];
    }
    for (let i = weights.length - 1; i >= 0; i--) if (weights[i] > 0) return i;
    return 0;
  }

  /**
   * Place all pedestrians anew: crowd groups in crowded zones (zone chosen by
   * area), route groups along pedestrian routes (route chosen by length, a
   * uniform offset along it, members spread by a normal of sd sidewalk/4 clipped
   * to half the sidewalk). Group sizes follow the decaying distribution.
   * Points inside obstacles are re-drawn.
   */
  populate(rng: SeededRng): void {
    if (this.#scripted) {
      throw new Error("A scripted pedestrian scene is filled with place(), not populate()");
    }
    const s = this.#s;
    let ped = 0, group = 0;
    const start = this.#groupStart;
    const halfWidth = s.sidewalkWidth / 2, sd = s.sidewalkWidth / 4;
    for (const [kind, total] of [[0, this.#crowdCount], [1, this.#routeCount]] as const) {
      let left = total;
      while (left > 0) {
        const size = Math.min(this.#sampleGroupSize(rng), left);
        start[group] = ped;
        this.#groupKind[group] = kind;
        let goalX: number, goalY: number;
        if (kind === 0) {
          const zi = PedestrianSimulation.#pick(this.#crowdAreas, rng);
          const zone = this.#map.pedCrowdedZones[zi];
          for (let m = 0; m < size; m++) {
            const p = this.#zonePoint(zone, rng);
            this.px[ped + m] = p[0];
            this.py[ped + m] = p[1];
          }
          const g = this.#zonePoint(zone, rng);
          goalX = g[0];
          goalY = g[1];
          this.#groupTarget[group] = zi;
          this.#groupWaypoint[group] = 0;
        } else {
          const ri = PedestrianSimulation.#pick(this.#routeLengths, rng);
          const route = this.#map.pedRoutes[ri];
          const wps = route.waypoints;
          // A uniform offset along the route, re-drawn while it falls inside an obstacle.
          let sec = 0, cx = 0, cy = 0;
          for (let t = 0; t < SPAWN_TRIES; t++) {
            let offset = rng.uniform() * this.#routeLengths[ri];
            for (sec = 0; sec < wps.length - 2; sec++) {
              const len = Math.hypot(wps[sec + 1][0] - wps[sec][0], wps[sec + 1][1] - wps[sec][1]);
              if (offset <= len) break;
              offset -= len;
            }
            const [ax, ay] = wps[sec];
            const [ex, ey] = wps[sec + 1];
            const secLen = Math.hypot(ex - ax, ey - ay);
            const f = secLen > 0 ? Math.min(1, offset / secLen) : 0;
            cx = ax + f * (ex - ax);
            cy = ay + f * (ey - ay);
            if (!this.insideObstacle(cx, cy)) break;
          }
          const [bx, by] = wps[sec + 1];
          for (let m = 0; m < size; m++) {
            let x = cx, y = cy;
            for (let t = 0; t < SPAWN_TRIES; t++) {
              x = cx + Math.max(-halfWidth, Math.min(halfWidth, sd * rng.normal()));
              y = cy + Math.max(-halfWidth, Math.min(halfWidth, sd * rng.normal()));
              if (!this.insideObstacle(x, y)) break;
            }
            this.px[ped + m] = x;
            this.py[ped + m] = y;
          }
          goalX = bx;
          goalY = by;
          this.#groupTarget[group] = ri;
          this.#groupWaypoint[group] = sec + 1;
        }
        let cx = 0, cy = 0;
        for (let m = 0; m < size; m++) {
          cx += this.px[ped + m];
          cy += this.py[ped + m];
        }
        cx /= size;
        cy /= size;
        const rot = Math.atan2(goalY - cy, goalX - cx);
        const vx = Math.cos(rot) * s.initialSpeed, vy = Math.sin(rot) * s.initialSpeed;
        for (let m = 0; m < size; m++) {
          const i = ped + m;
          this.groupOf[i] = group;
          this.vx[i] = vx;
          this.vy[i] = vy;
          this.gx[i] = goalX;
          this.gy[i] = goalY;
          this.maxSpeed[i] = s.speedMultiplier * Math.sqrt(vx * vx + vy * vy);
        }
        ped += size;
        left -= size;
        group++;
      }
    }
    start[group] = ped;
    this.groupCount = group;
    // robot_sf's CrowdedZoneBehavior.reset(): every crowd group draws a fresh goal.
    for (let g = 0; g < group; g++) {
      if (this.#groupKind[g] !== 0) continue;
      const p = this.#zonePoint(this.#map.pedCrowdedZones[this.#groupTarget[g]], rng);
      this.#redirect(g, p[0], p[1]);
    }
  }

  /**
   * Set every pedestrian's state by hand (scripted scenes and tests). Scripted
   * groups keep their goals (no behaviour).
   * @param states One entry per pedestrian: position (m), velocity (m/s), goal (m);
   * the maximum speed is the speed multiplier times the initial speed unless given.
   * @param groups Pedestrian indices per group. @default each pedestrian alone
   * @throws {RangeError} When the number of states differs from the count, or a
   * pedestrian is in no group or in two.
   */
  place(
    states: {
      x: number;
      y: number;
      vx: number;
      vy: number;
      goalX: number;
      goalY: number;
      maxSpeed?: number;
    }[],
    groups?: number[][],
  ): void {
    if (states.length !== this.count) {
      throw new RangeError(`Expected ${this.count} pedestrian states, got ${states.length}`);
    }
    const groupList = groups ?? states.map((_, i) => [i]);
    const order: number[] = [];
    for (const g of groupList) order.push(...g);
    if (
      order.length !== this.count || new Set(order).size !== this.count ||
      order.some((i) => !(i >= 0 && i < this.count))
    ) {
      throw new RangeError("Groups must list every pedestrian exactly once");
    }
    // Members of a group are stored contiguously.
    let k = 0;
    groupList.forEach((g, gi) => {
      this.#groupStart[gi] = k;
      this.#groupKind[gi] = 2;
      for (const i of g) {
        const st = states[i];
        this.px[k] = st.x;
        this.py[k] = st.y;
        this.vx[k] = st.vx;
        this.vy[k] = st.vy;
        this.gx[k] = st.goalX;
        this.gy[k] = st.goalY;
        this.maxSpeed[k] = st.maxSpeed ??
          this.#s.speedMultiplier * Math.sqrt(st.vx * st.vx + st.vy * st.vy);
        this.groupOf[k] = gi;
        k++;
      }
    });
    this.#groupStart[groupList.length] = k;
    this.groupCount = groupList.length;
  }

  /**
   * The complete state (positions, velocities, goals, speeds, forces, groups
   * and their behaviour state) as a JSON-serialisable object.
   */
  snapshot(): PedestrianSnapshot {
    const g = this.groupCount;
    return {
      count: this.count,
      groupCount: g,
      px: _encode(this.px),
      py: _encode(this.py),
      vx: _encode(this.vx),
      vy: _encode(this.vy),
      gx: _encode(this.gx),
      gy: _encode(this.gy),
      maxSpeed: _encode(this.maxSpeed),
      fx: _encode(this.fx),
      fy: _encode(this.fy),
      groupOf: _encode(this.groupOf),
      groupStart: _encode(this.#groupStart, g + 1),
      groupKind: _encode(this.#groupKind, g),
      groupTarget: _encode(this.#groupTarget, g),
      groupWaypoint: _encode(this.#groupWaypoint, g),
    };
  }

  /**
   * Restore a state from {@linkcode PedestrianSimulation.snapshot}.
   * @throws {SnapshotError} When the pedestrian or group count does not fit this simulation.
   */
  restore(snapshot: PedestrianSnapshot): void {
    if (snapshot?.count !== this.count) {
      throw new SnapshotError(
        `Snapshot has ${snapshot?.count} pedestrians, this simulation ${this.count}`,
      );
    }
    const g = snapshot.groupCount;
    if (!Number.isInteger(g) || g < 0 || g > this.count) {
      throw new SnapshotError(`Snapshot group count must be in [0, ${this.count}], got ${g}`);
    }
    const p = "pedestrians.";
    _decodeInto(snapshot.px, this.px, `${p}px`);
    _decodeInto(snapshot.py, this.py, `${p}py`);
    _decodeInto(snapshot.vx, this.vx, `${p}vx`);
    _decodeInto(snapshot.vy, this.vy, `${p}vy`);
    _decodeInto(snapshot.gx, this.gx, `${p}gx`);
    _decodeInto(snapshot.gy, this.gy, `${p}gy`);
    _decodeInto(snapshot.maxSpeed, this.maxSpeed, `${p}maxSpeed`);
    _decodeInto(snapshot.fx, this.fx, `${p}fx`);
    _decodeInto(snapshot.fy, this.fy, `${p}fy`);
    _decodeInto(snapshot.groupOf, this.groupOf, `${p}groupOf`);
    _decodeInto(snapshot.groupStart, this.#groupStart, `${p}groupStart`, g + 1);
    _decodeInto(snapshot.groupKind, this.#groupKind, `${p}groupKind`, g);
    _decodeInto(snapshot.groupTarget, this.#groupTarget, `${p}groupTarget`, g);
    _decodeInto(snapshot.groupWaypoint, this.#groupWaypoint, `${p}groupWaypoint`, g);
    this.groupCount = g;
  }

  #redirect(g: number, x: number, y: number) {
    for (let k = this.#groupStart[g]; k < this.#groupStart[g + 1]; k++) {
      this.gx[k] = x;
      this.gy[k] = y;
    }
  }

  /** Group behaviours (robot_sf CrowdedZoneBehavior, FollowRouteBehavior). */
  #behave(rng: SeededRng): void {
    const prox = this.#s.goalProximity;
    for (let g = 0; g < this.groupCount; g++) {
      const a = this.#groupStart[g], b = this.#groupStart[g + 1];
      let cx = 0, cy = 0;
      for (let k = a; k < b; k++) {
        cx += this.px[k];
        cy += this.py[k];
      }
      cx /= b - a;
      cy /= b - a;
      if (this.#groupKind[g] === 2) continue;
      if (this.#groupKind[g] === 0) {
        if (Math.hypot(cx - this.gx[a], cy - this.gy[a]) < prox) {
          const p = this.#zonePoint(this.#map.pedCrowdedZones[this.#groupTarget[g]], rng);
          this.#redirect(g, p[0], p[1]);
        }
        continue;
      }
      const route = this.#map.pedRoutes[this.#groupTarget[g]];
      const wps = route.waypoints;
      let id = this.#groupWaypoint[g];
      const reached = Math.hypot(wps[id][0] - cx, wps[id][1] - cy) <= prox;
      if (reached) id = Math.min(wps.length - 1, id + 1);
      const last = wps[wps.length - 1];
      if (Math.hypot(last[0] - cx, last[1] - cy) <= prox) {
        for (let k = a; k < b; k++) {
          const p = this.#zonePoint(route.spawnZone, rng);
          this.px[k] = p[0];
          this.py[k] = p[1];
        }
        this.#redirect(g, wps[0][0], wps[0][1]);
        id = 0;
      } else if (reached) {
        this.#redirect(g, wps[id][0], wps[id][1]);
      }
      this.#groupWaypoint[g] = id;
    }
  }

  /**
   * Advance one time step.
   * @param rng Random source for goal and respawn draws.
   * @param robot Robot position (m) and radius (m) for the repulsion force; a
   * `Robot` fits; null for none.
   */
  step(rng: SeededRng, robot: { x: number; y: number; radius: number } | null): void {
    this.#behave(rng);
    this.computeForces(robot);
    const n = this.count, dt = this.#dt;
    const px = this.px, py = this.py, vx = this.vx, vy = this.vy;
    for (let i = 0; i < n; i++) {
      let nx = vx[i] + dt * this.fx[i];
      let ny = vy[i] + dt * this.fy[i];
      const speed = Math.sqrt(nx * nx + ny * ny);
      const factor = speed === 0 ? 0 : Math.min(1, this.maxSpeed[i] / speed);
      nx *= factor;
      ny *= factor;
      px[i] += nx * dt;
      py[i] += ny * dt;
      vx[i] = nx;
      vy[i] = ny;
    }
  }

  /**
   * Total force on every pedestrian into {@linkcode PedestrianSimulation.fx}/`fy`
   * for the current state (no behaviour update, no integration).
   * @param robot Robot position (m) and radius (m), or null for none.
   */
  computeForces(robot: { x: number; y: number; radius: number } | null): void {
    const n = this.count, f = this.#s.forces;
    const px = this.px, py = this.py, vx = this.vx, vy = this.vy, fx = this.fx, fy = this.fy;
    const thrSq = f.socialActivationThreshold * f.socialActivationThreshold;
    const lambda = f.lambdaImportance, gamma = f.gamma, nExp = f.n, nPrime = f.nPrime;
    const tau = f.relaxationTime, goalThr = f.goalThreshold;
    // Social force, all pairs within the activation threshold, summed per pedestrian
    // over the others in index order (into fx, fy). Each pair is visited once. The
    // reverse pair's differences are the exact negations of this pair's, or both +0
    // (IEEE subtraction, products and sums are sign-symmetric), so its squared distance
    // and squared interaction length are bit for bit the same: the square roots are
    // shared; its direction and interaction vector are computed anew (cheap, and with
    // the signs of zero PySocialForce's arithmetic gives). Pedestrian j's sum still takes
    // its terms in index order: those of i < j as the outer loop passes them, then those
    // of i > j in its own row.
    fx.fill(0, 0, n);
    fy.fill(0, 0, n);
    for (let i = 0; i < n; i++) {
      const pxi = px[i], pyi = py[i], vxi = vx[i], vyi = vy[i];
      let sx = fx[i], sy = fy[i];
      for (let j = i + 1; j < n; j++) {
        const ddx = pxi - px[j], ddy = pyi - py[j];
        const dSq = ddx * ddx + ddy * ddy;
        if (dSq > thrSq) continue;
        const apart = ddx !== 0 || ddy !== 0;
        const len = apart ? Math.sqrt(dSq) : 0;
        const dirX = apart ? ddx / len : ddx, dirY = apart ? ddy / len : ddy;
        const ix = lambda * (vx[j] - vxi) + dirX;
        const iy = lambda * (vy[j] - vyi) + dirY;
        const interacts = ix !== 0 || iy !== 0;
        const ilen = interacts ? Math.sqrt(ix * ix + iy * iy) : 0;
        const bb = gamma * ilen + 1e-8;
        const base = -1.0 * len / bb;
        // On i from j.
        const idx = interacts ? ix / ilen : ix, idy = interacts ? iy / ilen : iy;
        let theta = Math.atan2(idy, idx) - Math.atan2(dirY, dirX);
        let tv = nPrime * bb * theta, ta = nExp * bb * theta;
        let fv = Math.exp(base - tv * tv);
        let fa = (theta >= 0 ? -1 : 1) * Math.exp(base - ta * ta);
        sx += idx * fv + -idy * fa;
        sy += idy * fv + idx * fa;
        // On j from i.
        const rdx = px[j] - pxi, rdy = py[j] - pyi;
        const rdirX = apart ? rdx / len : rdx, rdirY = apart ? rdy / len : rdy;
        const rix = lambda * (vxi - vx[j]) + rdirX;
        const riy = lambda * (vyi - vy[j]) + rdirY;
        const ridx = interacts ? rix / ilen : rix, ridy = interacts ? riy / ilen : riy;
        theta = Math.atan2(ridy, ridx) - Math.atan2(rdirY, rdirX);
        tv = nPrime * bb * theta;
        ta = nExp * bb * theta;
        fv = Math.exp(base - tv * tv);
        fa = (theta >= 0 ? -1 : 1) * Math.exp(base - ta * ta);
        fx[j] += ridx * fv + -ridy * fa;
        fy[j] += ridy * fv + ridx * fa;
      }
      fx[i] = sx;
      fy[i] = sy;
    }
    for (let i = 0; i < n; i++) {
      // Desired force.
      const dx = this.gx[i] - px[i], dy = this.gy[i] - py[i];
      const dist = Math.sqrt(dx * dx + dy * dy);
      let ax: number, ay: number;
      if (dist > goalThr) {
        ax = (((dx / dist) * this.maxSpeed[i] - vx[i]) / tau) * f.desiredFactor;
        ay = (((dy / dist) * this.maxSpeed[i] - vy[i]) / tau) * f.desiredFactor;
      } else {
        ax = ((-1.0 * vx[i]) / tau) * f.desiredFactor;
        ay = ((-1.0 * vy[i]) / tau) * f.desiredFactor;
      }
      fx[i] = ax + fx[i] * f.socialFactor;
      fy[i] = ay + fy[i] * f.socialFactor;
    }
    if (f.obstacleForces) this.#addObstacleForces();
    if (f.groupForces) this.#addGroupForces();
    if (f.robotForce && robot !== null) {
      const robotX = robot.x, robotY = robot.y;
      const thr = f.robotForceActivationThreshold + f.agentRadius + robot.radius;
      for (let i = 0; i < n; i++) {
        const ddx = px[i] - robotX, ddy = py[i] - robotY;
        const d = Math.sqrt(ddx * ddx + ddy * ddy);
        if (d <= thr && d > 0) {
          const k = 1 / (d * d * d);
          fx[i] += k * (ddx / d) * f.robotForceMultiplier;
          fy[i] += k * (ddy / d) * f.robotForceMultiplier;
        }
      }
    }
  }

  #addObstacleForces(): void {
    const f = this.#s.forces;
    const r = f.obstacleThreshold + f.agentRadius * f.obstacleSigma;
    const seg = this.#map.segments, ortho = this.#ortho;
    const ns = seg.length / 4;
    const range = f.obstacleForceRange;
    const grid = this.#grid;
    const useGrid = Number.isFinite(range);
    for (let i = 0; i < this.count; i++) {
      const x = this.px[i], y = this.py[i];
      let ox = 0, oy = 0;
      if (useGrid) {
        const m = grid.query(x - range, y - range, x + range, y + range);
        const res = grid.result;
        const rangeSq = range * range;
        for (let q = 0; q < m; q++) {
          const k = res[q];
          if (_segmentDistSq(seg, k, x, y) > rangeSq) continue;
          ox += _obstacleForceX(seg, ortho, k, x, y, r);
          oy += _lastY;
        }
      } else {
        for (let k = 0; k < ns; k++) {
          ox += _obstacleForceX(seg, ortho, k, x, y, r);
          oy += _lastY;
        }
      }
      this.fx[i] += ox * f.obstacleFactor;
      this.fy[i] += oy * f.obstacleFactor;
    }
  }

  #addGroupForces(): void {
    const f = this.#s.forces;
    const px = this.px, py = this.py;
    const start = this.#groupStart;
    // Coherence (PySocialForce GroupCoherenceForceAlt).
    for (let g = 0; g < this.groupCount; g++) {
      const a = start[g], b = start[g + 1], size = b - a;
      let cx = 0, cy = 0;
      for (let k = a; k < b; k++) {
        cx += px[k];
        cy += py[k];
      }
      cx /= size;
      cy /= size;
      const thr = (size - 1) / 2;
      for (let k = a; k < b; k++) {
        const ex = cx - px[k], ey = cy - py[k];
        const norm = Math.sqrt(ex * ex + ey * ey);
        const soft = (Math.tanh(norm - thr) + 1) / 2;
        this.fx[k] += ex * soft * f.groupCoherenceFactor;
        this.fy[k] += ey * soft * f.groupCoherenceFactor;
      }
    }
    // Repulsion between members closer than the threshold (GroupRepulsiveForce).
    for (let g = 0; g < this.groupCount; g++) {
      const a = start[g], b = start[g + 1];
      for (let k = a; k < b; k++) {
        let rx = 0, ry = 0;
        for (let m = a; m < b; m++) {
          if (m === k) continue;
          const ex = px[k] - px[m], ey = py[k] - py[m];
          if (Math.sqrt(ex * ex + ey * ey) > f.groupRepulsiveThreshold) continue;
          rx += ex;
          ry += ey;
        }
        this.fx[k] += rx * f.groupRepulsiveFactor;
        this.fy[k] += ry * f.groupRepulsiveFactor;
      }
    }
    // Gaze towards the centre of the other members (GroupGazeForceAlt).
    for (let g = 0; g < this.groupCount; g++) {
      const a = start[g], b = start[g + 1], size = b - a;
      if (size <= 1) continue;
      for (let k = a; k < b; k++) {
        let cx = 0, cy = 0;
        for (let m = a; m < b; m++) {
          if (m === k) continue;
          cx += px[m];
          cy += py[m];
        }
        cx /= size - 1;
        cy /= size - 1;
        const rx = cx - px[k], ry = cy - py[k];
        const comDist = Math.sqrt(rx * rx + ry * ry);
        const gdx = this.gx[k] - px[k], gdy = this.gy[k] - py[k];
        const goalDist = Math.sqrt(gdx * gdx + gdy * gdy);
        if (goalDist === 0 || comDist === 0) continue;
        const dirX = gdx / goalDist, dirY = gdy / goalDist;
        const prod = dirX * (rx / comDist) + dirY * (ry / comDist);
        const factor = (comDist * prod) / goalDist;
        this.fx[k] += dirX * factor * f.groupGazeFactor;
        this.fy[k] += dirY * factor * f.groupGazeFactor;
      }
    }
  }
}

function _segmentDistSq(seg: Float64Array, k: number, x: number, y: number): number {
  const x1 = seg[4 * k], y1 = seg[4 * k + 1], x2 = seg[4 * k + 2], y2 = seg[4 * k + 3];
  const sx = x2 - x1, sy = y2 - y1;
  const l = sx * sx + sy * sy;
  let t = l > 0 ? ((x - x1) * sx + (y - y1) * sy) / l : 0;
  t = t < 0 ? 0 : t > 1 ? 1 : t;
  const dx = x1 + t * sx - x, dy = y1 + t * sy - y;
  return dx * dx + dy * dy;
}

let _lastY = 0;
/**
 * PySocialForce `obstacle_force` for segment k on a pedestrian at (x, y) with
 * distance offset r: the gradient of `1 / (2 d^2)` in the distance `d` to the
 * segment minus r (at least 1e-5). Returns the x part; the y part is in `_lastY`.
 */
function _obstacleForceX(
  seg: Float64Array,
  ortho: Float64Array,
  k: number,
  x: number,
  y: number,
  r: number,
): number {
  const x1 = seg[4 * k], y1 = seg[4 * k + 1], x2 = seg[4 * k + 2], y2 = seg[4 * k + 3];
  const x3 = x, y3 = y, x4 = x + ortho[2 * k], y4 = y + ortho[2 * k + 1];
  if (x1 === x2 && y1 === y2) {
    const d = Math.max(Math.sqrt((x1 - x) ** 2 + (y1 - y) ** 2) - r, COLL_DIST);
    const c = 1 / (d * d * d);
    _lastY = c * ((y - y1) / d);
    return c * ((x - x1) / d);
  }
  const num = (x1 - x3) * (y3 - y4) - (y1 - y3) * (x3 - x4);
  const den = (x1 - x2) * (y3 - y4) - (y1 - y2) * (x3 - x4);
  const t = num / den;
  if (!(0 <= t && t <= 1)) {
    const d1 = Math.sqrt((x1 - x) ** 2 + (y1 - y) ** 2);
    const d2 = Math.sqrt((x2 - x) ** 2 + (y2 - y) ** 2);
    const d = Math.max(Math.min(d1, d2) - r, COLL_DIST);
    const bx = d1 < d2 ? x1 : x2, by = d1 < d2 ? y1 : y2;
    const c = 1 / (d * d * d);
    _lastY = c * ((y - by) / d);
    return c * ((x - bx) / d);
  }
  const crossX = x1 + t * (x2 - x1), crossY = y1 + t * (y2 - y1);
  const d = Math.max(Math.sqrt((x - crossX) ** 2 + (y - crossY) ** 2) - r, COLL_DIST);
  const dx3CrossX = ((y4 - y3) / den) * (x2 - x1);
  const dx3CrossY = ((y4 - y3) / den) * (y2 - y1);
  const dy3CrossX = ((x3 - x4) / den) * (x2 - x1);
  const dy3CrossY = ((x3 - x4) / den) * (y2 - y1);
  const ddx = ((crossX - x) * (dx3CrossX - 1) + (crossY - y) * dx3CrossY) / d;
  const ddy = ((crossX - x) * dy3CrossX + (crossY - y) * (dy3CrossY - 1)) / d;
  const c = 1 / (d * d * d);
  _lastY = c * ddy;
  return c * ddx;
}
