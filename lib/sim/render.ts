/**
 * Pictures of maps and episodes as SVG text: obstacles, zones, routes, and the
 * robot's and pedestrians' trajectories. {@linkcode recordEpisode} runs one
 * episode with any action provider (random, or a trained policy).
 *
 * @module
 */
import type { MapDefinition, Zone } from "./map_definition.ts";
import type { Observation, RobotEnv } from "./robot_env.ts";

/**
 * Chooses the next action: write `[2]` values into `action` (clipped by the
 * env). May be async (e.g. an ONNX Runtime session).
 */
export type ActionProvider = (
  observation: Observation,
  action: Float32Array,
  step: number,
) => void | Promise<void>;

/** One recorded episode. */
export interface EpisodeRecording {
  /** The map. */
  map: MapDefinition;
  /** Robot positions per step (including the start), flat `[steps + 1, 2]`, m. */
  robot: Float64Array;
  /** Robot headings per step (including the start), `[steps + 1]`, rad. */
  headings: Float64Array;
  /**
   * LiDAR ranges per step as the policy sees them (latest scan, m), flat
   * `[steps + 1, rays]`, when recorded (`rays: true`), else null.
   */
  rays: Float32Array | null;
  /** Angle of ray k relative to the heading: `rayStart + k rayStep`, rad. */
  rayStart: number;
  /** See {@linkcode EpisodeRecording.rayStart}. */
  rayStep: number;
  /** Simulation step, s. */
  timeStep: number;
  /** Robot radius, m. */
  robotRadius: number;
  /** Pedestrian positions per step, flat `[steps + 1, peds, 2]`, m. */
  pedestrians: Float64Array;
  /** Number of pedestrians. */
  pedestrianCount: number;
  /** Pedestrian radius, m. */
  pedestrianRadius: number;
  /** The robot's route (waypoints, the last is the goal). */
  route: [number, number][];
  /** Goal radius, m. */
  goalRadius: number;
  /** Steps taken. */
  steps: number;
  /** Sum of rewards. */
  totalReward: number;
  /** How it ended: "goal", "pedestrian collision", "obstacle collision", "time limit" or "step limit". */
  outcome: string;
}

/**
 * Run one episode from a reset and record every position.
 * @param env The env (reset here).
 * @param act Action provider.
 * @param options `seed` for the reset, `maxSteps` to stop early.
 * @returns The recording.
 */
export async function recordEpisode(
  env: RobotEnv,
  act: ActionProvider,
  options: { seed?: number; maxSteps?: number; rays?: boolean } = {},
): Promise<EpisodeRecording> {
  const { observation } = env.reset(options.seed);
  const limit = options.maxSteps ?? Infinity;
  const peds = env.pedestrians;
  const robot: number[] = [env.robot.x, env.robot.y];
  const headings: number[] = [env.robot.theta];
  const lidar = env.settings.lidar, n = lidar.rays;
  const rays: number[] = [];
  const pedPos: number[] = [];
  const snap = () => {
    for (let i = 0; i < peds.count; i++) pedPos.push(peds.px[i], peds.py[i]);
    if (options.rays) {
      const last = observation.rays.length - n;
      for (let k = 0; k < n; k++) rays.push(observation.rays[last + k] * lidar.maxRange);
    }
  };
  snap();
  const route = env.route;
  const action = new Float32Array(2);
  let steps = 0, total = 0, outcome = "step limit";
  while (steps < limit) {
    await act(observation, action, steps);
    const r = env.step(action);
    steps++;
    total += r.reward;
    robot.push(env.robot.x, env.robot.y);
    headings.push(env.robot.theta);
    snap();
    if (r.terminated || r.truncated) {
      outcome = r.info.is_pedestrian_collision
        ? "pedestrian collision"
        : r.info.is_obstacle_collision
        ? "obstacle collision"
        : r.info.is_success
        ? "goal"
        : "time limit";
      break;
    }
  }
  return {
    map: env.map,
    robot: Float64Array.from(robot),
    headings: Float64Array.from(headings),
    rays: options.rays ? Float32Array.from(rays) : null,
    rayStart: -Math.PI * lidar.visualAnglePortion,
    rayStep: (2 * Math.PI * lidar.visualAnglePortion) / n,
    timeStep: env.settings.timeStep,
    robotRadius: env.robot.radius,
    pedestrians: Float64Array.from(pedPos),
    pedestrianCount: peds.count,
    pedestrianRadius: env.settings.pedestrians.radius,
    route,
    goalRadius: env.settings.goalRadius,
    steps,
    totalReward: total,
    outcome,
  };
}

