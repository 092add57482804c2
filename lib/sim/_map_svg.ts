/**
 * Parser for robot_sf's Inkscape SVG maps (robot_sf `nav/svg_map_parser.py`):
 * `rect`s labelled (inkscape:label) obstacle, robot_spawn_zone, robot_goal_zone,
 * ped_spawn_zone, ped_goal_zone, ped_crowded_zone, bound; `path`s labelled
 * obstacle, crowded_zone, `robot_route_<spawn>_<goal>`, `ped_route_<spawn>_<goal>`.
 *
 * Coordinates: SVG user units are metres. The map frame is the viewBox (or
 * 0..width, 0..height without one) with y flipped so that y points up:
 * `x_world = x - minX`, `y_world = minY + viewBoxHeight - y`. `transform`
 * attributes on elements and their groups are applied. Private to `lib/sim`.
 *
 * @module
 */
import { SaxesParser } from "saxes";
import type { Vec2 } from "./_geometry.ts";
import type { _RawMap, _RawRoute } from "./_map_build.ts";
import { MapError, type Obstacle, type Zone } from "./map_definition.ts";

type Matrix = [number, number, number, number, number, number];
const IDENTITY: Matrix = [1, 0, 0, 1, 0, 0];
const SKIPPED = new Set(["defs", "clipPath", "mask", "pattern", "symbol", "marker", "metadata"]);

function _mul(m: Matrix, n: Matrix): Matrix {
  return [
    m[0] * n[0] + m[2] * n[1],
    m[1] * n[0] + m[3] * n[1],
    m[0] * n[2] + m[2] * n[3],
    m[1] * n[2] + m[3] * n[3],
    m[0] * n[4] + m[2] * n[5] + m[4],
    m[1] * n[4] + m[3] * n[5] + m[5],
  ];
}

function _apply(m: Matrix, x: number, y: number): Vec2 {
  return [m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]];
}

const NUMBER = /[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/g;

function _numbers(s: string): number[] {
  return (s.match(NUMBER) ?? []).map(Number);
}

/** Parse an SVG `transform` list into one matrix. */
function _parseTransform(text: string, fail: (msg: string) => never): Matrix {
  let m = IDENTITY;
  const re = /(matrix|translate|scale|rotate|skewX|skewY)\s*\(([^)]*)\)/g;
  let match: RegExpExecArray | null;
  let consumed = 0;
  while ((match = re.exec(text)) !== null) {
    consumed++;
    const a = _numbers(match[2]);
    let t: Matrix;
    switch (match[1]) {
      case "matrix":
        if (a.length !== 6) fail(`has a matrix() transform without 6 numbers`);
        t = a as Matrix;
        break;
      case "translate":
        t = [1, 0, 0, 1, a[0] ?? 0, a[1] ?? 0];
        break;
      case "scale":
        t = [a[0] ?? 1, 0, 0, a[1] ?? a[0] ?? 1, 0, 0];
        break;
      case "rotate": {
        const r = ((a[0] ?? 0) * Math.PI) / 180;
        const cx = a[1] ?? 0, cy = a[2] ?? 0;
        const cos = Math.cos(r), sin = Math.sin(r);
        t = _mul(_mul([1, 0, 0, 1, cx, cy], [cos, sin, -sin, cos, 0, 0]), [1, 0, 0, 1, -cx, -cy]);
        break;
      }
      case "skewX":
        t = [1, 0, Math.tan(((a[0] ?? 0) * Math.PI) / 180), 1, 0, 0];
        break;
      default:
        t = [1, Math.tan(((a[0] ?? 0) * Math.PI) / 180), 0, 1, 0, 0];
    }
    m = _mul(m, t);
  }
  if (consumed === 0 && text.trim() !== "") fail(`has an unreadable transform '${text}'`);
  return m;
}

/** Largest distance between samples of a flattened curve or arc, metres (robot_sf `_CURVE_MAX_STEP`). */
const CURVE_MAX_STEP = 0.75;

/** Sample count for a curve whose control polygon is `length` long (robot_sf `_estimate_segment_count`). */
function _segmentCount(length: number, min = 2, max = 256): number {
  if (length <= 0) return min;
  return Math.max(min, Math.min(max, Math.ceil(length / CURVE_MAX_STEP)));
}

