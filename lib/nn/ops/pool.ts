/**
 * 1-D pooling: max pooling (ONNX MaxPool forward; gradient to the first maximum
 * of each window, as PyTorch), average pooling and adaptive average pooling
 * (both as a MatMul with a constant averaging matrix `[L, L_out]`).
 *
 * @module
 */
import { gradients } from "../autodiff.ts";
import type { Emitter, Node, OpDef, Tensor } from "../graph.ts";
import { formatShape, ShapeError } from "../shape.ts";
import { apply1, requireFloat, requireRank, staticDim } from "./_define.ts";
import { add, cast, greaterOrEqual, mul, sub } from "./elementwise.ts";
import { matmul } from "./linalg.ts";
import { concat, pad, reshape, slice, squeeze, transpose, unsqueeze } from "./shape_ops.ts";

interface PoolAttrs {
  kernel: number;
  stride: number;
  padding: number;
}

function checkPool(op: string, x: Tensor, a: PoolAttrs, lengthAxis = 2): number {
  requireFloat(op, x);
  requireRank(op, x, [3]);
  const length = staticDim(op, x, lengthAxis);
  for (
    const [name, v, min] of [["kernel", a.kernel, 1], ["stride", a.stride, 1], [
      "padding",
      a.padding,
      0,
    ]] as const
  ) {
    if (!Number.isInteger(v) || v < min) {
      throw new RangeError(`${op}: ${name} must be an integer >= ${min}, got ${v}`);
    }
  }
  if (a.padding * 2 > a.kernel) {
    throw new RangeError(`${op}: padding ${a.padding} must be at most half the kernel ${a.kernel}`);
  }
  const out = Math.floor((length + 2 * a.padding - a.kernel) / a.stride) + 1;
  if (out < 1) {
    throw new ShapeError(op, `input ${formatShape(x.shape)} is shorter than kernel ${a.kernel}`, [
      x.shape,
    ]);
  }
  return out;
}

const ARGMAX: OpDef = {
  type: "ArgMax",
  emit(n: Node, e: Emitter) {
    e.add("ArgMax", [e.name(n.inputs[0])], [e.name(n.outputs[0])], {
      axis: { i: n.attrs.axis as number },
      keepdims: { i: 1 },
      select_last_index: { i: 0 },
    });
  },
};

/**
 * Index of the first maximum along `axis` (kept as size 1), int64. No gradient.
 * @throws {ShapeError} When the axis is out of range.
 */
export function argMax(x: Tensor, axis: number): Tensor {
  const a = axis < 0 ? axis + x.rank : axis;
  if (a < 0 || a >= x.rank) {
    throw new ShapeError("ArgMax", `axis ${axis} out of range for ${formatShape(x.shape)}`, [
      x.shape,
    ]);
  }
  const shape = [...x.shape];
  shape[a] = 1;
  return apply1(x.graph, ARGMAX, [x], shape, "int64", { axis: a });
}

/** Windows of a max pool, `[B, C, L_out, k]`; padded positions hold -3e38. */
function windows(x: Tensor, a: PoolAttrs, outLen: number): Tensor {
  let xp = x;
  if (a.padding > 0) {
    const length = x.shape[2] as number;
    xp = pad(x, { 2: [a.padding, a.padding] });
    const fill = new Array(length + 2 * a.padding).fill(0);
    for (let i = 0; i < a.padding; i++) fill[i] = fill[fill.length - 1 - i] = -3e38;
    xp = add(xp, x.graph.constant(fill, [fill.length]));
  }
  const parts: Tensor[] = [];
  for (let t = 0; t < a.kernel; t++) {
    parts.push(unsqueeze(
      slice(xp, [t], [t + a.stride * (outLen - 1) + 1], { axes: [2], steps: [a.stride] }),
      [3],
    ));
  }
  return concat(parts, { axis: 3 });
}

const MAX_POOL: OpDef = {
  type: "MaxPool1d",
  emit(n: Node, e: Emitter) {
    const a = n.attrs as unknown as PoolAttrs;
    e.add("MaxPool", [e.name(n.inputs[0])], [e.name(n.outputs[0])], {
      kernel_shape: { ints: [a.kernel] },
      strides: { ints: [a.stride] },
      pads: { ints: [a.padding, a.padding] },
    });
  },
  vjp: (n, [g]) => {
    const x = n.inputs[0];
    const a = n.attrs as unknown as PoolAttrs;
    const outLen = n.outputs[0].shape[2] as number;
    if (a.stride === a.kernel && a.padding === 0) {
      return [tiledMaxPoolGrad(x, g!, a.kernel, outLen)];
    }
    const win = windows(x, a, outLen); // [B, C, L_out, k]
    const first = argMax(win, 3); // [B, C, L_out, 1]
    const iota = x.graph.constant([...Array(a.kernel).keys()], [a.kernel], "int64");
    const onehot = cast(equalInt(first, iota), x.dtype); // [B, C, L_out, k]
    const dWin = mul(onehot, unsqueeze(g!, [3]));
    return gradients(win, [x], { seed: dWin });
  },
};

