/**
 * Shape ops: reshape, flatten, transpose, concat, split, slice, squeeze,
 * unsqueeze, broadcast, pad, and run-time shape queries.
 *
 * @module
 */
import type { Emitter, Node, OpDef, Tensor } from "../graph.ts";
import {
  broadcastShapes,
  type Dim,
  dimProduct,
  formatShape,
  isStatic,
  makeDim,
  normAxis,
  sameShape,
  ShapeError,
} from "../shape.ts";
import { apply1, simpleOp } from "./_define.ts";
import { unbroadcast } from "./reduce.ts";

// ---- reshape / flatten -------------------------------------------------------------

const RESHAPE: OpDef = {
  type: "Reshape",
  emit(n: Node, e: Emitter) {
    e.add("Reshape", [e.name(n.inputs[0]), e.ints(n.attrs.target as number[])], [
      e.name(n.outputs[0]),
    ]);
  },
  vjp: (n, [g]) => [reshape(g!, n.inputs[0].shape)],
};

/**
 * Reshape to `shape`. One dimension may be -1 (inferred, possibly symbolic such
 * as `batch*272`). The symbols of input and target must match as a product
 * (`[batch, 272, 32]` to `["batch*272", 32]` is fine); in the ONNX node at most
 * one symbolic dimension may change position.
 * @throws {ShapeError} When sizes or symbols differ.
 */
export function reshape(x: Tensor, shape: readonly Dim[]): Tensor {
  const fail = (why: string): never => {
    throw new ShapeError(
      "Reshape",
      `cannot reshape ${formatShape(x.shape)} to ${formatShape(shape)}: ${why}`,
      [x.shape, shape],
    );
  };
  const infer = shape.flatMap((d, i) => (d === -1 ? [i] : []));
  if (infer.length > 1) fail("more than one -1");
  if (shape.some((d) => typeof d === "number" && d !== -1 && (!Number.isInteger(d) || d <= 0))) {
    fail("dimensions must be positive integers");
  }
  const have = dimProduct(x.shape);
  const want = dimProduct(shape.filter((d) => d !== -1));
  const out: Dim[] = [...shape];
  if (infer.length === 1) {
    const rest = [...have.symbols];
    for (const s of want.symbols) {
      const k = rest.indexOf(s);
      if (k < 0) fail(`symbol '${s}' is not in the input`);
      rest.splice(k, 1);
    }
    if (have.factor % want.factor !== 0) fail("sizes do not divide");
    out[infer[0]] = makeDim({ factor: have.factor / want.factor, symbols: rest });
  } else if (have.factor !== want.factor || have.symbols.join("*") !== want.symbols.join("*")) {
    fail("sizes differ");
  }
  if (sameShape(out, x.shape)) return x;
  // ONNX target: static dims as numbers, a symbolic dim as 0 when it keeps its
  // position, else as -1 (only one allowed).
  const target = out.map((d, i) => (typeof d === "number" ? d : x.shape[i] === d ? 0 : -1));
  if (target.filter((d) => d === -1).length > 1) {
    fail("at most one symbolic dimension may change position");
  }
  return apply1(x.graph, RESHAPE, [x], out, x.dtype, { target });
}

/**
 * Flatten dims `[axis, rank)` into one (`torch.flatten(x, axis)` for axis 1 gives
 * `[batch, features]`).
 * @param options.axis First flattened axis. @default 1
 * @throws {ShapeError} When the axis is out of range.
 */
export function flatten(x: Tensor, options: { axis?: number } = {}): Tensor {
  const axis = normAxis("Flatten", options.axis ?? 1, x.rank + 1, x.shape);
  return reshape(x, [...x.shape.slice(0, axis), makeDim(dimProduct(x.shape.slice(axis)))]);
}

// ---- transpose ---------------------------------------------------------------------

