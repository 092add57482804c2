/**
 * Typed map model shared by every map format: bounds, obstacle polygons, zones
 * and routes, plus the derived obstacle segments the simulator uses. World
 * frame: x right, y up, metres, origin at the lower-left map corner.
 *
 * Zones follow robot_sf's 3-point convention (`nav/map_config.py`, `ped_zone.py`):
 * corners `a`, `b`, `c` of a parallelogram; points are `b + u (a - b) + v (c - b)`
 * with `u, v` uniform in [0, 1), and the area is `|a - b| * |c - b|`.
 *
 * @module
 */
import type { Vec2 } from "./_geometry.ts";

export type { Vec2 } from "./_geometry.ts";

/** A map problem, named by the element (id or label) and the source file. */
export class MapError extends Error {
  /** Element id or label the problem is about, when there is one. */
  readonly element: string | undefined;
  /** File or built-in name the map came from. */
  readonly source: string;

  /**
   * Create a MapError.
   * @param message Sentence-case message without trailing period.
   * @param options `source` (file or map name) and `element` (id or label).
   */
  constructor(message: string, options: { source: string; element?: string }) {
    super(`${options.source}: ${message}`);
    this.name = "MapError";
    this.source = options.source;
    this.element = options.element;
  }
}

/** A zone: parallelogram with corners `a`, `b`, `c` (metres); see module docs. */
export interface Zone {
  /** Element id or label, used in messages. */
  id: string;
  /** First corner, metres. */
  a: Vec2;
  /** Shared corner; samples are `b + u (a - b) + v (c - b)`. */
  b: Vec2;
  /** Third corner, metres. */
  c: Vec2;
}

/** Closed obstacle polygon (the closing edge back to the first vertex is implied). */
export interface Obstacle {
  /** Element id or label, used in messages. */
  id: string;
  /** Polygon vertices in metres, at least 2. */
  vertices: Vec2[];
}

/** A route from a spawn zone to a goal zone through waypoints. */
export interface Route {
  /** Element id or label, used in messages. */
  id: string;
  /** Index of the spawn zone in its zone list. */
  spawnId: number;
  /** Index of the goal zone in its zone list. */
  goalId: number;
  /** Waypoints in metres, at least one. */
  waypoints: Vec2[];
  /** The spawn zone (robot or pedestrian list, by route kind). */
  spawnZone: Zone;
  /** The goal zone. */
  goalZone: Zone;
}

/** A loaded, validated map. Immutable by convention; share it across envs. */
export interface MapDefinition {
  /** Map name (file stem or built-in name). */
  name: string;
  /** Where it was loaded from (path or `builtin:<name>`). */
  source: string;
  /** Width of the bounded area, metres (x from 0 to width). */
  width: number;
  /** Height of the bounded area, metres (y from 0 to height). */
  height: number;
  /** Obstacle polygons. */
  obstacles: Obstacle[];
  /** Robot spawn zones. */
  robotSpawnZones: Zone[];
  /** Robot goal zones. */
  robotGoalZones: Zone[];
  /** Pedestrian spawn zones. */
  pedSpawnZones: Zone[];
  /** Pedestrian goal zones. */
  pedGoalZones: Zone[];
  /** Crowded zones where pedestrian groups wander. */
  pedCrowdedZones: Zone[];
  /** Robot routes (for JSON maps also each route reversed, as robot_sf does). */
  robotRoutes: Route[];
  /** Pedestrian routes. */
  pedRoutes: Route[];
  /**
   * Obstacle edges then the 4 map bounds, flat `[n, 4]` as (x1, y1, x2, y2) in
   * metres; zero-length edges removed (robot_sf `obstacles_pysf`).
   */
  segments: Float64Array;
  /** Index of the obstacle owning each segment, -1 for the map bounds. `[n]`. */
  segmentOwner: Int32Array;
  /** Non-fatal problems found while loading (e.g. a route crossing an obstacle). */
  warnings: string[];
}

/** Area of a zone in m² (robot_sf: `dist(a, b) * dist(b, c)`). */
export function zoneArea(zone: Zone): number {
  return Math.hypot(zone.a[0] - zone.b[0], zone.a[1] - zone.b[1]) *
    Math.hypot(zone.b[0] - zone.c[0], zone.b[1] - zone.c[1]);
}

/** Total length of a route's waypoint polyline in metres (0 for one waypoint). */
export function routeLength(route: Route): number {
  let total = 0;
  for (let i = 1; i < route.waypoints.length; i++) {
    const [x0, y0] = route.waypoints[i - 1];
    const [x1, y1] = route.waypoints[i];
    total += Math.hypot(x1 - x0, y1 - y0);
  }
  return total;
}

/**
 * Largest possible goal distance used to normalise the drive state (robot_sf
 * `MapDefinition.max_target_dist`): `sqrt(2) * 2 * max(width, height)`, metres.
 */
export function maxTargetDistance(map: MapDefinition): number {
  return Math.SQRT2 * (Math.max(map.width, map.height) * 2);
}