function _dist(p: Vec2, q: Vec2): number {
  return Math.hypot(p[0] - q[0], p[1] - q[1]);
}

/** Cubic Bézier samples at t = i/n, i = 1..n (start excluded). */
function _cubic(p0: Vec2, p1: Vec2, p2: Vec2, p3: Vec2): Vec2[] {
  const n = _segmentCount(_dist(p0, p1) + _dist(p1, p2) + _dist(p2, p3));
  const out: Vec2[] = [];
  for (let i = 1; i <= n; i++) {
    const t = i / n, s = 1 - t;
    const a = s * s * s, b = 3 * s * s * t, c = 3 * s * t * t, d = t * t * t;
    out.push([
      a * p0[0] + b * p1[0] + c * p2[0] + d * p3[0],
      a * p0[1] + b * p1[1] + c * p2[1] + d * p3[1],
    ]);
  }
  return out;
}

/** Quadratic Bézier samples at t = i/n, i = 1..n (start excluded). */
function _quadratic(p0: Vec2, p1: Vec2, p2: Vec2): Vec2[] {
  const n = _segmentCount(_dist(p0, p1) + _dist(p1, p2));
  const out: Vec2[] = [];
  for (let i = 1; i <= n; i++) {
    const t = i / n, s = 1 - t;
    out.push([
      s * s * p0[0] + 2 * s * t * p1[0] + t * t * p2[0],
      s * s * p0[1] + 2 * s * t * p1[1] + t * t * p2[1],
    ]);
  }
  return out;
}

/**
 * Elliptical arc samples (start excluded, exact end point last), by the endpoint-to-centre
 * conversion of the SVG 1.1 specification, appendix F.6.5 (as robot_sf `_sample_arc_segment`).
 */
function _arc(
  start: Vec2,
  end: Vec2,
  rxIn: number,
  ryIn: number,
  rotationDeg: number,
  largeArc: boolean,
  sweep: boolean,
): Vec2[] {
  if (_dist(start, end) <= 1e-12) return [];
  let rx = Math.abs(rxIn), ry = Math.abs(ryIn);
  if (rx <= 1e-12 || ry <= 1e-12) return [end];
  const phi = (((rotationDeg % 360) + 360) % 360) * Math.PI / 180;
  const cosPhi = Math.cos(phi), sinPhi = Math.sin(phi);
  const dx2 = (start[0] - end[0]) / 2, dy2 = (start[1] - end[1]) / 2;
  const x1p = cosPhi * dx2 + sinPhi * dy2;
  const y1p = -sinPhi * dx2 + cosPhi * dy2;
  const lambda = (x1p * x1p) / (rx * rx) + (y1p * y1p) / (ry * ry);
  if (lambda > 1) {
    rx *= Math.sqrt(lambda);
    ry *= Math.sqrt(lambda);
  }
  const num = rx * rx * ry * ry - rx * rx * y1p * y1p - ry * ry * x1p * x1p;
  const den = rx * rx * y1p * y1p + ry * ry * x1p * x1p;
  if (den <= 1e-18) return [end];
  const coef = (largeArc === sweep ? -1 : 1) * Math.sqrt(Math.max(0, num / den));
  const cxp = coef * (rx * y1p / ry), cyp = coef * (-ry * x1p / rx);
  const cx = cosPhi * cxp - sinPhi * cyp + (start[0] + end[0]) / 2;
  const cy = sinPhi * cxp + cosPhi * cyp + (start[1] + end[1]) / 2;
  const ux = (x1p - cxp) / rx, uy = (y1p - cyp) / ry;
  const vx = (-x1p - cxp) / rx, vy = (-y1p - cyp) / ry;
  const theta1 = Math.atan2(uy, ux);
  let delta = Math.atan2(ux * vy - uy * vx, ux * vx + uy * vy);
  if (!sweep && delta > 0) delta -= 2 * Math.PI;
  else if (sweep && delta < 0) delta += 2 * Math.PI;
  if (Math.abs(delta) <= 1e-12) return [end];
  const n = _segmentCount(Math.abs(delta) * Math.max(rx, ry));
  const out: Vec2[] = [];
  for (let i = 1; i <= n; i++) {
    const th = theta1 + delta * i / n;
    out.push([
      cx + cosPhi * rx * Math.cos(th) - sinPhi * ry * Math.sin(th),
      cy + sinPhi * rx * Math.cos(th) + cosPhi * ry * Math.sin(th),
    ]);
  }
  out[n - 1] = end;
  return out;
}

