/**
 * Watch an episode: an animated SVG (SMIL, plays in any browser) with one frame
 * per step, or a single frame as a static SVG (for video encoding). Draws the map,
 * the route and goal, the robot with its heading, optionally its LiDAR rays, the
 * pedestrians, the robot's whole path (faint), a legend, a scale bar and a time bar.
 *
 * @module
 */
import type { EpisodeRecording, RenderOptions } from "./render.ts";
import { type _Canvas, _canvas, _drawMap, _fmt, _wrap } from "./render.ts";

/** Options of {@linkcode renderEpisodeAnimation}. */
export interface AnimationOptions extends RenderOptions {
  /** Draw every n-th recorded LiDAR ray (when the recording has rays). @default 8 */
  rayStride?: number;
  /** Playback speed relative to simulated time. @default 1 */
  speed?: number;
}

const LEGEND_HEIGHT = 56;
const COLORS = {
  robot: "#0300d5",
  heading: "#ffd400",
  pedestrian: "#d04040",
  goal: "#0a7",
  ray: "#ff9900",
  obstacle: "#333",
};

/** Attribute writer: static values of one frame, or SMIL `<animate>` over all frames. */
interface _Frames {
  /** `name="v"` (static or first frame) plus, when animated, a child `<animate>`. */
  attr(name: string, values: readonly string[]): { attr: string; child: string };
}

function _frames(frame: number | null, duration: number): _Frames {
  return {
    attr(name, values) {
      if (frame !== null) return { attr: `${name}="${values[frame]}"`, child: "" };
      const child = `<animate attributeName="${name}" calcMode="discrete" dur="${
        _fmt(duration)
      }s" repeatCount="indefinite" values="${values.join(";")}"/>`;
      return { attr: `${name}="${values[0]}"`, child };
    },
  };
}

function _element(tag: string, fixed: string, parts: { attr: string; child: string }[]): string {
  const attrs = parts.map((p) => p.attr).join(" ");
  const children = parts.map((p) => p.child).join("");
  return children === ""
    ? `<${tag} ${fixed} ${attrs}/>`
    : `<${tag} ${fixed} ${attrs}>${children}</${tag}>`;
}

function _drawEpisode(c: _Canvas, rec: EpisodeRecording, f: _Frames, options: AnimationOptions) {
  const frames = rec.steps + 1, n = rec.pedestrianCount;
  const xs = (i: number) => c.x(rec.robot[2 * i]), ys = (i: number) => c.y(rec.robot[2 * i + 1]);
  const range = (fn: (t: number) => string) => Array.from({ length: frames }, (_, t) => fn(t));
  // Route and goal.
  const goal = rec.route[rec.route.length - 1];
  c.parts.push(
    `<polyline points="${
      c.points(rec.route)
    }" fill="none" stroke="${COLORS.goal}" stroke-width="1.5" stroke-dasharray="3 2"/>`,
    `<circle cx="${c.x(goal[0])}" cy="${c.y(goal[1])}" r="${
      _fmt(rec.goalRadius * c.scale)
    }" fill="${COLORS.goal}" opacity="0.5"/>`,
  );
  // The whole path, faint (a growing path would make the file quadratic in the steps).
  const pts = range((t) => `${xs(t)},${ys(t)}`).join(" ");
  c.parts.push(
    `<polyline points="${pts}" fill="none" stroke="${COLORS.robot}" stroke-width="1.5" opacity="0.35"/>`,
  );
  // LiDAR rays.
  if (rec.rays !== null) {
    const stride = options.rayStride ?? 8;
    const perFrame = rec.rays.length / frames;
    c.parts.push(
      _element("path", `fill="none" stroke="${COLORS.ray}" stroke-width="0.7" opacity="0.6"`, [
        f.attr(
          "d",
          range((t) => {
            const x = rec.robot[2 * t], y = rec.robot[2 * t + 1], h = rec.headings[t];
            const segs: string[] = [];
            for (let k = 0; k < perFrame; k += stride) {
              const a = h + rec.rayStart + k * rec.rayStep, r = rec.rays![t * perFrame + k];
              segs.push(
                `M${c.x(x)} ${c.y(y)}L${c.x(x + r * Math.cos(a))} ${c.y(y + r * Math.sin(a))}`,
              );
            }
            return segs.join("");
          }),
        ),
      ]),
    );
  }
  // Pedestrians.
  const pr = _fmt(rec.pedestrianRadius * c.scale);
  for (let i = 0; i < n; i++) {
    c.parts.push(
      _element("circle", `r="${pr}" fill="${COLORS.pedestrian}" opacity="0.85"`, [
        f.attr("cx", range((t) => c.x(rec.pedestrians[(t * n + i) * 2]))),
        f.attr("cy", range((t) => c.y(rec.pedestrians[(t * n + i) * 2 + 1]))),
      ]),
    );
  }
  // Robot and heading.
  c.parts.push(
    _element(
      "circle",
      `id="robot" r="${_fmt(rec.robotRadius * c.scale)}" fill="${COLORS.robot}" opacity="0.8"`,
      [f.attr("cx", range(xs)), f.attr("cy", range(ys))],
    ),
  );
  const tip = (t: number, axis: 0 | 1) => {
    const h = rec.headings[t], r = rec.robotRadius;
    return axis === 0
      ? c.x(rec.robot[2 * t] + r * Math.cos(h))
      : c.y(rec.robot[2 * t + 1] + r * Math.sin(h));
  };
  c.parts.push(
    _element("line", `stroke="${COLORS.heading}" stroke-width="2"`, [
      f.attr("x1", range(xs)),
      f.attr("y1", range(ys)),
      f.attr("x2", range((t) => tip(t, 0))),
      f.attr("y2", range((t) => tip(t, 1))),
    ]),
  );
}