/**
 * Gradient of a maximum over axis `axis` of a window tensor `win` (`[B, C, L_out, k]`
 * with axis 3, or channels last `[B, L_out, k, C]` with axis 2) for the output
 * gradient `g` (`win` without that axis). It goes to the first maximum of each
 * window (PyTorch's max pooling); for k = 2 that is window position 0 where
 * x0 >= x1, else position 1, written without broadcasting so the elementwise
 * passes run over contiguous memory.
 */
function windowMaxGrad(win: Tensor, g: Tensor, axis: number): Tensor {
  const k = win.shape[axis] as number;
  if (k === 1) return unsqueeze(g, [axis]);
  if (k === 2) {
    const at = (i: number) => squeeze(slice(win, [i], [i + 1], { axes: [axis] }), [axis]);
    const first = cast(greaterOrEqual(at(0), at(1)), win.dtype);
    const g0 = mul(g, first);
    return concat([unsqueeze(g0, [axis]), unsqueeze(sub(g, g0), [axis])], { axis });
  }
  const iotaShape = win.shape.map((_, i) => (i === axis ? k : 1)).slice(axis);
  const iota = win.graph.constant([...Array(k).keys()], iotaShape, "int64");
  const onehot = cast(equalInt(argMax(win, axis), iota), win.dtype);
  return mul(onehot, unsqueeze(g, [axis]));
}

/** The tiling windows of x: the first `k L_out` positions reshaped (a free view). */
function tiles(x: Tensor, k: number, outLen: number, nlc: boolean): Tensor {
  const [batch, a, b] = x.shape;
  const lengthAxis = nlc ? 1 : 2;
  const used = k * outLen;
  const xs = used === x.shape[lengthAxis] ? x : slice(x, [0], [used], { axes: [lengthAxis] });
  return nlc ? reshape(xs, [batch, outLen, k, b]) : reshape(xs, [batch, a, outLen, k]);
}

/**
 * Gradient of a channels-first max pool whose windows tile the input (stride =
 * kernel, no padding): through the tiles, with no strided slices (whose gradients
 * would be Pads), then zeros for a remainder shorter than a window.
 */
function tiledMaxPoolGrad(x: Tensor, g: Tensor, k: number, outLen: number): Tensor {
  const gx = reshape(windowMaxGrad(tiles(x, k, outLen, false), g, 3), [
    x.shape[0],
    x.shape[1],
    k * outLen,
  ]);
  const rest = (x.shape[2] as number) - k * outLen;
  return rest === 0 ? gx : pad(gx, { 2: [0, rest] });
}

/** Maximum over one axis of a channels-last window tensor (ONNX ReduceMax). */
const WINDOW_MAX: OpDef = {
  type: "WindowMax",
  emit(n: Node, e: Emitter) {
    e.add("ReduceMax", [e.name(n.inputs[0])], [e.name(n.outputs[0])], {
      axes: { ints: [n.attrs.axis as number] },
      keepdims: { i: 0 },
    });
  },
  vjp: (n, [g]) => [windowMaxGrad(n.inputs[0], g!, n.attrs.axis as number)],
};

const EQUAL_INT = {
  type: "Equal",
  emit(n: Node, e: Emitter) {
    e.add("Equal", n.inputs.map((t) => e.name(t)), [e.name(n.outputs[0])]);
  },
} satisfies OpDef;

/** Equal of two int64 tensors; `b` broadcasts against `a` where `a` has size 1 (right-aligned). */
function equalInt(a: Tensor, b: Tensor): Tensor {
  const shape = [...a.shape];
  for (let i = 1; i <= b.rank; i++) {
    if (shape[shape.length - i] === 1) shape[shape.length - i] = b.shape[b.rank - i];
  }
  return apply1(a.graph, EQUAL_INT, [a, b], shape, "bool");
}

/** Options of the 1-D pools. */
export interface Pool1dOptions {
  /** Window length. */
  kernel: number;
  /** Step between windows. @default kernel */
  stride?: number;
  /** Implicit padding on both sides (-inf for max, 0 for average). @default 0 */
  padding?: number;
  /** `"ncl"`: x `[batch, C, L]`; `"nlc"`: x `[batch, L, C]` (channels last). @default "ncl" */
  layout?: "ncl" | "nlc";
}