const TRANSPOSE = simpleOp("Transpose", {
  attrs: (n) => ({ perm: { ints: n.attrs.perm as number[] } }),
  vjp: (n, [g]) => {
    const perm = n.attrs.perm as number[];
    const inv = perm.map((_, i) => perm.indexOf(i));
    return [transpose(g!, inv)];
  },
});

/**
 * Permute axes: output axis i is input axis `perm[i]`.
 * @throws {ShapeError} When perm is not a permutation of the input's axes.
 */
export function transpose(x: Tensor, perm: readonly number[]): Tensor {
  const ok = perm.length === x.rank && [...perm].sort((a, b) => a - b).every((p, i) => p === i);
  if (!ok) {
    throw new ShapeError(
      "Transpose",
      `perm [${perm.join(", ")}] is not a permutation of the axes of ${formatShape(x.shape)}`,
      [x.shape],
    );
  }
  if (perm.every((p, i) => p === i)) return x;
  return apply1(x.graph, TRANSPOSE, [x], perm.map((p) => x.shape[p]), x.dtype, {
    perm: [...perm],
  });
}

// ---- concat / split ----------------------------------------------------------------

const CONCAT = simpleOp("Concat", {
  attrs: (n) => ({ axis: { i: n.attrs.axis as number } }),
  vjp: (n, [g], needs) => {
    const axis = n.attrs.axis as number;
    const sizes = n.inputs.map((t) => t.shape[axis] as number);
    const parts = split(g!, sizes, { axis });
    return parts.map((p, i) => (needs[i] ? p : null));
  },
});

/**
 * Concatenate along `axis`; other dims must match.
 * @param options.axis Axis. @default 0
 * @throws {ShapeError} When shapes differ off the axis or the axis is symbolic.
 */
export function concat(xs: readonly Tensor[], options: { axis?: number } = {}): Tensor {
  if (xs.length === 0) throw new RangeError("Concat needs at least one tensor");
  const first = xs[0];
  const axis = normAxis("Concat", options.axis ?? 0, first.rank, first.shape);
  let total = 0;
  for (const t of xs) {
    const ok = t.rank === first.rank && t.shape.every((d, i) => i === axis || d === first.shape[i]);
    if (!ok) {
      throw new ShapeError(
        "Concat",
        `shapes ${formatShape(first.shape)} and ${
          formatShape(t.shape)
        } differ outside axis ${axis}`,
        [first.shape, t.shape],
      );
    }
    const d = t.shape[axis];
    if (typeof d !== "number") {
      throw new ShapeError("Concat", `axis ${axis} of ${formatShape(t.shape)} is symbolic`, [
        t.shape,
      ]);
    }
    if (t.dtype !== first.dtype) throw new TypeError("Concat: element types differ");
    total += d;
  }
  if (xs.length === 1) return first;
  const shape = [...first.shape];
  shape[axis] = total;
  return apply1(first.graph, CONCAT, xs, shape, first.dtype, { axis });
}

const SPLIT: OpDef = {
  type: "Split",
  emit(n: Node, e: Emitter) {
    e.add(
      "Split",
      [e.name(n.inputs[0]), e.ints(n.attrs.sizes as number[])],
      n.outputs.map((t) => e.name(t)),
      { axis: { i: n.attrs.axis as number } },
    );
  },
  vjp: (n, grads) => {
    const parts = grads.map((g, i) => g ?? zerosLike(n.outputs[i]));
    return [concat(parts, { axis: n.attrs.axis as number })];
  },
};

/**
 * Split along `axis` into pieces of the given sizes.
 * @param options.axis Axis. @default 0
 * @throws {ShapeError} When the sizes do not add up to the axis length.
 */
