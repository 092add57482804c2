/**
 * 2-D LiDAR against obstacle segments and pedestrian circles, with robot_sf's
 * semantics (`sensor/range_sensor.py`): ray k points at
 * `heading - pi p + k 2 pi p / rays` (p = visual angle portion); a ray hits a
 * segment where the segment crosses it at a non-negative distance, and a
 * pedestrian whose centre is within max range and in front of the ray; ranges
 * are capped at max range; then each ray is lost (max range) with probability
 * `loss`, else corrupted (times a uniform factor) with probability `corruption`.
 *
 * Only segments in the grid cells within max range are looked at, and for each
 * segment or pedestrian only the rays inside its angular span (plus one ray of
 * margin) are intersected, with the same per-ray formula as a full scan.
 *
 * @module
 */
import type { SeededRng } from "../rng/mod.ts";
import { type _SegmentGrid, _segmentGridOf } from "./_segment_grid.ts";
import type { MapDefinition } from "./map_definition.ts";
import type { LidarSettings } from "./settings.ts";

const TWO_PI = 2 * Math.PI;

/** Options of {@linkcode LidarScanner.scan}. */
export interface LidarScanOptions {
  /** Pedestrian radius, m. */
  pedestrianRadius: number;
  /** Noise source; null disables loss and corruption noise. */
  rng: SeededRng | null;
}

/** LiDAR scanner with preallocated ray buffers. */
export class LidarScanner {
  /** Last scan, metres, `[rays]`. */
  readonly ranges: Float64Array;
  #s: LidarSettings;
  #grid: _SegmentGrid;
  #cos: Float64Array;
  #sin: Float64Array;
  /** cos and sin of ray k's offset k step from the lower bound, `[rays]`. */
  #cosOffset: Float64Array;
  #sinOffset: Float64Array;
  #step: number;
  #lower = 0;
  #spanFirst = 0;
  #spanCount = 0;

  /**
   * Create a LidarScanner.
   * @param settings Ray count, range, noise.
   * @param map The map whose obstacle segments (and bounds) the rays hit.
   */
  constructor(settings: LidarSettings, map: MapDefinition) {
    this.#s = settings;
    this.#grid = _segmentGridOf(map);
    this.ranges = new Float64Array(settings.rays);
    this.#cos = new Float64Array(settings.rays);
    this.#sin = new Float64Array(settings.rays);
    this.#step = (TWO_PI * settings.visualAnglePortion) / settings.rays;
    this.#cosOffset = new Float64Array(settings.rays);
    this.#sinOffset = new Float64Array(settings.rays);
    // The same step as scan() computes, (2 (pi p)) / rays: doubling is exact.
    const step = (2 * (Math.PI * settings.visualAnglePortion)) / settings.rays;
    for (let k = 0; k < settings.rays; k++) {
      this.#cosOffset[k] = Math.cos(k * step);
      this.#sinOffset[k] = Math.sin(k * step);
    }
  }

