/**
 * Turns a format-neutral raw map into a validated {@linkcode MapDefinition}:
 * resolves route zones, derives obstacle segments and bounds, and checks the
 * problems the loaders report by element name. Private to `lib/sim`.
 *
 * @module
 */
import { _pointInPolygon, _segmentsIntersect, type Vec2 } from "./_geometry.ts";
import {
  type MapDefinition,
  MapError,
  type Obstacle,
  type Route,
  type Zone,
  zoneArea,
} from "./map_definition.ts";

/** A route before its zone indices are resolved. */
export interface _RawRoute {
  id: string;
  spawnId: number;
  goalId: number;
  waypoints: Vec2[];
  /** The route's own spawn zone (robot_sf's zones derived from route ends); else by `spawnId`. */
  spawnZone?: Zone;
  /** The route's own goal zone; else by `goalId`. */
  goalZone?: Zone;
}

/** Format-neutral map as produced by each parser. */
export interface _RawMap {
  name: string;
  source: string;
  width: number;
  height: number;
  obstacles: Obstacle[];
  robotSpawnZones: Zone[];
  robotGoalZones: Zone[];
  pedSpawnZones: Zone[];
  pedGoalZones: Zone[];
  pedCrowdedZones: Zone[];
  robotRoutes: _RawRoute[];
  pedRoutes: _RawRoute[];
  /** Also add every robot route reversed (robot_sf does this for JSON maps). */
  reverseRobotRoutes: boolean;
  /** Extra boundary segments `[x1, y1, x2, y2]` (e.g. SVG `bound` rects). */
  extraBounds: [number, number, number, number][];
  warnings: string[];
}

const FREE_SPACE_SAMPLES = 12;

/**
 * Validate and finish a raw map.
 * @throws {MapError} On a problem that makes the map unusable.
 */
export function _buildMap(raw: _RawMap): MapDefinition {
  const src = raw.source;
  if (!(raw.width > 0 && raw.height > 0 && isFinite(raw.width) && isFinite(raw.height))) {
    throw new MapError(`Map size must be positive, got ${raw.width} x ${raw.height}`, {
      source: src,
    });
  }
  for (const o of raw.obstacles) {
    if (o.vertices.length < 2) {
      throw new MapError(`Obstacle '${o.id}' needs at least 2 vertices`, {
        source: src,
        element: o.id,
      });
    }
    for (const [x, y] of o.vertices) {
      if (!isFinite(x) || !isFinite(y)) {
        throw new MapError(`Obstacle '${o.id}' has a non-finite vertex`, {
          source: src,
          element: o.id,
        });
      }
    }
  }
  const zoneLists: [string, Zone[]][] = [
    ["robot spawn zone", raw.robotSpawnZones],
    ["robot goal zone", raw.robotGoalZones],
    ["pedestrian spawn zone", raw.pedSpawnZones],
    ["pedestrian goal zone", raw.pedGoalZones],
    ["pedestrian crowded zone", raw.pedCrowdedZones],
  ];
  for (const [kind, zones] of zoneLists) {
    for (const z of zones) _checkZone(z, kind, raw);
  }
  if (raw.robotRoutes.length === 0) {
    const missing = [
      raw.robotSpawnZones.length === 0 ? "robot spawn zone" : "",
      raw.robotGoalZones.length === 0 ? "robot goal zone" : "",
    ].filter((s) => s !== "");
    throw new MapError(
      missing.length === 0
        ? "Map has no robot route"
        : `Map has no robot route and no ${
          missing.join(" or ")
        } to make one from (a robot needs a robot_route path, or robot_spawn_zone and robot_goal_zone rects)`,
      { source: src },
    );
  }
  const robotRoutes = raw.robotRoutes.map((r) =>
    _resolveRoute(r, "Robot route", raw.robotSpawnZones, raw.robotGoalZones, raw)
  );
  if (raw.reverseRobotRoutes) {
    for (const r of [...robotRoutes]) {
      robotRoutes.push({
        id: `${r.id} (reversed)`,
        spawnId: r.goalId,
        goalId: r.spawnId,
        waypoints: [...r.waypoints].reverse(),
        spawnZone: r.goalZone,
        goalZone: r.spawnZone,
      });
    }
  }
  const pedRoutes = raw.pedRoutes.map((r) =>
    _resolveRoute(r, "Pedestrian route", raw.pedSpawnZones, raw.pedGoalZones, raw)
  );

  const seg: number[] = [];
  const owner: number[] = [];
  raw.obstacles.forEach((o, index) => {
    const v = o.vertices;
    for (let i = 0; i < v.length; i++) {
      const p = v[i], q = v[(i + 1) % v.length];
      if (p[0] === q[0] && p[1] === q[1]) continue;
      seg.push(p[0], p[1], q[0], q[1]);
      owner.push(index);
    }
  });
  const w = raw.width, h = raw.height;
  const bounds: [number, number, number, number][] = [
    [0, 0, w, 0], // bottom
    [0, h, w, h], // top
    [0, 0, 0, h], // left
    [w, 0, w, h], // right
    ...raw.extraBounds,
  ];
  for (const b of bounds) {
    seg.push(...b);
    owner.push(-1);
  }

  const warnings = [...raw.warnings];
  for (
    const r of [
      ...raw.robotRoutes.map((x) => ["Robot", x] as const),
      ...raw.pedRoutes.map((x) => ["Pedestrian", x] as const),
    ]
  ) {
    _warnRouteCrossings(r[0], r[1], raw.obstacles, warnings);
  }

  return {
    name: raw.name,
    source: raw.source,
    width: w,
    height: h,
    obstacles: raw.obstacles,
    robotSpawnZones: raw.robotSpawnZones,
    robotGoalZones: raw.robotGoalZones,
    pedSpawnZones: raw.pedSpawnZones,
    pedGoalZones: raw.pedGoalZones,
    pedCrowdedZones: raw.pedCrowdedZones,
    robotRoutes,
    pedRoutes,
    segments: Float64Array.from(seg),
    segmentOwner: Int32Array.from(owner),
    warnings,
  };
}