/** Options of the SVG renderers. */
export interface RenderOptions {
  /** Pixels per metre; by default chosen so the picture is about 1200 px wide. */
  scale?: number;
  /** Title drawn above the map. @default the map name */
  title?: string;
}

const ZONE_STYLE: [keyof MapDefinition, string][] = [
  ["pedCrowdedZones", "#b07cd8"],
  ["pedSpawnZones", "#23ff00"],
  ["pedGoalZones", "#107400"],
  ["robotSpawnZones", "#ffdf00"],
  ["robotGoalZones", "#ff6c00"],
];

/** Number formatting of the SVG renderers (2 decimals). */
export function _fmt(v: number): string {
  return (Math.round(v * 100) / 100).toString();
}

/** XML text escaping. */
export function _escape(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Drawing state: map, pixels per metre, title band. */
export class _Canvas {
  parts: string[] = [];
  title = "";
  constructor(readonly map: MapDefinition, readonly scale: number, readonly top: number) {}
  x(v: number) {
    return _fmt(v * this.scale);
  }
  y(v: number) {
    return _fmt(this.top + (this.map.height - v) * this.scale);
  }
  points(pts: Iterable<[number, number]>): string {
    const out: string[] = [];
    for (const [x, y] of pts) out.push(`${this.x(x)},${this.y(y)}`);
    return out.join(" ");
  }
}

/** Draw the map (background, zones, obstacles, routes). */
export function _drawMap(c: _Canvas, title: string) {
  const m = c.map, s = c.scale;
  c.title = title;
  c.parts.push(
    `<rect x="0" y="${_fmt(c.top)}" width="${_fmt(m.width * s)}" height="${
      _fmt(m.height * s)
    }" fill="#fafafa" stroke="#000" stroke-width="1"/>`,
  );
  for (const [key, color] of ZONE_STYLE) {
    for (const z of m[key] as Zone[]) {
      const d: [number, number] = [z.a[0] + z.c[0] - z.b[0], z.a[1] + z.c[1] - z.b[1]];
      c.parts.push(
        `<polygon points="${
          c.points([z.a, z.b, z.c, d])
        }" fill="${color}" fill-opacity="0.35" stroke="${color}"><title>${
          _escape(z.id)
        }</title></polygon>`,
      );
    }
  }
  for (const o of m.obstacles) {
    c.parts.push(
      `<polygon points="${
        c.points(o.vertices)
      }" fill="#333" stroke="#000" stroke-width="0.5"><title>${_escape(o.id)}</title></polygon>`,
    );
  }
  for (const r of m.pedRoutes) {
    c.parts.push(
      `<polyline points="${
        c.points(r.waypoints)
      }" fill="none" stroke="#c40202" stroke-width="1" stroke-dasharray="4 3" opacity="0.6"/>`,
    );
  }
  for (const r of m.robotRoutes) {
    c.parts.push(
      `<polyline points="${
        c.points(r.waypoints)
      }" fill="none" stroke="#0300d5" stroke-width="1" stroke-dasharray="6 3" opacity="0.5"/>`,
    );
  }
}

/** A canvas for a map. */
export function _canvas(map: MapDefinition, options: RenderOptions): _Canvas {
  const scale = options.scale ?? Math.max(1, Math.min(40, 1200 / Math.max(map.width, map.height)));
  return new _Canvas(map, scale, 28);
}

/**
 * The SVG document around a canvas: white background, title, the map area clipped.
 * @param c The drawn canvas.
 * @param below Extra height under the map (px) and what to draw there (e.g. a legend).
 */
export function _wrap(c: _Canvas, below: { height: number; svg: string } | null = null): string {
  const w = c.map.width * c.scale, mapBottom = c.top + c.map.height * c.scale;
  const h = mapBottom + (below?.height ?? 0);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${_fmt(w)}" height="${
    _fmt(h)
  }" viewBox="0 0 ${_fmt(w)} ${_fmt(h)}">
<defs><clipPath id="map-area"><rect x="0" y="${_fmt(c.top)}" width="${_fmt(w)}" height="${
    _fmt(mapBottom - c.top)
  }"/></clipPath></defs>
<rect width="100%" height="100%" fill="#fff"/>
<text x="4" y="${_fmt(c.top - 8)}" font-family="sans-serif" font-size="16">${
    _escape(c.title)
  }</text>
<g clip-path="url(#map-area)">
${c.parts.join("\n")}
</g>
${below === null ? "" : `${below.svg}\n`}</svg>
`;
}

/** SVG picture of a map (obstacles, zones, routes). World y points up in the picture. */
export function renderMapSvg(map: MapDefinition, options: RenderOptions = {}): string {
  const c = _canvas(map, options);
  _drawMap(c, options.title ?? map.name);
  return _wrap(c);
}

/** SVG picture of a recorded episode over its map. */
export function renderEpisodeSvg(rec: EpisodeRecording, options: RenderOptions = {}): string {
  const c = _canvas(rec.map, options);
  _drawMap(
    c,
    options.title ??
      `${rec.map.name}: ${rec.steps} steps, ${rec.outcome}, return ${rec.totalReward.toFixed(3)}`,
  );
  const n = rec.pedestrianCount, frames = rec.pedestrians.length / Math.max(1, 2 * n);
  for (let i = 0; i < n; i++) {
    let pts: [number, number][] = [];
    const flush = () => {
      if (pts.length > 1) {
        c.parts.push(
          `<polyline points="${
            c.points(pts)
          }" fill="none" stroke="#d04040" stroke-width="1" opacity="0.55"/>`,
        );
      }
      pts = [];
    };
    for (let t = 0; t < frames; t++) {
      const x = rec.pedestrians[(t * n + i) * 2], y = rec.pedestrians[(t * n + i) * 2 + 1];
      const prev = pts[pts.length - 1];
      if (prev && Math.hypot(prev[0] - x, prev[1] - y) > 2) flush(); // respawn
      pts.push([x, y]);
    }
    const last = pts[pts.length - 1];
    flush();
    if (last) {
      c.parts.push(
        `<circle cx="${c.x(last[0])}" cy="${c.y(last[1])}" r="${
          _fmt(rec.pedestrianRadius * c.scale)
        }" fill="#d04040" opacity="0.8"/>`,
      );
    }
  }
  const goal = rec.route[rec.route.length - 1];
  c.parts.push(
    `<polyline points="${
      c.points(rec.route)
    }" fill="none" stroke="#0a7" stroke-width="1.5" stroke-dasharray="3 2"/>`,
    `<circle cx="${c.x(goal[0])}" cy="${c.y(goal[1])}" r="${
      _fmt(rec.goalRadius * c.scale)
    }" fill="#0a7" opacity="0.5"/>`,
  );
  const robotPts: [number, number][] = [];
  for (let k = 0; k < rec.robot.length; k += 2) robotPts.push([rec.robot[k], rec.robot[k + 1]]);
  c.parts.push(
    `<polyline points="${c.points(robotPts)}" fill="none" stroke="#0300d5" stroke-width="2.5"/>`,
  );
  const [sx, sy] = robotPts[0], [ex, ey] = robotPts[robotPts.length - 1];
  const rr = _fmt(rec.robotRadius * c.scale);
  c.parts.push(
    `<circle cx="${c.x(sx)}" cy="${
      c.y(sy)
    }" r="${rr}" fill="none" stroke="#0300d5" stroke-width="1.5"/>`,
    `<circle cx="${c.x(ex)}" cy="${c.y(ey)}" r="${rr}" fill="#0300d5" opacity="0.7"/>`,
  );
  return _wrap(c);
}
