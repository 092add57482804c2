/**
 * Parsers for the two JSON map formats: robot_sf's JSON maps (`x_margin`,
 * `y_margin`, 3-point zones, routes by zone index; robot_sf
 * `nav/map_config.py` `serialize_map`) and our own format (documented in
 * docs/maps.md). Private to `lib/sim`.
 *
 * @module
 */
import type { Vec2 } from "./_geometry.ts";
import type { _RawMap, _RawRoute } from "./_map_build.ts";
import { MapError, type Obstacle, type Zone } from "./map_definition.ts";

/** Marker value of the `format` key in our own map files. */
export const OWN_MAP_FORMAT = "multi-extractor-map";

type Json = Record<string, unknown>;

function _fail(source: string, path: string, what: string): never {
  throw new MapError(`${path} ${what}`, { source, element: path });
}

function _point(v: unknown, source: string, path: string): Vec2 {
  if (
    !Array.isArray(v) || v.length !== 2 || typeof v[0] !== "number" || typeof v[1] !== "number" ||
    !isFinite(v[0]) || !isFinite(v[1])
  ) {
    _fail(source, path, "must be a point [x, y] of two finite numbers");
  }
  return [v[0], v[1]];
}

function _points(v: unknown, source: string, path: string): Vec2[] {
  if (!Array.isArray(v)) _fail(source, path, "must be an array of [x, y] points");
  return v.map((p, i) => _point(p, source, `${path}[${i}]`));
}

function _list(doc: Json, key: string, source: string): unknown[] {
  const v = doc[key];
  if (v === undefined) return [];
  if (!Array.isArray(v)) _fail(source, key, "must be an array");
  return v;
}

/**
 * Parse a robot_sf JSON map. Coordinates are shifted so that the margins'
 * minimum corner is the origin; robot routes are added reversed too.
 * @throws {MapError} When a key is missing or malformed.
 */
export function _parseReferenceJson(doc: Json, name: string, source: string): _RawMap {
  const xm = doc.x_margin, ym = doc.y_margin;
  const [minX, maxX] = _point(xm, source, "x_margin");
  const [minY, maxY] = _point(ym, source, "y_margin");
  const shift = (p: Vec2): Vec2 => [p[0] - minX, p[1] - minY];
  const zones = (key: string): Zone[] =>
    _list(doc, key, source).map((z, i) => {
      const path = `${key}[${i}]`;
      const pts = _points(z, source, path);
      if (pts.length !== 3) _fail(source, path, "must have exactly 3 corner points");
      return { id: path, a: shift(pts[0]), b: shift(pts[1]), c: shift(pts[2]) };
    });
  const obstacles: Obstacle[] = _list(doc, "obstacles", source).map((o, i) => ({
    id: `obstacles[${i}]`,
    vertices: _points(o, source, `obstacles[${i}]`).map(shift),
  }));
  const routes = (key: string): _RawRoute[] =>
    _list(doc, key, source).map((r, i) => {
      const path = `${key}[${i}]`;
      if (typeof r !== "object" || r === null) _fail(source, path, "must be an object");
      const o = r as Json;
      if (!Number.isInteger(o.spawn_id)) _fail(source, `${path}.spawn_id`, "must be an integer");
      if (!Number.isInteger(o.goal_id)) _fail(source, `${path}.goal_id`, "must be an integer");
      return {
        id: `${path} (${o.spawn_id} -> ${o.goal_id})`,
        spawnId: o.spawn_id as number,
        goalId: o.goal_id as number,
        waypoints: _points(o.waypoints, source, `${path}.waypoints`).map(shift),
      };
    });
  return {
    name,
    source,
    width: maxX - minX,
    height: maxY - minY,
    obstacles,
    robotSpawnZones: zones("robot_spawn_zones"),
    robotGoalZones: zones("robot_goal_zones"),
    pedSpawnZones: zones("ped_spawn_zones"),
    pedGoalZones: zones("ped_goal_zones"),
    pedCrowdedZones: zones("ped_crowded_zones"),
    robotRoutes: routes("robot_routes"),
    pedRoutes: routes("ped_routes"),
    reverseRobotRoutes: true,
    extraBounds: [],
    warnings: [],
  };
}

function _rectCorners(v: unknown, source: string, path: string): [Vec2, Vec2, Vec2, Vec2] {
  if (
    !Array.isArray(v) || v.length !== 4 || v.some((n) => typeof n !== "number" || !isFinite(n))
  ) {
    _fail(source, path, "must be [x, y, width, height] of finite numbers");
  }
  const [x, y, w, h] = v as number[];
  if (!(w > 0 && h > 0)) {
    _fail(source, path, `must have positive width and height, got ${w} x ${h}`);
  }
  return [[x, y], [x + w, y], [x + w, y + h], [x, y + h]];
}