function _checkZone(z: Zone, kind: string, raw: _RawMap): void {
  for (const p of [z.a, z.b, z.c]) {
    if (!isFinite(p[0]) || !isFinite(p[1])) {
      throw new MapError(`${_cap(kind)} '${z.id}' has a non-finite corner`, {
        source: raw.source,
        element: z.id,
      });
    }
  }
  if (!(zoneArea(z) > 0)) {
    throw new MapError(`${_cap(kind)} '${z.id}' has zero area`, {
      source: raw.source,
      element: z.id,
    });
  }
  if (!_zoneHasFreeSpace(z, raw.obstacles)) {
    throw new MapError(
      `${_cap(kind)} '${z.id}' has no free space: it lies entirely inside obstacles`,
      {
        source: raw.source,
        element: z.id,
      },
    );
  }
}

/** Whether any of a regular grid of sample points in the zone is outside every obstacle. */
function _zoneHasFreeSpace(z: Zone, obstacles: Obstacle[]): boolean {
  const n = FREE_SPACE_SAMPLES;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const u = (i + 0.5) / n, v = (j + 0.5) / n;
      const x = z.b[0] + u * (z.a[0] - z.b[0]) + v * (z.c[0] - z.b[0]);
      const y = z.b[1] + u * (z.a[1] - z.b[1]) + v * (z.c[1] - z.b[1]);
      if (!_insideAnyObstacle(x, y, obstacles)) return true;
    }
  }
  return false;
}

/** Whether the point is strictly inside any obstacle polygon. */
export function _insideAnyObstacle(x: number, y: number, obstacles: readonly Obstacle[]): boolean {
  for (const o of obstacles) {
    if (o.vertices.length >= 3 && _pointInPolygon(x, y, o.vertices)) return true;
  }
  return false;
}

function _resolveRoute(
  r: _RawRoute,
  kind: string,
  spawnZones: Zone[],
  goalZones: Zone[],
  raw: _RawMap,
): Route {
  const source = raw.source;
  if (r.waypoints.length === 0) {
    throw new MapError(`${kind} '${r.id}' has no waypoints`, { source, element: r.id });
  }
  for (const [x, y] of r.waypoints) {
    if (!isFinite(x) || !isFinite(y)) {
      throw new MapError(`${kind} '${r.id}' has a non-finite waypoint`, { source, element: r.id });
    }
  }
  const zoneWord = kind === "Robot route" ? "robot" : "pedestrian";
  if (r.spawnZone !== undefined) _checkZone(r.spawnZone, `${zoneWord} spawn zone`, raw);
  if (r.goalZone !== undefined) _checkZone(r.goalZone, `${zoneWord} goal zone`, raw);
  if (
    r.spawnZone === undefined &&
    !(Number.isInteger(r.spawnId) && r.spawnId >= 0 && r.spawnId < spawnZones.length)
  ) {
    throw new MapError(
      `${kind} '${r.id}' refers to missing ${zoneWord} spawn zone ${r.spawnId} (map has ${spawnZones.length})`,
      { source, element: r.id },
    );
  }
  if (
    r.goalZone === undefined &&
    !(Number.isInteger(r.goalId) && r.goalId >= 0 && r.goalId < goalZones.length)
  ) {
    throw new MapError(
      `${kind} '${r.id}' refers to missing ${zoneWord} goal zone ${r.goalId} (map has ${goalZones.length})`,
      { source, element: r.id },
    );
  }
  return {
    id: r.id,
    spawnId: r.spawnId,
    goalId: r.goalId,
    waypoints: r.waypoints,
    spawnZone: r.spawnZone ?? spawnZones[r.spawnId],
    goalZone: r.goalZone ?? goalZones[r.goalId],
  };
}

function _warnRouteCrossings(
  kind: string,
  r: _RawRoute,
  obstacles: Obstacle[],
  warnings: string[],
): void {
  for (let i = 1; i < r.waypoints.length; i++) {
    const [ax, ay] = r.waypoints[i - 1];
    const [bx, by] = r.waypoints[i];
    for (const o of obstacles) {
      const v = o.vertices;
      let crosses = false;
      for (let k = 0; k < v.length && !crosses; k++) {
        const p = v[k], q = v[(k + 1) % v.length];
        crosses = _segmentsIntersect(ax, ay, bx, by, p[0], p[1], q[0], q[1]);
      }
      if (crosses) {
        warnings.push(`${kind} route '${r.id}' segment ${i} crosses obstacle '${o.id}'`);
      }
    }
  }
}

function _cap(s: string): string {
  return s[0].toUpperCase() + s.slice(1);
}
