/**
 * Static shapes with symbolic dimensions, and the shape error raised at graph
 * build time.
 *
 * @module
 */

/**
 * One dimension: a fixed size, or a symbolic name such as `"batch"` fixed at run
 * time. Products of symbols and numbers are written `"batch*272"` (canonical:
 * sorted symbols, then the numeric factor), e.g. after merging `[batch, 272]`.
 */
export type Dim = number | string;

/** Tensor shape, outermost dimension first (`[batch, 3, 272]`). */
export type Shape = readonly Dim[];

/**
 * A tensor shape does not fit an op, found while building a graph. The message
 * names the op (and its node) and the shapes involved.
 */
export class ShapeError extends Error {
  /** Op type that rejected the shapes, e.g. `"MatMul"`. */
  readonly op: string;
  /** The shapes involved, in argument order. */
  readonly shapes: Shape[];

  /**
   * Create the error.
   * @param op Op type, e.g. `"MatMul"`.
   * @param message What is wrong, in sentence case without a trailing period.
   * @param shapes Shapes involved, in argument order.
   */
  constructor(op: string, message: string, shapes: Shape[] = []) {
    super(`${op}: ${message}`);
    this.name = "ShapeError";
    this.op = op;
    this.shapes = shapes;
  }
}

/** `[batch, 3, 272]` style text of a shape. */
export function formatShape(shape: Shape): string {
  return `[${shape.join(", ")}]`;
}

/** True when both shapes have the same rank and the same dimensions. */
export function sameShape(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** True when every dimension is a number. */
export function isStatic(shape: Shape): shape is readonly number[] {
  return shape.every((d) => typeof d === "number");
}

/**
 * Number of elements of a static shape, or of the static part of a shape
 * (symbolic dimensions count as 1 when `staticPart` is set).
 * @throws {RangeError} When the shape has a symbolic dimension and `staticPart` is false.
 */
export function shapeSize(shape: Shape, staticPart = false): number {
  let n = 1;
  for (const d of shape) {
    if (typeof d === "number") n *= d;
    else if (!staticPart) throw new RangeError(`Shape ${formatShape(shape)} has a symbolic size`);
  }
  return n;
}

/** Symbolic dimensions of a shape, in order. */
export function symbolicDims(shape: Shape): string[] {
  return shape.filter((d): d is string => typeof d === "string");
}

/** A dimension as numeric factor times a product of symbols. */
export interface DimProduct {
  /** Numeric factor. */
  factor: number;
  /** Symbols, sorted. */
  symbols: string[];
}

/** Parse a dimension (or a whole shape's product) into factor and symbols. */
export function dimProduct(dims: Dim | Shape): DimProduct {
  const list = Array.isArray(dims) ? dims as Shape : [dims as Dim];
  let factor = 1;
  const symbols: string[] = [];
  for (const d of list) {
    if (typeof d === "number") factor *= d;
    else {
      for (const part of d.split("*")) {
        const v = Number(part);
        if (part !== "" && Number.isFinite(v)) factor *= v;
        else symbols.push(part);
      }
    }
  }
  symbols.sort();
  return { factor, symbols };
}

/** Canonical dimension for a factor and symbols (a number when there are no symbols). */
export function makeDim(p: DimProduct): Dim {
  if (p.symbols.length === 0) return p.factor;
  const s = [...p.symbols].sort().join("*");
  return p.factor === 1 ? s : `${s}*${p.factor}`;
}

/** Product of dimensions, e.g. `mulDims("batch", 272)` is `"batch*272"`. */
export function mulDims(...dims: Dim[]): Dim {
  return makeDim(dimProduct(dims));
}

/** Replace symbolic dimensions by their values from `bindings` (e.g. `{batch: 64}`). */
export function bindShape(shape: Shape, bindings: Readonly<Record<string, number>>): number[] {
  return shape.map((d) => {
    if (typeof d === "number") return d;
    const p = dimProduct(d);
    let v = p.factor;
    for (const s of p.symbols) {
      const b = bindings[s];
      if (b === undefined) throw new RangeError(`No value for symbolic dimension '${s}'`);
      v *= b;
    }
    return v;
  });
}

/**
 * Numpy-style broadcast of two shapes.
 * @throws {ShapeError} When a pair of dimensions is neither equal nor 1.
 */
export function broadcastShapes(op: string, a: Shape, b: Shape): Dim[] {
  const rank = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const da = i < rank - a.length ? 1 : a[i - (rank - a.length)];
    const db = i < rank - b.length ? 1 : b[i - (rank - b.length)];
    if (da === db) out.push(da);
    else if (da === 1) out.push(db);
    else if (db === 1) out.push(da);
    else {
      throw new ShapeError(
        op,
        `cannot broadcast shapes ${formatShape(a)} and ${
          formatShape(b)
        } (dimension ${i}: ${da} vs ${db})`,
        [a, b],
      );
    }
  }
  return out;
}

/**
 * Normalise a possibly negative axis against a rank.
 * @throws {ShapeError} When the axis is out of range.
 */
export function normAxis(op: string, axis: number, rank: number, shape: Shape = []): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) {
    throw new ShapeError(
      op,
      `axis ${axis} is out of range for rank ${rank} shape ${formatShape(shape)}`,
      [shape],
    );
  }
  return a;
}