const PATH_TOKEN = /[AaCcHhLlMmQqSsTtVvZz]|[-+]?(?:\d+\.\d+|\d+|\.\d+|\d+\.)(?:[eE][-+]?\d+)?/g;

/**
 * Vertices of a path `d` attribute, as robot_sf's `_parse_path_coordinates`: absolute and
 * relative `M L H V C S Q T A Z`; curves and arcs are flattened into samples at most
 * {@linkcode CURVE_MAX_STEP} apart along their control polygon (2..256 per segment); `Z`
 * adds the subpath start again; a point equal (within 1e-9) to the previous one is skipped.
 */
function _parsePathData(d: string, fail: (msg: string) => never): Vec2[] {
  const tokens = d.match(PATH_TOKEN) ?? [];
  const pts: Vec2[] = [];
  const push = (p: Vec2): void => {
    const last = pts[pts.length - 1];
    if (last === undefined || _dist(last, p) > 1e-9) pts.push(p);
  };
  const isCmd = (t: string | undefined): boolean => t !== undefined && /^[A-Za-z]$/.test(t);
  let i = 0, cmd = "";
  let cur: Vec2 = [0, 0];
  let start: Vec2 | null = null;
  let lastCubic: Vec2 | null = null, lastQuad: Vec2 | null = null;
  const num = (): number => {
    const t = tokens[i];
    if (t === undefined || isCmd(t)) fail(`has malformed path data near token ${i + 1}`);
    i++;
    return Number(t);
  };
  const flag = (): boolean => {
    // Two flags may be written together ("01"), as robot_sf `_split_arc_flag_token` accepts.
    const t = tokens[i];
    if (t !== undefined && t.length === 2 && /^[01]{2}$/.test(t)) tokens.splice(i, 1, t[0], t[1]);
    return num() >= 0.5;
  };
  const reflect = (c: Vec2 | null): Vec2 =>
    c === null ? cur : [2 * cur[0] - c[0], 2 * cur[1] - c[1]];
  const more = (): boolean => i < tokens.length && !isCmd(tokens[i]);
  while (i < tokens.length) {
    if (isCmd(tokens[i])) {
      cmd = tokens[i++];
      if (cmd === "Z" || cmd === "z") {
        if (start !== null) {
          push(start);
          cur = start;
        }
        cmd = "";
        lastCubic = lastQuad = null;
        continue;
      }
    }
    if (cmd === "") fail("has path data that does not start with a command");
    const rel = cmd === cmd.toLowerCase();
    const at = (x: number, y: number): Vec2 => rel ? [cur[0] + x, cur[1] + y] : [x, y];
    const up = cmd.toUpperCase();
    if (up === "M" || up === "L") {
      do {
        cur = at(num(), num());
        push(cur);
        if (cmd === "M" || cmd === "m") {
          start = cur;
          cmd = rel ? "l" : "L"; // further pairs are implicit lineto
        }
      } while (more());
      lastCubic = lastQuad = null;
    } else if (up === "H" || up === "V") {
      do {
        const v = num();
        cur = up === "H" ? [rel ? cur[0] + v : v, cur[1]] : [cur[0], rel ? cur[1] + v : v];
        push(cur);
      } while (more());
      lastCubic = lastQuad = null;
    } else if (up === "C" || up === "S") {
      do {
        const p1: Vec2 = up === "C" ? at(num(), num()) : reflect(lastCubic);
        const p2 = at(num(), num());
        const p3 = at(num(), num());
        for (const p of _cubic(cur, p1, p2, p3)) push(p);
        cur = p3;
        lastCubic = p2;
        lastQuad = null;
      } while (more());
    } else if (up === "Q" || up === "T") {
      do {
        const p1: Vec2 = up === "Q" ? at(num(), num()) : reflect(lastQuad);
        const p2 = at(num(), num());
        for (const p of _quadratic(cur, p1, p2)) push(p);
        cur = p2;
        lastQuad = p1;
        lastCubic = null;
      } while (more());
    } else if (up === "A") {
      do {
        const rx = num(), ry = num(), rot = num();
        const large = flag(), sw = flag();
        const end = at(num(), num());
        for (const p of _arc(cur, end, rx, ry, rot, large, sw)) push(p);
        cur = end;
        lastCubic = lastQuad = null;
      } while (more());
    } else {
      fail(`has an unsupported path command '${cmd}'`);
    }
  }
  return pts;
}

