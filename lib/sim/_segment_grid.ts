/**
 * Uniform grid over static line segments, so that LiDAR, collision checks and
 * obstacle forces only look at segments near a query box. Queries write into a
 * reused buffer and allocate nothing. Private to `lib/sim`.
 *
 * @module
 */

import type { MapDefinition } from "./map_definition.ts";

const _grids = new WeakMap<MapDefinition, _SegmentGrid>();

/** The shared segment grid of a map's obstacle segments (built once per map). */
export function _segmentGridOf(map: MapDefinition): _SegmentGrid {
  let grid = _grids.get(map);
  if (grid === undefined) {
    grid = new _SegmentGrid(map.segments);
    _grids.set(map, grid);
  }
  return grid;
}

/** Static spatial index of segments `[x1, y1, x2, y2]` (metres). */
export class _SegmentGrid {
  /** Segments as flat `[n, 4]` (x1, y1, x2, y2), metres. */
  readonly segments: Float64Array;
  /** Number of segments. */
  readonly count: number;
  /** Indices found by the last {@linkcode _SegmentGrid.query}; valid up to its return value. */
  readonly result: Int32Array;
  #minX: number;
  #minY: number;
  #cell: number;
  #cols: number;
  #rows: number;
  #cellStart: Int32Array;
  #cellItems: Int32Array;
  #stamp: Uint32Array;
  #queryId = 0;

  /**
   * @param segments Flat `[n, 4]` segment coordinates in metres.
   * @param cellSize Grid cell edge in metres.
   */
  constructor(segments: Float64Array, cellSize = 4) {
    this.segments = segments;
    const n = segments.length / 4;
    this.count = n;
    this.result = new Int32Array(Math.max(1, n));
    this.#stamp = new Uint32Array(Math.max(1, n));
    let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
    for (let i = 0; i < n; i++) {
      const o = 4 * i;
      minX = Math.min(minX, segments[o], segments[o + 2]);
      maxX = Math.max(maxX, segments[o], segments[o + 2]);
      minY = Math.min(minY, segments[o + 1], segments[o + 3]);
      maxY = Math.max(maxY, segments[o + 1], segments[o + 3]);
    }
    if (n === 0) {
      minX =
        minY =
        maxX =
        maxY =
          0;
    }
    // Keep the grid at most ~512 x 512 cells on huge maps.
    const span = Math.max(maxX - minX, maxY - minY, 1);
    this.#cell = Math.max(cellSize, span / 512);
    this.#minX = minX;
    this.#minY = minY;
    this.#cols = Math.max(1, Math.ceil((maxX - minX) / this.#cell) + 1);
    this.#rows = Math.max(1, Math.ceil((maxY - minY) / this.#cell) + 1);
    const cells = this.#cols * this.#rows;
    const counts = new Int32Array(cells + 1);
    this.#forEachCell(segments, n, (cell) => counts[cell + 1]++);
    for (let c = 0; c < cells; c++) counts[c + 1] += counts[c];
    this.#cellStart = counts;
    this.#cellItems = new Int32Array(counts[cells]);
    const fill = counts.slice(0, cells);
    this.#forEachCell(segments, n, (cell, seg) => {
      this.#cellItems[fill[cell]++] = seg;
    });
  }

  #forEachCell(segments: Float64Array, n: number, visit: (cell: number, seg: number) => void) {
    for (let i = 0; i < n; i++) {
      const o = 4 * i;
      const c0 = this.#col(Math.min(segments[o], segments[o + 2]));
      const c1 = this.#col(Math.max(segments[o], segments[o + 2]));
      const r0 = this.#row(Math.min(segments[o + 1], segments[o + 3]));
      const r1 = this.#row(Math.max(segments[o + 1], segments[o + 3]));
      for (let r = r0; r <= r1; r++) {
        for (let c = c0; c <= c1; c++) visit(r * this.#cols + c, i);
      }
    }
  }

  #col(x: number): number {
    const c = Math.floor((x - this.#minX) / this.#cell);
    return c < 0 ? 0 : c >= this.#cols ? this.#cols - 1 : c;
  }

  #row(y: number): number {
    const r = Math.floor((y - this.#minY) / this.#cell);
    return r < 0 ? 0 : r >= this.#rows ? this.#rows - 1 : r;
  }

  /**
   * Indices of every segment whose cell range overlaps the box (a superset of the
   * segments that intersect it), written to {@linkcode _SegmentGrid.result}.
   * @returns How many indices were written.
   */
  query(minX: number, minY: number, maxX: number, maxY: number): number {
    if (this.count === 0) return 0;
    let id = ++this.#queryId;
    if (id === 0xffffffff) {
      this.#stamp.fill(0);
      this.#queryId = id = 1;
    }
    const c0 = this.#col(minX), c1 = this.#col(maxX);
    const r0 = this.#row(minY), r1 = this.#row(maxY);
    const stamp = this.#stamp, items = this.#cellItems, start = this.#cellStart;
    const out = this.result;
    let k = 0;
    for (let r = r0; r <= r1; r++) {
      for (let c = c0; c <= c1; c++) {
        const cell = r * this.#cols + c;
        for (let p = start[cell], end = start[cell + 1]; p < end; p++) {
          const seg = items[p];
          if (stamp[seg] !== id) {
            stamp[seg] = id;
            out[k++] = seg;
          }
        }
      }
    }
    return k;
  }
}
