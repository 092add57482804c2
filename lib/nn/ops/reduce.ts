/**
 * Reductions (sum, mean, max over axes) and the broadcast helpers their
 * gradients use.
 *
 * @module
 */
import type { Emitter, Node, OpDef, Tensor } from "../graph.ts";
import { type Dim, formatShape, normAxis, type Shape, ShapeError } from "../shape.ts";
import { apply1, requireFloat, simpleOp } from "./_define.ts";
import { cast, div, equal, mul } from "./elementwise.ts";
import { broadcastTo, sizeOf, squeeze, unsqueeze } from "./shape_ops.ts";

/** Options of the reductions. */
export interface ReduceOptions {
  /** Axes to reduce (negative counts from the end). @default all axes */
  axes?: readonly number[];
  /** Keep reduced axes as size 1. @default false */
  keepdims?: boolean;
}

interface ReduceAttrs {
  axes: number[];
  keepdims: boolean;
}

function resolve(op: string, x: Tensor, options: ReduceOptions): ReduceAttrs {
  const axes = options.axes === undefined
    ? x.shape.map((_, i) => i)
    : [...new Set(options.axes.map((a) => normAxis(op, a, x.rank, x.shape)))].sort((a, b) => a - b);
  return { axes, keepdims: options.keepdims ?? false };
}

function reducedShape(x: Tensor, { axes, keepdims }: ReduceAttrs): Dim[] {
  const out: Dim[] = [];
  x.shape.forEach((d, i) => {
    if (!axes.includes(i)) out.push(d);
    else if (keepdims) out.push(1);
  });
  return out;
}

/** Gradient of a reduction output, broadcast back over the reduced axes of `x`. */
function spread(g: Tensor, x: Tensor, attrs: ReduceAttrs): Tensor {
  const kept = attrs.keepdims ? g : unsqueeze(g, attrs.axes);
  return broadcastTo(kept, x);
}

/**
 * Number of elements folded into each reduced value: a number when the reduced
 * dimensions are static, else a float scalar tensor computed at run time.
 */
function reducedCount(x: Tensor, y: Tensor, axes: readonly number[]): number | Tensor {
  let n = 1;
  for (const a of axes) {
    const d = x.shape[a];
    if (typeof d !== "number") {
      return div(cast(sizeOf(x), x.dtype), cast(sizeOf(y), x.dtype));
    }
    n *= d;
  }
  return n;
}

const REDUCE_SUM: OpDef = {
  type: "ReduceSum",
  emit(n: Node, e: Emitter) {
    const { axes, keepdims } = n.attrs as unknown as ReduceAttrs;
    e.add(
      "ReduceSum",
      [e.name(n.inputs[0]), e.ints(axes)],
      [e.name(n.outputs[0])],
      { keepdims: { i: keepdims ? 1 : 0 } },
    );
  },
  vjp: (n, [g]) => [spread(g!, n.inputs[0], n.attrs as unknown as ReduceAttrs)],
};

const REDUCE_MEAN = simpleOp("ReduceMean", {
  attrs: (n) => {
    const { axes, keepdims } = n.attrs as unknown as ReduceAttrs;
    return { axes: { ints: axes }, keepdims: { i: keepdims ? 1 : 0 } };
  },
  vjp: (n, [g]) => {
    const x = n.inputs[0];
    const attrs = n.attrs as unknown as ReduceAttrs;
    const count = reducedCount(x, n.outputs[0], attrs.axes);
    return [spread(div(g!, count), x, attrs)];
  },
});

const REDUCE_MAX = simpleOp("ReduceMax", {
  attrs: (n) => {
    const { axes, keepdims } = n.attrs as unknown as ReduceAttrs;
    return { axes: { ints: axes }, keepdims: { i: keepdims ? 1 : 0 } };
  },
  vjp: (n, [g]) => {
    // Ties share the gradient equally (as torch.amax).
    const x = n.inputs[0];
    const attrs = n.attrs as unknown as ReduceAttrs;
    const yKeep = attrs.keepdims ? n.outputs[0] : unsqueeze(n.outputs[0], attrs.axes);
    const mask = cast(equal(x, yKeep), x.dtype);
    const ties = reduceSum(mask, { axes: attrs.axes, keepdims: true });
    const gKeep = attrs.keepdims ? g! : unsqueeze(g!, attrs.axes);
    return [mul(mask, div(gKeep, ties))];
  },
});

function reduce(op: OpDef, x: Tensor, options: ReduceOptions): Tensor {
  requireFloat(op.type, x);
  const attrs = resolve(op.type, x, options);
  return apply1(x.graph, op, [x], reducedShape(x, attrs), x.dtype, attrs);
}

/** Sum over axes (all by default). @throws {ShapeError} When an axis is out of range. */
export function reduceSum(x: Tensor, options: ReduceOptions = {}): Tensor {
  return reduce(REDUCE_SUM, x, options);
}
/** Mean over axes (all by default). @throws {ShapeError} When an axis is out of range. */
export function reduceMean(x: Tensor, options: ReduceOptions = {}): Tensor {
  return reduce(REDUCE_MEAN, x, options);
}
/** Maximum over axes (all by default); ties share the gradient. */
export function reduceMax(x: Tensor, options: ReduceOptions = {}): Tensor {
  return reduce(REDUCE_MAX, x, options);
}
/** Sum of all elements: a scalar `[]`. */
export function sum(x: Tensor): Tensor {
  return reduceSum(x);
}
/** Mean of all elements: a scalar `[]`. */
export function mean(x: Tensor): Tensor {
  return reduceMean(x);
}

/**
 * Sum a broadcast gradient back to `shape` (the input's shape before
 * broadcasting): sums over added leading axes and over axes that were 1.
 * @throws {ShapeError} When `shape` does not broadcast to the gradient's shape.
 */
export function unbroadcast(g: Tensor, shape: Shape): Tensor {
  const lead = g.rank - shape.length;
  if (lead < 0) {
    throw new ShapeError(
      "Unbroadcast",
      `gradient ${formatShape(g.shape)} has lower rank than input ${formatShape(shape)}`,
      [g.shape, shape],
    );
  }
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) {
    if (i < lead) axes.push(i);
    else {
      const d = shape[i - lead];
      if (d === g.shape[i]) continue;
      if (d === 1) axes.push(i);
      else {
        throw new ShapeError(
          "Unbroadcast",
          `input ${formatShape(shape)} does not broadcast to ${formatShape(g.shape)}`,
          [shape, g.shape],
        );
      }
    }
  }
  if (axes.length === 0) return g;
  if (axes.length === lead) return reduceSum(g, { axes, keepdims: false });
  const r = reduceSum(g, { axes, keepdims: true });
  return lead > 0 ? squeeze(r, axes.slice(0, lead)) : r;
}