interface _Element {
  tag: "rect" | "path" | "circle";
  id: string;
  /** robot_sf's label: `inkscape:label`, else (rect, path) the id; circles also the class. */
  label: string;
  /** rect: 4 corners (x,y),(x+w,y),(x+w,y+h),(x,y+h); path: vertices; circle: centre. */
  points: Vec2[];
}

/** Zone kinds that rects (by label or id, optionally indexed `_N`) can name. */
const ZONE_KINDS = ["robot_spawn_zone", "robot_goal_zone", "ped_spawn_zone", "ped_goal_zone"];
const INDEXED_ZONE = /^(robot_spawn_zone|ped_spawn_zone|robot_goal_zone|ped_goal_zone)_(\d+)$/;

/** Side of the square zone derived from a route end point when a map has no zones of that kind, m. */
export const ROUTE_ONLY_ZONE_EDGE = 1.0;
/** Side of the square zone made for a route naming a zone index the map lacks, m. */
export const INDEX_FALLBACK_ZONE_EDGE = 0.1;

/**
 * Zone kind and optional index of a rect, as robot_sf `_parse_zone_index`: the label, then the
 * id, is tried first for `<kind>_<N>`, then for a bare `<kind>`.
 */
function _zoneIndex(
  label: string | undefined,
  id: string | undefined,
): [string, number | null] | null {
  const candidates = [label, id].filter((v): v is string => v !== undefined && v !== "");
  for (const v of candidates) {
    const m = INDEXED_ZONE.exec(v);
    if (m !== null) return [m[1], Number(m[2])];
  }
  for (const v of candidates) if (ZONE_KINDS.includes(v)) return [v, null];
  return null;
}