function _legend(c: _Canvas, rec: EpisodeRecording, f: _Frames, width: number): string {
  const y0 = c.top + c.map.height * c.scale + 8;
  const items: [string, string][] = [
    ["robot", `<circle r="6" fill="${COLORS.robot}"/>`],
    ["heading", `<line x1="-6" x2="6" stroke="${COLORS.heading}" stroke-width="3"/>`],
    ["pedestrian", `<circle r="5" fill="${COLORS.pedestrian}"/>`],
    ["goal", `<circle r="6" fill="${COLORS.goal}" opacity="0.5"/>`],
    ["obstacle", `<rect x="-6" y="-6" width="12" height="12" fill="${COLORS.obstacle}"/>`],
  ];
  if (rec.rays !== null) {
    items.push(["LiDAR rays", `<line x1="-6" x2="6" stroke="${COLORS.ray}" stroke-width="2"/>`]);
  }
  const out: string[] = [];
  items.forEach(([label, mark], i) => {
    const x = 12 + i * 110;
    out.push(
      `<g transform="translate(${x},${
        _fmt(y0 + 10)
      })">${mark}<text x="10" y="4" font-family="sans-serif" font-size="12">${label}</text></g>`,
    );
  });
  // Scale bar: the largest of 1, 2, 5, 10, 20, 50 m that fits in a quarter of the width.
  const bar = [50, 20, 10, 5, 2, 1].find((m) => m * c.scale <= width / 4) ?? 1;
  const by = y0 + 34;
  out.push(
    `<g font-family="sans-serif" font-size="12"><line x1="12" y1="${_fmt(by)}" x2="${
      _fmt(12 + bar * c.scale)
    }" y2="${_fmt(by)}" stroke="#000" stroke-width="3"/><text x="${_fmt(18 + bar * c.scale)}" y="${
      _fmt(by + 4)
    }">${bar} m</text></g>`,
  );
  // Time bar: fraction of the episode elapsed.
  const frames = rec.steps + 1, bx = width / 2, bw = width / 2 - 12;
  const widths = Array.from(
    { length: frames },
    (_, t) => _fmt(frames > 1 ? (bw * t) / (frames - 1) : bw),
  );
  out.push(
    `<rect x="${_fmt(bx)}" y="${_fmt(by - 5)}" width="${
      _fmt(bw)
    }" height="10" fill="none" stroke="#999"/>`,
    _element("rect", `x="${_fmt(bx)}" y="${_fmt(by - 5)}" height="10" fill="#999"`, [
      f.attr("width", widths),
    ]),
    `<text x="${_fmt(bx)}" y="${_fmt(by - 9)}" font-family="sans-serif" font-size="12">${
      _fmt(rec.steps * rec.timeStep)
    } s, ${rec.steps} steps of ${rec.timeStep} s</text>`,
  );
  return out.join("\n");
}

function _render(rec: EpisodeRecording, options: AnimationOptions, frame: number | null): string {
  const c = _canvas(rec.map, options);
  const duration = ((rec.steps + 1) * rec.timeStep) / (options.speed ?? 1);
  const f = _frames(frame, duration);
  _drawMap(
    c,
    options.title ??
      `${rec.map.name}: ${rec.steps} steps, ${rec.outcome}, return ${rec.totalReward.toFixed(3)}`,
  );
  _drawEpisode(c, rec, f, options);
  const w = c.map.width * c.scale;
  return _wrap(c, { height: LEGEND_HEIGHT, svg: _legend(c, rec, f, w) });
}

/**
 * Animated SVG of a recorded episode: every moving element carries a SMIL
 * `<animate calcMode="discrete">` with one value per frame (the reset state and
 * each step), looping over `(steps + 1) x timeStep / speed` seconds.
 * @param rec The recording (`recordEpisode(env, act, { rays: true })` adds LiDAR rays).
 * @param options Scale, title, ray stride, playback speed.
 * @returns SVG text.
 */
export function renderEpisodeAnimation(
  rec: EpisodeRecording,
  options: AnimationOptions = {},
): string {
  return _render(rec, options, null);
}

/**
 * One frame of {@linkcode renderEpisodeAnimation} as a static SVG (for video frames).
 * @param rec The recording.
 * @param frame 0 (reset) .. steps.
 * @param options As for the animation.
 * @throws {RangeError} When the frame is out of range.
 */
export function renderEpisodeFrame(
  rec: EpisodeRecording,
  frame: number,
  options: AnimationOptions = {},
): string {
  if (!Number.isInteger(frame) || frame < 0 || frame > rec.steps) {
    throw new RangeError(`Frame must be an integer in 0..${rec.steps}, got ${frame}`);
  }
  return _render(rec, options, frame);
}
