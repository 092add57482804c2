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

/**
 * Vertices of a path `d` attribute: M/L/H/V/Z in absolute and relative form (Z adds
 * the start point again);
 * for curves and arcs (C/S/Q/T/A) only the end point of each segment is kept.
 */
function _parsePathData(d: string, fail: (msg: string) => never): Vec2[] {
  const tokens = d.match(/[MmLlHhVvZzCcSsQqTtAa]|[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/g) ?? [];
  const pts: Vec2[] = [];
  let i = 0, cmd = "", x = 0, y = 0, startX = 0, startY = 0;
  const arity: Record<string, number> = { M: 2, L: 2, H: 1, V: 1, C: 6, S: 4, Q: 4, T: 2, A: 7 };
  const num = (): number => {
    const t = tokens[i++];
    if (t === undefined || /[A-Za-z]/.test(t)) fail(`has malformed path data near token ${i}`);
    return Number(t);
  };
  while (i < tokens.length) {
    if (/[A-Za-z]/.test(tokens[i])) cmd = tokens[i++];
    else if (cmd === "") fail("has path data that does not start with a command");
    const upper = cmd.toUpperCase();
    const rel = cmd !== upper;
    if (upper === "Z") {
      x = startX;
      y = startY;
      const prev = pts[pts.length - 1];
      if (prev !== undefined && (prev[0] !== x || prev[1] !== y)) pts.push([x, y]);
      cmd = "";
      continue;
    }
    const args: number[] = [];
    for (let k = 0; k < arity[upper]; k++) args.push(num());
    const ox = rel ? x : 0, oy = rel ? y : 0;
    if (upper === "H") x = args[0] + ox;
    else if (upper === "V") y = args[0] + oy;
    else {
      x = args[args.length - 2] + ox;
      y = args[args.length - 1] + oy;
    }
    pts.push([x, y]);
    if (upper === "M") {
      startX = x;
      startY = y;
      cmd = rel ? "l" : "L"; // implicit lineto after moveto
    }
  }
  return pts;
}

interface _Element {
  tag: "rect" | "path";
  id: string;
  label: string;
  points: Vec2[]; // rect: 4 corners (x,y),(x+w,y),(x+w,y+h),(x,y+h) in user space
}

/**
 * Parse an SVG map document.
 * @throws {MapError} On malformed XML, a missing size, a malformed element or
 * route label.
 */
export function _parseSvg(text: string, name: string, source: string): _RawMap {
  const elements: _Element[] = [];
  const stack: { matrix: Matrix; skip: boolean }[] = [];
  let width = NaN, height = NaN;
  const viewBox: { v: number[] | null } = { v: null };
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
      if (attrs.viewBox) {
        viewBox.v = _numbers(attrs.viewBox);
        if (viewBox.v.length !== 4) fail(`has a malformed viewBox '${attrs.viewBox}'`);
      }
      return;
    }
    if (skip || (local !== "rect" && local !== "path")) return;
    const label = attrs["inkscape:label"] ?? "";
    if (local === "rect") {
      const num = (k: string, dflt?: number): number => {
        const v = attrs[k] === undefined ? dflt : parseFloat(attrs[k]);
        if (v === undefined || !isFinite(v)) fail(`has no valid '${k}' attribute`);
        return v as number;
      };
      const x = num("x", 0), y = num("y", 0), w = num("width"), h = num("height");
      if (label !== "" && !(w > 0 && h > 0)) fail(`('${label}') has zero width or height`);
      elements.push({
        tag: "rect",
        id,
        label,
        points: [[x, y], [x + w, y], [x + w, y + h], [x, y + h]].map(([px, py]) =>
          _apply(matrix, px, py)
        ),
      });
    } else {
      const d = attrs.d;
      if (!d) return;
      elements.push({
        tag: "path",
        id,
        label,
        points: _parsePathData(d, fail).map(([px, py]) => _apply(matrix, px, py)),
      });
    }
  });
  parser.on("closetag", () => {
    stack.pop();
  });
  parser.write(text).close();

  let minX = 0, minY = 0;
  if (viewBox.v !== null) {
    [minX, minY, width, height] = viewBox.v;
  }
  if (!(width > 0 && height > 0)) {
    throw new MapError("SVG root needs a positive width and height or a viewBox", { source });
  }
  const toWorld = (p: Vec2): Vec2 => [p[0] - minX, minY + height - p[1]];

  const obstacles: Obstacle[] = [];
  const robotSpawnZones: Zone[] = [], robotGoalZones: Zone[] = [];
  const pedSpawnZones: Zone[] = [], pedGoalZones: Zone[] = [], pedCrowdedZones: Zone[] = [];
  const robotRoutes: _RawRoute[] = [], pedRoutes: _RawRoute[] = [];
  const extraBounds: [number, number, number, number][] = [];
  const warnings: string[] = [];
  const zoneOf = (e: _Element, pts: Vec2[]): Zone => ({
    id: e.id,
    a: pts[0],
    b: pts[1],
    c: pts[2],
  });

  for (const e of elements) {
    const pts = e.points.map(toWorld);
    if (e.tag === "rect") {
      switch (e.label) {
        case "obstacle":
          obstacles.push({ id: e.id, vertices: pts });
          break;
        case "robot_spawn_zone":
          robotSpawnZones.push(zoneOf(e, pts));
          break;
        case "robot_goal_zone":
          robotGoalZones.push(zoneOf(e, pts));
          break;
        case "ped_spawn_zone":
          pedSpawnZones.push(zoneOf(e, pts));
          break;
        case "ped_goal_zone":
          pedGoalZones.push(zoneOf(e, pts));
          break;
        case "ped_crowded_zone":
          pedCrowdedZones.push(zoneOf(e, pts));
          break;
        case "bound":
          for (let k = 0; k < 4; k++) {
            const p = pts[k], q = pts[(k + 1) % 4];
            extraBounds.push([p[0], p[1], q[0], q[1]]);
          }
          break;
        default:
          // Decorative rects without a simulation label are ignored, as in robot_sf.
          break;
      }
      continue;
    }
    const label = e.label;
    if (label.includes("ped_route") || label.includes("robot_route")) {
      const nums = label.match(/\d+/g);
      if (nums === null || nums.length < 2) {
        throw new MapError(
          `Route path '${e.id}' label '${label}' must name spawn and goal zones as <kind>_route_<spawn>_<goal>`,
          { source, element: e.id },
        );
      }
      if (pts.length === 0) {
        throw new MapError(`Route path '${e.id}' has no points`, { source, element: e.id });
      }
      const route = {
        id: `${e.id} (${label})`,
        spawnId: Number(nums[0]),
        goalId: Number(nums[1]),
        waypoints: pts,
      };
      (label.includes("ped_route") ? pedRoutes : robotRoutes).push(route);
    } else if (label === "obstacle") {
      const closed = pts.length > 1 && pts[0][0] === pts[pts.length - 1][0] &&
        pts[0][1] === pts[pts.length - 1][1];
      obstacles.push({ id: e.id, vertices: closed ? pts.slice(0, -1) : pts });
    } else if (label === "crowded_zone") {
      if (pts.length < 3) {
        throw new MapError(`Crowded zone path '${e.id}' needs at least 3 points`, {
          source,
          element: e.id,
        });
      }
      pedCrowdedZones.push(zoneOf(e, pts));
    } else {
      warnings.push(`Path '${e.id}' with label '${label}' is not a map element and was ignored`);
    }
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