/** Collects the rect, path and circle elements of an SVG document with their transforms applied. */
function _collectElements(
  text: string,
  source: string,
): {
  elements: (_Element & { zone: [string, number | null] | null })[];
  width: number;
  height: number;
  viewBox: number[] | null;
} {
  const elements: (_Element & { zone: [string, number | null] | null })[] = [];
  const stack: { matrix: Matrix; skip: boolean }[] = [];
  let width = NaN, height = NaN;
  let viewBox: number[] | null = null;
  let counter = 0;
  const parser = new SaxesParser({ position: true });
  parser.on("error", (err) => {
    throw new MapError(`Malformed SVG: ${err.message}`, { source });
  });
  parser.on("opentag", (tag) => {
    const attrs = tag.attributes as Record<string, string>;
    const parent = stack.length > 0 ? stack[stack.length - 1] : { matrix: IDENTITY, skip: false };
    const local = tag.name.includes(":") ? tag.name.split(":")[1] : tag.name;
    const id = attrs.id ?? `${local}#${++counter}`;
    const fail = (msg: string): never => {
      throw new MapError(`Element '${id}' ${msg}`, { source, element: id });
    };
    const matrix = attrs.transform
      ? _mul(parent.matrix, _parseTransform(attrs.transform, fail))
      : parent.matrix;
    const skip = parent.skip || SKIPPED.has(local);
    stack.push({ matrix, skip });
    if (local === "svg" && stack.length === 1) {
      width = parseFloat(attrs.width ?? "");
      height = parseFloat(attrs.height ?? "");
      const vb = attrs.viewBox ?? attrs.viewbox;
      if (vb) {
        viewBox = _numbers(vb);
        if (viewBox.length !== 4) fail(`has a malformed viewBox '${vb}'`);
      }
      return;
    }
    if (skip || (local !== "rect" && local !== "path" && local !== "circle")) return;
    const inkLabel = attrs["inkscape:label"];
    const num = (k: string, dflt?: number): number => {
      const v = attrs[k] === undefined ? dflt : parseFloat(attrs[k]);
      if (v === undefined || !isFinite(v)) fail(`has no valid '${k}' attribute`);
      return v as number;
    };
    if (local === "rect") {
      const label = inkLabel || attrs.id || "";
      const zone = _zoneIndex(inkLabel, attrs.id);
      const x = num("x", 0), y = num("y", 0), w = num("width"), h = num("height");
      const meaningful = zone !== null || ["obstacle", "bound", "ped_crowded_zone"].includes(label);
      if (meaningful && !(w > 0 && h > 0)) fail(`('${label}') has zero width or height`);
      const corners: Vec2[] = [[x, y], [x + w, y], [x + w, y + h], [x, y + h]];
      elements.push({
        tag: "rect",
        id,
        label,
        zone,
        points: corners.map(([px, py]) => _apply(matrix, px, py)),
      });
    } else if (local === "path") {
      const d = attrs.d;
      if (!d) return;
      elements.push({
        tag: "path",
        id,
        label: inkLabel ?? attrs.id ?? "",
        zone: null,
        points: _parsePathData(d, fail).map(([px, py]) => _apply(matrix, px, py)),
      });
    } else {
      elements.push({
        tag: "circle",
        id,
        label: inkLabel || attrs.class || attrs.id || "",
        zone: null,
        points: [_apply(matrix, num("cx", 0), num("cy", 0))],
      });
    }
  });
  parser.on("closetag", () => {
    stack.pop();
  });
  parser.write(text).close();
  return { elements, width, height, viewBox };
}

/**
 * Orders the zones of one kind as robot_sf `_assemble_zones`: indexed zones at their index,
 * gaps filled with unindexed zones in file order, the remaining unindexed zones appended.
 * A repeated index keeps the first zone and adds a warning.
 * @throws {MapError} When an index below the largest one is missing and no unindexed zone can fill it.
 */
function _assembleZones(
  kind: string,
  indexed: Map<number, Zone>,
  unindexed: Zone[],
  source: string,
): Zone[] {
  if (indexed.size === 0) return [...unindexed];
  const rest = [...unindexed];
  const out: Zone[] = [];
  const max = Math.max(...indexed.keys());
  for (let k = 0; k <= max; k++) {
    const z = indexed.get(k) ?? rest.shift();
    if (z === undefined) {
      throw new MapError(
        `Zone '${kind}_${k}' is missing: indexed ${kind} labels must count from 0 without gaps ` +
          `(highest is ${kind}_${max}) unless unlabelled '${kind}' rects fill them`,
        { source, element: `${kind}_${k}` },
      );
    }
    out.push(z);
  }
  return [...out, ...rest];
}

/** Square zone of side `edge` with corner `a` at the point, as robot_sf `_synthetic_zone_from_waypoint`. */
function _syntheticZone(id: string, p: Vec2, edge: number): Zone {
  return { id, a: p, b: [p[0] + edge, p[1]], c: [p[0] + edge, p[1] + edge] };
}

/** Centre of a parallelogram zone: `b + (a - b) / 2 + (c - b) / 2`. */
function _zoneCentre(z: Zone): Vec2 {
  return [(z.a[0] + z.c[0]) / 2, (z.a[1] + z.c[1]) / 2];
}

/**
 * Parse an SVG map document with robot_sf's labelling rules (`nav/svg_map_parser.py`).
 * @throws {MapError} On malformed XML, a missing size, a malformed element or
 * route label; the message names the element and the rule.
 */