function _id(o: Json, source: string, path: string): string {
  if (typeof o.id !== "string" || o.id.length === 0) {
    _fail(source, `${path}.id`, "must be a non-empty string");
  }
  return o.id;
}

/**
 * Parse a map in our own JSON format (see docs/maps.md).
 * @throws {MapError} When a key is missing or malformed, an id repeats, or a
 * route names a zone that does not exist.
 */
export function _parseOwnJson(doc: Json, fallbackName: string, source: string): _RawMap {
  if (doc.version !== 1) _fail(source, "version", `must be 1, got ${JSON.stringify(doc.version)}`);
  const width = doc.width, height = doc.height;
  if (typeof width !== "number" || typeof height !== "number") {
    _fail(source, "width/height", "must be numbers (metres)");
  }
  const name = typeof doc.name === "string" ? doc.name : fallbackName;
  const seen = new Set<string>();
  const unique = (id: string, path: string) => {
    if (seen.has(id)) _fail(source, path, `repeats id '${id}'`);
    seen.add(id);
  };
  const obstacles: Obstacle[] = _list(doc, "obstacles", source).map((o, i) => {
    const path = `obstacles[${i}]`;
    if (typeof o !== "object" || o === null) _fail(source, path, "must be an object");
    const ob = o as Json;
    const id = _id(ob, source, path);
    unique(id, path);
    if (ob.rect !== undefined) {
      return { id, vertices: _rectCorners(ob.rect, source, `${path}.rect`) };
    }
    return { id, vertices: _points(ob.polygon, source, `${path}.polygon`) };
  });
  const zoneIndex = new Map<string, Map<string, number>>();
  const zones = (key: string): Zone[] => {
    const index = new Map<string, number>();
    zoneIndex.set(key, index);
    return _list(doc, key, source).map((z, i) => {
      const path = `${key}[${i}]`;
      if (typeof z !== "object" || z === null) _fail(source, path, "must be an object");
      const zo = z as Json;
      const id = _id(zo, source, path);
      unique(id, path);
      index.set(id, i);
      if (zo.rect !== undefined) {
        const [a, b, c] = _rectCorners(zo.rect, source, `${path}.rect`);
        return { id, a, b, c };
      }
      const pts = _points(zo.corners, source, `${path}.corners`);
      if (pts.length !== 3) _fail(source, `${path}.corners`, "must have exactly 3 points");
      return { id, a: pts[0], b: pts[1], c: pts[2] };
    });
  };
  const robotSpawnZones = zones("robot_spawn_zones");
  const robotGoalZones = zones("robot_goal_zones");
  const pedSpawnZones = zones("ped_spawn_zones");
  const pedGoalZones = zones("ped_goal_zones");
  const pedCrowdedZones = zones("ped_crowded_zones");
  const routes = (key: string, spawnKey: string, goalKey: string): _RawRoute[] =>
    _list(doc, key, source).map((r, i) => {
      const path = `${key}[${i}]`;
      if (typeof r !== "object" || r === null) _fail(source, path, "must be an object");
      const ro = r as Json;
      const id = _id(ro, source, path);
      unique(id, path);
      const lookup = (zoneKey: string, field: string): number => {
        const ref = ro[field];
        const idx = typeof ref === "string" ? zoneIndex.get(zoneKey)!.get(ref) : undefined;
        if (idx === undefined) {
          throw new MapError(
            `Route '${id}' refers to missing zone '${String(ref)}' in ${zoneKey}`,
            { source, element: id },
          );
        }
        return idx;
      };
      return {
        id,
        spawnId: lookup(spawnKey, "spawn"),
        goalId: lookup(goalKey, "goal"),
        waypoints: _points(ro.waypoints, source, `${path}.waypoints`),
      };
    });
  return {
    name,
    source,
    width,
    height,
    obstacles,
    robotSpawnZones,
    robotGoalZones,
    pedSpawnZones,
    pedGoalZones,
    pedCrowdedZones,
    robotRoutes: routes("robot_routes", "robot_spawn_zones", "robot_goal_zones"),
    pedRoutes: routes("ped_routes", "ped_spawn_zones", "ped_goal_zones"),
    reverseRobotRoutes: doc.reverse_robot_routes === true,
    extraBounds: [],
    warnings: [],
  };
}
