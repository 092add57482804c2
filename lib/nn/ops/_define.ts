/**
 * Helpers shared by op definitions.
 *
 * @module
 */
import type { Attr, DType, Emitter, Graph, Node, OpDef, Tensor, VjpRule } from "../graph.ts";
import { formatShape, type Shape, ShapeError } from "../shape.ts";

/** A tensor or a plain number (made a scalar constant of the graph's float type). */
export type Operand = Tensor | number;

/** Build an OpDef written as one ONNX node of `onnxType` with fixed or node-derived attributes. */
export function simpleOp(
  type: string,
  options: {
    onnxType?: string;
    attrs?: (node: Node) => Record<string, Attr>;
    vjp?: VjpRule;
    nondiffInputs?: readonly number[];
    stopsGradient?: boolean;
  } = {},
): OpDef {
  const onnxType = options.onnxType ?? type;
  return {
    type,
    emit(node: Node, e: Emitter) {
      e.add(
        onnxType,
        node.inputs.map((t) => e.name(t)),
        node.outputs.map((t) => e.name(t)),
        options.attrs?.(node),
      );
    },
    vjp: options.vjp,
    nondiffInputs: options.nondiffInputs,
    stopsGradient: options.stopsGradient,
  };
}

/** Apply a one-output op and return its output. */
export function apply1(
  graph: Graph,
  op: OpDef,
  inputs: readonly Tensor[],
  shape: Shape,
  dtype: DType,
  attrs: object = {},
): Tensor {
  return graph.apply(op, inputs, [{ shape, dtype }], attrs)[0];
}

/**
 * Resolve operands to tensors of one graph (numbers become scalar constants).
 * @throws {TypeError} When no operand is a tensor.
 */
export function operands(op: string, ...xs: Operand[]): Tensor[] {
  const t = xs.find((x): x is Tensor => typeof x !== "number");
  if (!t) throw new TypeError(`${op}: at least one operand must be a tensor`);
  return xs.map((x) => (typeof x === "number" ? t.graph.scalar(x) : x));
}

/**
 * Require a float tensor (of the graph's float type).
 * @throws {TypeError} When the tensor is int64 or bool.
 */
export function requireFloat(op: string, ...ts: Tensor[]): void {
  for (const t of ts) {
    if (t.dtype !== "float32" && t.dtype !== "float64") {
      throw new TypeError(`${op}: expected a float tensor, got ${t.dtype} ${t.describe()}`);
    }
  }
  for (const t of ts) {
    if (t.dtype !== ts[0].dtype) {
      throw new TypeError(
        `${op}: element types differ: ${ts[0].dtype} ${
          ts[0].describe()
        } and ${t.dtype} ${t.describe()}`,
      );
    }
  }
}

/**
 * Require a given rank.
 * @throws {ShapeError} When the rank differs.
 */
export function requireRank(op: string, t: Tensor, ranks: readonly number[], what = "input"): void {
  if (!ranks.includes(t.rank)) {
    throw new ShapeError(
      op,
      `${what} must have rank ${ranks.join(" or ")}, got ${formatShape(t.shape)}`,
      [t.shape],
    );
  }
}

/** Static number of a dimension, or throw naming the op. */
export function staticDim(op: string, t: Tensor, axis: number, what = "input"): number {
  const d = t.shape[axis];
  if (typeof d !== "number") {
    throw new ShapeError(
      op,
      `dimension ${axis} of ${what} ${formatShape(t.shape)} must be static, got '${d}'`,
      [t.shape],
    );
  }
  return d;
}