  /**
   * Scan from a pose into {@linkcode LidarScanner.ranges}.
   * @param pose Sensor position (m) and heading `theta` (rad); a `Robot` fits.
   * @param pedestrians Positions `px`, `py` (m) of the first `count` pedestrians; a
   * `PedestrianSimulation` fits.
   * @param options `pedestrianRadius` (m) and `rng` (noise source; null disables noise).
   * Reuse one options object on hot paths.
   * @returns {@linkcode LidarScanner.ranges}, metres, `[rays]`.
   */
  scan(
    pose: { x: number; y: number; theta: number },
    pedestrians: { px: Float64Array; py: Float64Array; count: number },
    options: LidarScanOptions,
  ): Float64Array {
    const x = pose.x, y = pose.y, heading = pose.theta;
    const rng = options.rng;
    const s = this.#s, n = s.rays, maxR = s.maxRange;
    const out = this.ranges, cos = this.#cos, sin = this.#sin;
    const half = Math.PI * s.visualAnglePortion;
    // numpy linspace(lower, upper, rays + 1)[:-1], then wrapped to [0, 2 pi).
    const lower = heading - half;
    const step = (2 * half) / n;
    this.#step = step;
    this.#lower = lower;
    // Ray k's direction by the angle-addition formulas from the fixed offsets k step
    // (precomputed) and the heading's lower bound: two trigonometric calls a scan
    // instead of 2 rays; within a few 1e-16 of cos and sin of the wrapped angle.
    const cosLower = Math.cos(lower), sinLower = Math.sin(lower);
    const cosOffset = this.#cosOffset, sinOffset = this.#sinOffset;
    for (let k = 0; k < n; k++) {
      const co = cosOffset[k], so = sinOffset[k];
      cos[k] = co * cosLower - so * sinLower;
      sin[k] = so * cosLower + co * sinLower;
      out[k] = Infinity;
    }
    this.#scanPedestrians(
      x,
      y,
      pedestrians.px,
      pedestrians.py,
      pedestrians.count,
      options.pedestrianRadius,
    );
    this.#scanSegments(x, y);
    const loss = s.lossProbability, corruption = s.corruptionProbability;
    for (let k = 0; k < n; k++) {
      if (out[k] > maxR) out[k] = maxR;
      if (rng !== null) {
        if (rng.uniform() < loss) out[k] = maxR;
        else if (rng.uniform() < corruption) out[k] = out[k] * rng.uniform();
      }
    }
    return out;
  }

  /**
   * Ray index range [first, first + count) (mod rays) covering the angular
   * interval, into #spanFirst / #spanCount (no allocation).
   */
  #span(start: number, length: number): void {
    const n = this.#s.rays, step = this.#step;
    if (length >= TWO_PI - 2 * step) {
      this.#spanFirst = 0;
      this.#spanCount = n;
      return;
    }
    let rel = (start - this.#lower) % TWO_PI;
    if (rel < 0) rel += TWO_PI;
    const first = Math.floor(rel / step) - 1;
    this.#spanFirst = ((first % n) + n) % n;
    this.#spanCount = Math.min(n, Math.ceil(length / step) + 3);
  }

  #scanSegments(x: number, y: number): void {
    const maxR = this.#s.maxRange, n = this.#s.rays;
    const grid = this.#grid, seg = grid.segments;
    const m = grid.query(x - maxR, y - maxR, x + maxR, y + maxR);
    const res = grid.result, out = this.ranges, cos = this.#cos, sin = this.#sin;
    const partial = this.#s.visualAnglePortion < 1;
    for (let q = 0; q < m; q++) {
      const o = 4 * res[q];
      const x1 = seg[o], y1 = seg[o + 1], x2 = seg[o + 2], y2 = seg[o + 3];
      const xDiff = x1 - x, yDiff = y1 - y;
      const xSeg = x2 - x1, ySeg = y2 - y1;
      let first = 0, count = n;
      const cross = xDiff * (y2 - y) - yDiff * (x2 - x);
      const lenSq = xSeg * xSeg + ySeg * ySeg;
      // Segments passing (almost) through the sensor: test every ray.
      if (!partial && cross * cross > 1e-18 * lenSq * (xDiff * xDiff + yDiff * yDiff + 1)) {
        const a1 = Math.atan2(yDiff, xDiff), a2 = Math.atan2(y2 - y, x2 - x);
        let d = a2 - a1;
        if (d > Math.PI) d -= TWO_PI;
        else if (d < -Math.PI) d += TWO_PI;
        this.#span(d >= 0 ? a1 : a2, Math.abs(d));
        first = this.#spanFirst;
        count = this.#spanCount;
      }
      for (let c = 0, k = first; c < count; c++, k = k + 1 === n ? 0 : k + 1) {
        const xr = cos[k], yr = sin[k];
        const num = xr * yDiff - yr * xDiff;
        const den = xSeg * yr - xr * ySeg;
        if (den === 0) continue;
        const mu = num / den;
        const tau = (mu * xSeg + xDiff) / xr;
        if (0 <= mu && mu <= 1 && tau >= 0) {
          const cx = x1 + mu * (x2 - x1), cy = y1 + mu * (y2 - y1);
          const d = Math.sqrt((x - cx) ** 2 + (y - cy) ** 2);
          if (d < out[k]) out[k] = d;
        }
      }
    }
  }

  #scanPedestrians(
    x: number,
    y: number,
    pedX: Float64Array,
    pedY: Float64Array,
    count: number,
    radius: number,
  ): void {
    const maxR = this.#s.maxRange, n = this.#s.rays;
    const out = this.ranges, cos = this.#cos, sin = this.#sin;
    const thrSq = maxR * maxR, rSq = radius * radius;
    const partial = this.#s.visualAnglePortion < 1;
    for (let i = 0; i < count; i++) {
      const cx = pedX[i] - x, cy = pedY[i] - y;
      const dSq = cx * cx + cy * cy;
      if (dSq > thrSq) continue;
      let first = 0, num = n;
      if (!partial && dSq > rSq * 1.0001) {
        const half = Math.asin(Math.min(1, radius / Math.sqrt(dSq)));
        this.#span(Math.atan2(cy, cx) - half, 2 * half);
        first = this.#spanFirst;
        num = this.#spanCount;
      }
      for (let c = 0, k = first; c < num; c++, k = k + 1 === n ? 0 : k + 1) {
        const sx = cos[k], sy = sin[k];
        if (cx * sx + cy * sy < 0) continue;
        // Circle at (cx, cy) against the ray from the origin (robot_sf circle_line_intersection_distance).
        const tx = -cx, ty = -cy;
        const a = sx * sx + sy * sy;
        const b = 2 * (sx * tx + sy * ty);
        const cc = tx * tx + ty * ty - rSq;
        const disc = b * b - 4 * a * cc;
        if (disc < 0 || (b > 0 && b * b > disc)) continue;
        const root = Math.sqrt(disc);
        const mu1 = (-b - root) / (2 * a), mu2 = (-b + root) / (2 * a);
        const d1 = Math.sqrt((mu1 * sx) ** 2 + (mu1 * sy) ** 2);
        const d2 = Math.sqrt((mu2 * sx) ** 2 + (mu2 * sy) ** 2);
        const d = mu1 >= 0 && mu2 >= 0 ? Math.min(d1, d2) : mu1 >= 0 ? d1 : d2;
        if (d < out[k]) out[k] = d;
      }
    }
  }
}