export function _parseSvg(text: string, name: string, source: string): _RawMap {
  const doc = _collectElements(text, source);
  let { width, height } = doc;
  let minX = 0, minY = 0;
  if (doc.viewBox !== null) {
    [minX, minY] = doc.viewBox;
    width = doc.viewBox[2];
    height = doc.viewBox[3];
  }
  if (!(width > 0 && height > 0)) {
    throw new MapError("SVG root needs a positive width and height or a viewBox", { source });
  }
  const toWorld = (p: Vec2): Vec2 => [p[0] - minX, minY + height - p[1]];

  const obstacles: Obstacle[] = [];
  const pedCrowdedZones: Zone[] = [];
  const extraBounds: [number, number, number, number][] = [];
  const warnings: string[] = [];
  const ignored = new Map<string, string[]>();
  const ignore = (why: string, e: _Element): void => {
    const list = ignored.get(why) ?? [];
    list.push(
      e.label === e.id || e.label === ""
        ? `${e.tag} '${e.id}'`
        : `${e.tag} '${e.id}' ('${e.label}')`,
    );
    ignored.set(why, list);
  };
  const indexed = new Map<string, Map<number, Zone>>(ZONE_KINDS.map((k) => [k, new Map()]));
  const unindexed = new Map<string, Zone[]>(ZONE_KINDS.map((k) => [k, []]));
  const zoneOf = (e: _Element, pts: Vec2[]): Zone => ({
    id: e.id,
    a: pts[0],
    b: pts[1],
    c: pts[2],
  });
  const routePaths: { e: _Element; pts: Vec2[]; ped: boolean }[] = [];

  for (const e of doc.elements) {
    const pts = e.points.map(toWorld);
    if (e.tag === "rect") {
      if (e.zone !== null) {
        const [kind, index] = e.zone;
        if (index === null) unindexed.get(kind)!.push(zoneOf(e, pts));
        else if (indexed.get(kind)!.has(index)) {
          warnings.push(
            `Zone rect '${e.id}' repeats ${kind} index ${index}; the first one is kept`,
          );
        } else indexed.get(kind)!.set(index, zoneOf(e, pts));
        continue;
      }
      if (e.label === "obstacle") obstacles.push({ id: e.id, vertices: pts });
      else if (e.label === "ped_crowded_zone") pedCrowdedZones.push(zoneOf(e, pts));
      else if (e.label === "bound") {
        for (let k = 0; k < 4; k++) {
          const p = pts[k], q = pts[(k + 1) % 4];
          extraBounds.push([p[0], p[1], q[0], q[1]]);
        }
      } else ignore("rects without a map label", e);
    } else if (e.tag === "circle") {
      if (e.label.startsWith("single_ped_")) ignore("single-pedestrian markers (not simulated)", e);
      else ignore("circles (points of interest and decorations)", e);
    } else if (e.label.startsWith("semantic_boundary_")) {
      ignore("semantic boundaries (not simulated)", e);
    } else if (e.label.includes("ped_route") || e.label.includes("robot_route")) {
      routePaths.push({ e, pts, ped: e.label.includes("ped_route") });
    } else if (e.label === "obstacle") {
      if (pts.length < 2) {
        throw new MapError(
          `Obstacle path '${e.id}' has ${pts.length} point(s); an obstacle needs at least 2`,
          { source, element: e.id },
        );
      }
      const closed = pts.length > 2 && _same(pts[0], pts[pts.length - 1]);
      obstacles.push({ id: e.id, vertices: closed ? pts.slice(0, -1) : pts });
    } else if (e.label === "crowded_zone") {
      if (pts.length < 3) {
        throw new MapError(`Crowded zone path '${e.id}' needs at least 3 points`, {
          source,
          element: e.id,
        });
      }
      pedCrowdedZones.push(zoneOf(e, pts));
    } else {
      ignore("paths with labels that are not map elements", e);
    }
  }
  for (const [why, list] of ignored) {
    const shown = list.slice(0, 12).join(", ");
    const more = list.length > 12 ? ` and ${list.length - 12} more` : "";
    warnings.push(`Ignored ${list.length} ${why}: ${shown}${more}`);
  }

  const zones = (kind: string): Zone[] =>
    _assembleZones(kind, indexed.get(kind)!, unindexed.get(kind)!, source);
  const robotSpawnZones = zones("robot_spawn_zone"), robotGoalZones = zones("robot_goal_zone");
  const pedSpawnZones = zones("ped_spawn_zone"), pedGoalZones = zones("ped_goal_zone");
  const robotRoutes: _RawRoute[] = [], pedRoutes: _RawRoute[] = [];
  for (const { e, pts, ped } of routePaths) {
    const route = _route(
      e,
      pts,
      ped ? pedSpawnZones : robotSpawnZones,
      ped ? pedGoalZones : robotGoalZones,
      ped ? "pedestrian" : "robot",
      source,
      warnings,
    );
    (ped ? pedRoutes : robotRoutes).push(route);
  }
  if (robotRoutes.length === 0 && robotSpawnZones.length > 0 && robotGoalZones.length > 0) {
    // robot_sf `_ensure_robot_routes`: a straight route between every spawn and goal zone.
    robotSpawnZones.forEach((s, si) =>
      robotGoalZones.forEach((g, gi) =>
        robotRoutes.push({
          id: `straight route ${s.id} -> ${g.id}`,
          spawnId: si,
          goalId: gi,
          waypoints: [_zoneCentre(s), _zoneCentre(g)],
        })
      )
    );
    warnings.push(
      `Map has no robot route: made ${robotRoutes.length} straight route(s) between the robot spawn and goal zone centres`,
    );
  }
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
    robotRoutes,
    pedRoutes,
    reverseRobotRoutes: false,
    extraBounds,
    warnings,
  };
}

