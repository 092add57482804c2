/**
 * Small 2-D geometry helpers shared by the map validator, collision checks,
 * LiDAR and forces. Private to `lib/sim`.
 *
 * @module
 */

/** A point or vector `[x, y]` in metres. */
export type Vec2 = [number, number];

/**
 * Whether the point lies strictly inside the polygon (even-odd rule).
 * Points exactly on an edge may go either way.
 */
export function _pointInPolygon(x: number, y: number, vertices: readonly Vec2[]): boolean {
  let inside = false;
  const n = vertices.length;
  for (let i = 0, j = n - 1; i < n; j = i++) {
    const [xi, yi] = vertices[i];
    const [xj, yj] = vertices[j];
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Whether the closed segments p1-p2 and q1-q2 intersect (touching counts). */
export function _segmentsIntersect(
  p1x: number,
  p1y: number,
  p2x: number,
  p2y: number,
  q1x: number,
  q1y: number,
  q2x: number,
  q2y: number,
): boolean {
  const d1 = _orient(q1x, q1y, q2x, q2y, p1x, p1y);
  const d2 = _orient(q1x, q1y, q2x, q2y, p2x, p2y);
  const d3 = _orient(p1x, p1y, p2x, p2y, q1x, q1y);
  const d4 = _orient(p1x, p1y, p2x, p2y, q2x, q2y);
  if (((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0))) {
    return true;
  }
  if (d1 === 0 && _onSegment(q1x, q1y, q2x, q2y, p1x, p1y)) return true;
  if (d2 === 0 && _onSegment(q1x, q1y, q2x, q2y, p2x, p2y)) return true;
  if (d3 === 0 && _onSegment(p1x, p1y, p2x, p2y, q1x, q1y)) return true;
  if (d4 === 0 && _onSegment(p1x, p1y, p2x, p2y, q2x, q2y)) return true;
  return false;
}

function _orient(ax: number, ay: number, bx: number, by: number, cx: number, cy: number): number {
  return (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);
}

function _onSegment(ax: number, ay: number, bx: number, by: number, px: number, py: number) {
  return Math.min(ax, bx) <= px && px <= Math.max(ax, bx) && Math.min(ay, by) <= py &&
    py <= Math.max(ay, by);
}

/**
 * Circle-segment intersection test used for robot-obstacle collisions, the same
 * closed-form quadratic as robot_sf `nav/occupancy.py` `is_circle_line_intersection`:
 * true when an end point lies inside or on the circle, or the circle boundary
 * crosses the segment.
 */
export function _circleHitsSegment(
  cx: number,
  cy: number,
  r: number,
  x1: number,
  y1: number,
  x2: number,
  y2: number,
): boolean {
  const p1x = x1 - cx, p1y = y1 - cy, p2x = x2 - cx, p2y = y2 - cy;
  const rSq = r * r;
  const n1 = p1x * p1x + p1y * p1y;
  const n2 = p2x * p2x + p2y * p2y;
  if (n1 <= rSq || n2 <= rSq) return true;
  const sx = p2x - p1x, sy = p2y - p1y;
  const a = sx * sx + sy * sy;
  const b = 2 * (sx * p1x + sy * p1y);
  const c = n1 - rSq;
  const disc = b * b - 4 * a * c;
  if (disc < 0) return false;
  const root = Math.sqrt(disc);
  const lo = -b - root, hi = -b + root;
  return (0 <= lo && lo <= 2 * a) || (0 <= hi && hi <= 2 * a);
}