export function split(
  x: Tensor,
  sizes: readonly number[],
  options: { axis?: number } = {},
): Tensor[] {
  const axis = normAxis("Split", options.axis ?? 0, x.rank, x.shape);
  const total = sizes.reduce((a, b) => a + b, 0);
  if (x.shape[axis] !== total || sizes.some((s) => !Number.isInteger(s) || s <= 0)) {
    throw new ShapeError(
      "Split",
      `sizes [${sizes.join(", ")}] do not split axis ${axis} of ${formatShape(x.shape)}`,
      [x.shape],
    );
  }
  if (sizes.length === 1) return [x];
  return x.graph.apply(
    SPLIT,
    [x],
    sizes.map((s) => {
      const shape = [...x.shape];
      shape[axis] = s;
      return { shape, dtype: x.dtype };
    }),
    { axis, sizes: [...sizes] },
  );
}

// ---- slice -------------------------------------------------------------------------

/** Options of {@linkcode slice}. */
export interface SliceOptions {
  /** Axes sliced; `starts`, `ends`, `steps` align with it. @default [0, 1, ...] */
  axes?: readonly number[];
  /** Step per axis (positive). @default all 1 */
  steps?: readonly number[];
}

const SLICE = simpleOp("Slice", {
  vjp: (n, [g]) => [sliceBackward(g!, n)],
});

interface SliceAttrs {
  axes: number[];
  starts: number[];
  steps: number[];
  lengths: number[];
}

/**
 * `x[start:end:step]` along each axis (Python semantics, clamped; positive steps).
 * @throws {ShapeError} When a sliced axis is symbolic or a step is not positive.
 */
export function slice(
  x: Tensor,
  starts: readonly number[],
  ends: readonly number[],
  options: SliceOptions = {},
): Tensor {
  const axes = (options.axes ?? starts.map((_, i) => i)).map((a) =>
    normAxis("Slice", a, x.rank, x.shape)
  );
  const steps = options.steps ?? axes.map(() => 1);
  if (
    starts.length !== axes.length || ends.length !== axes.length || steps.length !== axes.length
  ) {
    throw new RangeError("Slice: starts, ends, axes and steps must have the same length");
  }
  const shape = [...x.shape];
  const attrs: SliceAttrs = { axes: [], starts: [], steps: [], lengths: [] };
  const onnxStarts: number[] = [];
  const onnxEnds: number[] = [];
  axes.forEach((axis, k) => {
    const len = staticAxis(x, axis);
    const step = steps[k];
    if (!Number.isInteger(step) || step < 1) {
      throw new ShapeError("Slice", `step ${step} must be a positive integer`, [x.shape]);
    }
    const clampIdx = (v: number) => Math.min(Math.max(v < 0 ? v + len : v, 0), len);
    const s = clampIdx(starts[k]);
    const e = clampIdx(ends[k]);
    const count = e > s ? Math.ceil((e - s) / step) : 0;
    if (count === 0) {
      throw new ShapeError("Slice", `empty slice of axis ${axis} of ${formatShape(x.shape)}`, [
        x.shape,
      ]);
    }
    shape[axis] = count;
    attrs.axes.push(axis);
    attrs.starts.push(s);
    attrs.steps.push(step);
    attrs.lengths.push(count);
    onnxStarts.push(s);
    onnxEnds.push(s + (count - 1) * step + 1);
  });
  if (sameShape(shape, x.shape)) return x;
  const g = x.graph;
  const i64 = (v: number[]) => g.constant(v, [v.length], "int64");
  return apply1(
    g,
    SLICE,
    [x, i64(onnxStarts), i64(onnxEnds), i64(attrs.axes), i64(attrs.steps)],
    shape,
    x.dtype,
    attrs,
  );
}

function staticAxis(x: Tensor, axis: number): number {
  const d = x.shape[axis];
  if (typeof d !== "number") {
    throw new ShapeError("Slice", `sliced axis ${axis} of ${formatShape(x.shape)} is symbolic`, [
      x.shape,
    ]);
  }
  return d;
}