function _same(p: Vec2, q: Vec2): boolean {
  return p[0] === q[0] && p[1] === q[1];
}

/**
 * A route path as robot_sf `_process_route_path`: the first two numbers in the label are the
 * spawn and goal zone indices (none: 0 and 0). Without zones of the route's kind (route-only
 * maps) each end gets a {@linkcode ROUTE_ONLY_ZONE_EDGE} square zone at its end point; an index
 * the map lacks gets an {@linkcode INDEX_FALLBACK_ZONE_EDGE} square there, with a warning.
 * @throws {MapError} When the label has exactly one number or the path has fewer than 2 points.
 */
function _route(
  e: _Element,
  pts: Vec2[],
  spawnZones: Zone[],
  goalZones: Zone[],
  kind: string,
  source: string,
  warnings: string[],
): _RawRoute {
  const id = `${e.id} (${e.label})`;
  const nums = e.label.match(/\d+/g) ?? [];
  if (nums.length === 1) {
    throw new MapError(
      `Route path '${e.id}' label '${e.label}' has one number; a route label names both zones as ` +
        `<kind>_route_<spawn>_<goal> (or neither, meaning zones 0 and 0)`,
      { source, element: id },
    );
  }
  if (pts.length < 2) {
    throw new MapError(
      `Route path '${e.id}' ('${e.label}') has ${pts.length} point(s); a route needs at least 2`,
      { source, element: id },
    );
  }
  const spawnId = nums.length === 0 ? 0 : Number(nums[0]);
  const goalId = nums.length === 0 ? 0 : Number(nums[1]);
  const routeOnly = spawnZones.length === 0 && goalZones.length === 0;
  const zone = (zones: Zone[], index: number, p: Vec2, which: string): Zone | undefined => {
    if (index < zones.length) return undefined; // resolved by index when the map is built
    if (routeOnly) return _syntheticZone(`${e.id} ${which} end`, p, ROUTE_ONLY_ZONE_EDGE);
    warnings.push(
      `Route '${id}' names ${kind} ${which} zone ${index} but the map has ${zones.length}; ` +
        `a ${INDEX_FALLBACK_ZONE_EDGE} m zone at the route's ${
          which === "spawn" ? "first" : "last"
        } point is used`,
    );
    return _syntheticZone(`${e.id} ${which} end`, p, INDEX_FALLBACK_ZONE_EDGE);
  };
  return {
    id,
    spawnId,
    goalId,
    waypoints: pts,
    spawnZone: zone(spawnZones, spawnId, pts[0], "spawn"),
    goalZone: zone(goalZones, goalId, pts[pts.length - 1], "goal"),
  };
}