/**
 * Max pooling over the length axis of `[batch, C, L]` (PyTorch `F.max_pool1d`,
 * floor mode), or of `[batch, L, C]` with `layout: "nlc"` (a ReduceMax over a
 * reshape when the windows tile the input, stride = kernel and no padding;
 * otherwise via transposes). The gradient goes to the first maximum of each window.
 * @throws {ShapeError} When the input is not rank 3 or too short.
 * @throws {RangeError} When kernel, stride or padding are invalid.
 */
export function maxPool1d(x: Tensor, options: Pool1dOptions): Tensor {
  const a: PoolAttrs = {
    kernel: options.kernel,
    stride: options.stride ?? options.kernel,
    padding: options.padding ?? 0,
  };
  const nlc = options.layout === "nlc";
  requireRank("MaxPool1d", x, [3]);
  const outLen = checkPool("MaxPool1d", x, a, nlc ? 1 : 2);
  if (nlc && a.stride === a.kernel && a.padding === 0) {
    // Channels last, tiling windows: a max over the window axis of a free reshape.
    const y = [x.shape[0], outLen, x.shape[2]];
    return apply1(x.graph, WINDOW_MAX, [tiles(x, a.kernel, outLen, true)], y, x.dtype, { axis: 2 });
  }
  if (nlc) {
    const y = maxPool1d(transpose(x, [0, 2, 1]), { ...options, layout: "ncl" });
    return transpose(y, [0, 2, 1]);
  }
  return apply1(x.graph, MAX_POOL, [x], [x.shape[0], x.shape[1], outLen], x.dtype, a);
}

/**
 * Average pooling over the length axis of `[batch, C, L]` (or `[batch, L, C]` with
 * `layout: "nlc"`; PyTorch `F.avg_pool1d`, floor mode, count_include_pad true), as a
 * MatMul with a constant matrix.
 * @throws {ShapeError} When the input is not rank 3 or too short.
 * @throws {RangeError} When kernel, stride or padding are invalid.
 */
export function avgPool1d(x: Tensor, options: Pool1dOptions): Tensor {
  const a: PoolAttrs = {
    kernel: options.kernel,
    stride: options.stride ?? options.kernel,
    padding: options.padding ?? 0,
  };
  const nlc = options.layout === "nlc";
  const outLen = checkPool("AvgPool1d", x, a, nlc ? 1 : 2);
  const length = x.shape[nlc ? 1 : 2] as number;
  const m = new Float64Array(length * outLen);
  for (let j = 0; j < outLen; j++) {
    const start = j * a.stride - a.padding;
    for (let t = 0; t < a.kernel; t++) {
      const i = start + t;
      if (i >= 0 && i < length) m[i * outLen + j] = 1 / a.kernel;
    }
  }
  return poolByMatrix(x, m, length, outLen, nlc);
}

/** y = x A (channels first) or A^T x (channels last) for an averaging matrix A `[L, L_out]`. */
function poolByMatrix(
  x: Tensor,
  m: Float64Array,
  length: number,
  outLen: number,
  nlc: boolean,
): Tensor {
  if (!nlc) return matmul(x, x.graph.constant(m, [length, outLen]));
  const t = new Float64Array(m.length);
  for (let i = 0; i < length; i++) {
    for (let j = 0; j < outLen; j++) t[j * length + i] = m[i * outLen + j];
  }
  return matmul(x.graph.constant(t, [outLen, length]), x);
}

/**
 * Adaptive average pooling of `[batch, C, L]` to `[batch, C, outputSize]` (or channels
 * last with `options.layout: "nlc"`)
 * (PyTorch `F.adaptive_avg_pool1d`: window j covers
 * [floor(j L / out), ceil((j + 1) L / out))), as a MatMul with a constant matrix.
 * @throws {ShapeError} When the input is not rank 3.
 * @throws {RangeError} When outputSize is not a positive integer.
 */
export function adaptiveAvgPool1d(
  x: Tensor,
  outputSize: number,
  options: { layout?: "ncl" | "nlc" } = {},
): Tensor {
  requireFloat("AdaptiveAvgPool1d", x);
  requireRank("AdaptiveAvgPool1d", x, [3]);
  if (!Number.isInteger(outputSize) || outputSize < 1) {
    throw new RangeError(
      `AdaptiveAvgPool1d: output size must be a positive integer, got ${outputSize}`,
    );
  }
  const nlc = options.layout === "nlc";
  const length = staticDim("AdaptiveAvgPool1d", x, nlc ? 1 : 2);
  if (outputSize === length) return x;
  const m = new Float64Array(length * outputSize);
  for (let j = 0; j < outputSize; j++) {
    const start = Math.floor((j * length) / outputSize);
    const end = Math.ceil(((j + 1) * length) / outputSize);
    for (let i = start; i < end; i++) m[i * outputSize + j] = 1 / (end - start);
  }
  return poolByMatrix(x, m, length, outputSize, nlc);
}