/** Place the gradient of a slice back into zeros of the input's shape. */
function sliceBackward(g: Tensor, n: Node): Tensor {
  const x = n.inputs[0];
  const { axes, starts, steps, lengths } = n.attrs as unknown as SliceAttrs;
  let out = g;
  axes.forEach((axis, k) => {
    const len = x.shape[axis] as number;
    const step = steps[k];
    if (step > 1) {
      // interleave zeros: [.., n, ..] -> [.., n, step, ..] -> [.., n*step, ..]
      const u = unsqueeze(out, [axis + 1]);
      const padded = pad(u, { [axis + 1]: [0, step - 1] });
      const merged = [...out.shape];
      merged[axis] = lengths[k] * step;
      out = reshape(padded, merged);
      out = slice(out, [0], [(lengths[k] - 1) * step + 1], { axes: [axis] });
    }
    const covered = (lengths[k] - 1) * step + 1;
    out = pad(out, { [axis]: [starts[k], len - starts[k] - covered] });
  });
  return out;
}

// ---- pad ---------------------------------------------------------------------------

const PAD: OpDef = {
  type: "Pad",
  emit(n: Node, e: Emitter) {
    const pads = n.attrs.pads as number[];
    e.add("Pad", [e.name(n.inputs[0]), e.ints(pads), e.scalar(0)], [e.name(n.outputs[0])], {
      mode: { s: "constant" },
    });
  },
  vjp: (n, [g]) => {
    const x = n.inputs[0];
    const pads = n.attrs.pads as number[];
    const axes: number[] = [];
    const starts: number[] = [];
    const ends: number[] = [];
    for (let i = 0; i < x.rank; i++) {
      if (pads[i] === 0 && pads[i + x.rank] === 0) continue;
      axes.push(i);
      starts.push(pads[i]);
      ends.push(pads[i] + (x.shape[i] as number));
    }
    return [slice(g!, starts, ends, { axes })];
  },
};

/**
 * Zero padding: `pads[axis] = [before, after]` (non-negative).
 * @throws {ShapeError} When a padded axis is symbolic or a pad is negative.
 */
export function pad(x: Tensor, pads: Readonly<Record<number, readonly [number, number]>>): Tensor {
  const before = new Array(x.rank).fill(0);
  const after = new Array(x.rank).fill(0);
  const shape = [...x.shape];
  for (const [k, [b, a]] of Object.entries(pads)) {
    const axis = normAxis("Pad", Number(k), x.rank, x.shape);
    if (b < 0 || a < 0 || !Number.isInteger(b) || !Number.isInteger(a)) {
      throw new ShapeError("Pad", `pads must be non-negative integers, got [${b}, ${a}]`, [
        x.shape,
      ]);
    }
    if (b === 0 && a === 0) continue;
    const d = shape[axis];
    if (typeof d !== "number") {
      throw new ShapeError("Pad", `padded axis ${axis} of ${formatShape(x.shape)} is symbolic`, [
        x.shape,
      ]);
    }
    before[axis] = b;
    after[axis] = a;
    shape[axis] = d + b + a;
  }
  if (sameShape(shape, x.shape)) return x;
  return apply1(x.graph, PAD, [x], shape, x.dtype, { pads: [...before, ...after] });
}

// ---- squeeze / unsqueeze -----------------------------------------------------------

const SQUEEZE: OpDef = {
  type: "Squeeze",
  emit(n: Node, e: Emitter) {
    e.add("Squeeze", [e.name(n.inputs[0]), e.ints(n.attrs.axes as number[])], [
      e.name(n.outputs[0]),
    ]);
  },
  vjp: (n, [g]) => [unsqueeze(g!, n.attrs.axes as number[])],
};

const UNSQUEEZE: OpDef = {
  type: "Unsqueeze",
  emit(n: Node, e: Emitter) {
    e.add("Unsqueeze", [e.name(n.inputs[0]), e.ints(n.attrs.axes as number[])], [
      e.name(n.outputs[0]),
    ]);
  },
  vjp: (n, [g]) => [squeeze(g!, n.attrs.axes as number[])],
};

