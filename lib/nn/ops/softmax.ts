/**
 * Softmax and log-softmax along one axis.
 *
 * @module
 */
import type { Tensor } from "../graph.ts";
import { normAxis } from "../shape.ts";
import { apply1, requireFloat, simpleOp } from "./_define.ts";
import { exp, mul, sub } from "./elementwise.ts";
import { reduceSum } from "./reduce.ts";

const SOFTMAX = simpleOp("Softmax", {
  attrs: (n) => ({ axis: { i: n.attrs.axis as number } }),
  vjp: (n, [g]) => {
    // dx = y * (g - sum(g * y, axis))
    const y = n.outputs[0];
    const axis = n.attrs.axis as number;
    return [mul(y, sub(g!, reduceSum(mul(g!, y), { axes: [axis], keepdims: true })))];
  },
});

const LOG_SOFTMAX = simpleOp("LogSoftmax", {
  attrs: (n) => ({ axis: { i: n.attrs.axis as number } }),
  vjp: (n, [g]) => {
    // dx = g - exp(y) * sum(g, axis)
    const y = n.outputs[0];
    const axis = n.attrs.axis as number;
    return [sub(g!, mul(exp(y), reduceSum(g!, { axes: [axis], keepdims: true })))];
  },
});

/**
 * Softmax along `axis`: `exp(x_i) / sum_j exp(x_j)`.
 * @param options.axis Axis. @default -1
 * @throws {ShapeError} When the axis is out of range.
 */
export function softmax(x: Tensor, options: { axis?: number } = {}): Tensor {
  requireFloat("Softmax", x);
  const axis = normAxis("Softmax", options.axis ?? -1, x.rank, x.shape);
  return apply1(x.graph, SOFTMAX, [x], x.shape, x.dtype, { axis });
}

/**
 * Log-softmax along `axis`: `x_i - log(sum_j exp(x_j))`.
 * @param options.axis Axis. @default -1
 * @throws {ShapeError} When the axis is out of range.
 */
export function logSoftmax(x: Tensor, options: { axis?: number } = {}): Tensor {
  requireFloat("LogSoftmax", x);
  const axis = normAxis("LogSoftmax", options.axis ?? -1, x.rank, x.shape);
  return apply1(x.graph, LOG_SOFTMAX, [x], x.shape, x.dtype, { axis });
}