/**
 * Remove size-1 axes.
 * @throws {ShapeError} When an axis is not of size 1.
 */
export function squeeze(x: Tensor, axes: readonly number[]): Tensor {
  const norm = [...new Set(axes.map((a) => normAxis("Squeeze", a, x.rank, x.shape)))].sort((a, b) =>
    a - b
  );
  for (const a of norm) {
    if (x.shape[a] !== 1) {
      throw new ShapeError("Squeeze", `axis ${a} of ${formatShape(x.shape)} is not 1`, [x.shape]);
    }
  }
  if (norm.length === 0) return x;
  const shape = x.shape.filter((_, i) => !norm.includes(i));
  return apply1(x.graph, SQUEEZE, [x], shape, x.dtype, { axes: norm });
}

/**
 * Insert size-1 axes at the given positions of the output.
 * @throws {ShapeError} When an axis is out of range.
 */
export function unsqueeze(x: Tensor, axes: readonly number[]): Tensor {
  const rank = x.rank + axes.length;
  const norm = [...new Set(axes.map((a) => normAxis("Unsqueeze", a, rank, x.shape)))].sort((a, b) =>
    a - b
  );
  if (norm.length === 0) return x;
  const shape: Dim[] = [];
  let k = 0;
  for (let i = 0; i < rank; i++) shape.push(norm.includes(i) ? 1 : x.shape[k++]);
  return apply1(x.graph, UNSQUEEZE, [x], shape, x.dtype, { axes: norm });
}

// ---- broadcast, run-time shapes ----------------------------------------------------

const EXPAND: OpDef = {
  type: "Expand",
  nondiffInputs: [1],
  emit(n: Node, e: Emitter) {
    const ref = n.inputs[1] as Tensor | undefined;
    const out = n.outputs[0];
    let shapeName: string;
    if (isStatic(out.shape)) shapeName = e.ints(out.shape);
    else {
      shapeName = e.fresh(`shape_of_t${ref!.id}`);
      e.add("Shape", [e.name(ref!)], [shapeName]);
    }
    e.add("Expand", [e.name(n.inputs[0]), shapeName], [e.name(out)]);
  },
  vjp: (n, [g]) => [unbroadcast(g!, n.inputs[0].shape), null],
};

/**
 * Broadcast `x` to the shape of `target` (a tensor, whose run-time shape is used
 * for symbolic dims, or a static shape).
 * @throws {ShapeError} When x does not broadcast to the target shape.
 */
export function broadcastTo(x: Tensor, target: Tensor | readonly number[]): Tensor {
  const shape = Array.isArray(target) ? target as readonly number[] : (target as Tensor).shape;
  const b = broadcastShapes("Expand", x.shape, shape);
  if (!sameShape(b, shape)) {
    throw new ShapeError(
      "Expand",
      `${formatShape(x.shape)} does not broadcast to ${formatShape(shape)}`,
      [x.shape, shape],
    );
  }
  if (sameShape(x.shape, shape)) return x;
  const inputs = Array.isArray(target) ? [x] : [x, target as Tensor];
  return apply1(x.graph, EXPAND, inputs, shape, x.dtype);
}

/** Zeros with the shape (and run-time shape) of `like`. */
export function zerosLike(like: Tensor): Tensor {
  return broadcastTo(like.graph.scalar(0), like);
}

const SIZE = simpleOp("Size", { stopsGradient: true });
const SHAPE = simpleOp("Shape", { stopsGradient: true });

/** Number of elements of `x` at run time: int64 scalar. */
export function sizeOf(x: Tensor): Tensor {
  return apply1(x.graph, SIZE, [x], [], "int64");
}

/** Shape of `x` at run time: int64 `[rank]`. */
export function shapeOf(x: Tensor): Tensor {
  return apply1(x.graph, SHAPE, [x], [x.rank], "int64");
}
