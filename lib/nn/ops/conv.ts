/**
 * 1-D convolution (cross-correlation, PyTorch `F.conv1d`, groups = 1) with
 * selectable formulations, chosen at build time from the static shapes:
 *
 * - forward: `native` (ONNX Conv; float32 only in ONNX Runtime) or `im2col`
 *   (strided Slices + Concat + one MatMul; any float type, differentiated through
 *   its primitive ops).
 * - input gradient of a native conv: `phase` (the transposed convolution split
 *   into its `stride` output phases, each a stride-1 Conv over the output
 *   gradient with a subset of the taps, then interleaved) or `convtranspose`
 *   (one ONNX ConvTranspose).
 * - weight gradient of a native conv: `gemm` (channels-last im2col and one GEMM
 *   over batch x positions), `batched` (channels-first im2col, a batched MatMul
 *   and a sum over the batch) or `conv` (a Conv of the input by the output
 *   gradient with stride and dilation swapped).
 *
 * @module
 */
import type { Emitter, Node, OpDef, Tensor } from "../graph.ts";
import { formatShape, ShapeError } from "../shape.ts";
import { apply1, requireFloat, requireRank, staticDim } from "./_define.ts";
import { add } from "./elementwise.ts";
import { gemm, matmul } from "./linalg.ts";
import { reduceSum } from "./reduce.ts";
import { concat, pad, reshape, slice, transpose, unsqueeze, zerosLike } from "./shape_ops.ts";

/** Forward formulation of a conv. */
export type ConvForward = "native" | "im2col";
/** Input-gradient formulation of a native conv. */
export type ConvInputGrad = "phase" | "convtranspose";
/** Weight-gradient formulation of a native conv. */
export type ConvWeightGrad = "gemm" | "batched" | "conv";

/** Options of {@linkcode conv1dMap}. */
export interface Conv1dOptions {
  /** Bias `[out_channels]`. @default none */
  bias?: Tensor;
  /** Stride. @default 1 */
  stride?: number;
  /** Zero padding on both sides, or `[left, right]`. @default 0 */
  padding?: number | readonly [number, number];
  /** Dilation. @default 1 */
  dilation?: number;
  /** Forward formulation. @default "native" for float32, "im2col" for float64 */
  forward?: ConvForward;
  /** Input-gradient formulation of a native conv. @default "phase" */
  inputGrad?: ConvInputGrad;
  /** Weight-gradient formulation of a native conv. @default "gemm" */
  weightGrad?: ConvWeightGrad;
}

interface ConvAttrs {
  stride: number;
  pads: [number, number];
  dilation: number;
  kernel: number;
  inputGrad: ConvInputGrad;
  weightGrad: ConvWeightGrad;
}

/** Output length of a 1-D conv: floor((L + pl + pr - d (k - 1) - 1) / s) + 1. */
export function convOutputLength(
  length: number,
  kernel: number,
  options: { stride?: number; padding?: readonly [number, number]; dilation?: number } = {},
): number {
  const s = options.stride ?? 1;
  const [pl, pr] = options.padding ?? [0, 0];
  const d = options.dilation ?? 1;
  return Math.floor((length + pl + pr - d * (kernel - 1) - 1) / s) + 1;
}

const CONV: OpDef = {
  type: "Conv1d",
  emit(n: Node, e: Emitter) {
    const a = n.attrs as unknown as ConvAttrs;
    e.add("Conv", n.inputs.map((t) => e.name(t)), [e.name(n.outputs[0])], {
      kernel_shape: { ints: [a.kernel] },
      strides: { ints: [a.stride] },
      pads: { ints: a.pads },
      dilations: { ints: [a.dilation] },
    });
  },
  vjp: (n, [g], needs) => {
    const [x, w] = n.inputs;
    const a = n.attrs as unknown as ConvAttrs;
    const gx = needs[0]
      ? (a.inputGrad === "convtranspose" ? convTransposeGrad(g!, w, x, a) : phaseInputGrad(g!, w, x, a))
      : null;
    const gw = needs[1] ? weightGrad(g!, x, w, a) : null;
    const gb = n.inputs.length > 2 && needs[2] ? reduceSum(g!, { axes: [0, 2] }) : null;
    return [gx, gw, gb];
  },
};

/**
 * 1-D convolution `y[b, o, j] = bias[o] + sum_{c, t} w[o, c, t] x[b, c, s j + d t - p_left]`
 * (zero outside), x `[batch, C, L]`, w `[O, C, k]` -> `[batch, O, L_out]`.
 * @throws {ShapeError} When shapes do not fit or the output would be empty.
 * @throws {RangeError} When stride, dilation or padding are invalid, or `native` is asked for float64.
 */
export function conv1dMap(x: Tensor, weight: Tensor, options: Conv1dOptions = {}): Tensor {
  requireFloat("Conv1d", x, weight);
  requireRank("Conv1d", x, [3]);
  requireRank("Conv1d", weight, [3], "weight");
  const stride = options.stride ?? 1;
  const dilation = options.dilation ?? 1;
  const p = options.padding ?? 0;
  const pads: [number, number] = typeof p === "number" ? [p, p] : [p[0], p[1]];
  for (const [name, v, min] of [["stride", stride, 1], ["dilation", dilation, 1], [
    "padding",
    pads[0],
    0,
  ], ["padding", pads[1], 0]] as const) {
    if (!Number.isInteger(v) || v < min) {
      throw new RangeError(`Conv1d: ${name} must be an integer >= ${min}, got ${v}`);
    }
  }
  const length = staticDim("Conv1d", x, 2);
  const kernel = staticDim("Conv1d", weight, 2, "weight");
  if (x.shape[1] !== weight.shape[1]) {
    throw new ShapeError(
      "Conv1d",
      `input channels of ${formatShape(x.shape)} do not match weight ${formatShape(weight.shape)}`,
      [x.shape, weight.shape],
    );
  }
  const outLen = convOutputLength(length, kernel, { stride, padding: pads, dilation });
  if (outLen < 1) {
    throw new ShapeError(
      "Conv1d",
      `input ${formatShape(x.shape)} is too short for kernel ${kernel} (dilation ${dilation}, padding ${
        pads.join("/")
      })`,
      [x.shape, weight.shape],
    );
  }
  const bias = options.bias;
  if (bias) {
    requireFloat("Conv1d", x, bias);
    if (bias.rank !== 1 || bias.shape[0] !== weight.shape[0]) {
      throw new ShapeError(
        "Conv1d",
        `bias ${formatShape(bias.shape)} does not match weight ${formatShape(weight.shape)}`,
        [bias.shape, weight.shape],
      );
    }
  }
  const forward = options.forward ?? (x.dtype === "float32" ? "native" : "im2col");
  if (forward === "native" && x.dtype !== "float32") {
    throw new RangeError("Conv1d: the native formulation needs float32 (ONNX Runtime has no double Conv)");
  }
  const attrs: ConvAttrs = {
    stride,
    pads,
    dilation,
    kernel,
    inputGrad: options.inputGrad ?? "phase",
    weightGrad: options.weightGrad ?? "gemm",
  };
  if (forward === "im2col") return im2colForward(x, weight, bias, attrs, outLen);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return apply1(x.graph, CONV, inputs, [x.shape[0], weight.shape[0], outLen], x.dtype, attrs);
}

/** Taps of a padded input: k tensors `[B, C, L_out]` (strided slices). */
function taps(xp: Tensor, a: ConvAttrs, outLen: number, axis: number): Tensor[] {
  const out: Tensor[] = [];
  for (let t = 0; t < a.kernel; t++) {
    const start = a.dilation * t;
    out.push(slice(xp, [start], [start + a.stride * (outLen - 1) + 1], {
      axes: [axis],
      steps: [a.stride],
    }));
  }
  return out;
}

/** Channels-first im2col: `[B, C * k, L_out]`, row index c * k + t. */
function im2colChannelsFirst(x: Tensor, a: ConvAttrs, outLen: number): Tensor {
  const xp = pad(x, { 2: a.pads });
  const cols = taps(xp, a, outLen, 2).map((t) => unsqueeze(t, [2]));
  const stacked = concat(cols, { axis: 2 }); // [B, C, k, L_out]
  return reshape(stacked, [x.shape[0], -1, outLen]);
}

function im2colForward(
  x: Tensor,
  w: Tensor,
  bias: Tensor | undefined,
  a: ConvAttrs,
  outLen: number,
): Tensor {
  const cols = im2colChannelsFirst(x, a, outLen); // [B, C*k, L_out]
  const wm = reshape(w, [w.shape[0], -1]); // [O, C*k]
  const y = matmul(wm, cols); // [B, O, L_out]
  return bias ? add(y, reshape(bias, [w.shape[0], 1])) : y;
}

// ---- weight gradients --------------------------------------------------------------

function weightGrad(g: Tensor, x: Tensor, w: Tensor, a: ConvAttrs): Tensor {
  const outLen = g.shape[2] as number;
  const [o, c, k] = w.shape as number[];
  if (a.weightGrad === "batched") {
    const cols = im2colChannelsFirst(x, a, outLen); // [B, C*k, L_out]
    const prod = matmul(g, transpose(cols, [0, 2, 1])); // [B, O, C*k]
    return reshape(reduceSum(prod, { axes: [0] }), [o, c, k]);
  }
  if (a.weightGrad === "conv") {
    // dW[o, c, t] = sum_b sum_j g[b, o, j] xp[b, c, s j + d t]: a conv of x^T by g^T
    // with stride d and dilation s.
    const xt = transpose(x, [1, 0, 2]); // [C, B, L]
    const gt = transpose(g, [1, 0, 2]); // [O, B, L_out]
    const r = conv1dMap(xt, gt, {
      stride: a.dilation,
      dilation: a.stride,
      padding: a.pads,
      forward: "native",
    }); // [C, O, k']
    const rk = (r.shape[2] as number) > k ? slice(r, [0], [k], { axes: [2] }) : r;
    return transpose(rk, [1, 0, 2]);
  }
  // gemm: channels-last im2col [B*L_out, k*C] and one GEMM with g as [B*L_out, O].
  const xt = pad(transpose(x, [0, 2, 1]), { 1: a.pads }); // [B, Lp, C]
  const cols = concat(taps(xt, a, outLen, 1), { axis: 2 }); // [B, L_out, k*C]
  const cols2 = reshape(cols, [-1, k * c]);
  const g2 = reshape(transpose(g, [0, 2, 1]), [-1, o]); // [B*L_out, O]
  const dw = gemm(g2, cols2, { transA: true }); // [O, k*C]
  return transpose(reshape(dw, [o, k, c]), [0, 2, 1]);
}

// ---- input gradients ---------------------------------------------------------------

const CONV_TRANSPOSE: OpDef = {
  type: "ConvTranspose",
  emit(n: Node, e: Emitter) {
    const a = n.attrs as unknown as ConvAttrs & { outputPadding: number };
    e.add("ConvTranspose", n.inputs.map((t) => e.name(t)), [e.name(n.outputs[0])], {
      kernel_shape: { ints: [a.kernel] },
      strides: { ints: [a.stride] },
      pads: { ints: a.pads },
      dilations: { ints: [a.dilation] },
      output_padding: { ints: [a.outputPadding] },
    });
  },
};

function convTransposeGrad(g: Tensor, w: Tensor, x: Tensor, a: ConvAttrs): Tensor {
  const length = x.shape[2] as number;
  const outLen = g.shape[2] as number;
  const natural = (outLen - 1) * a.stride - a.pads[0] - a.pads[1] + a.dilation * (a.kernel - 1) + 1;
  return apply1(g.graph, CONV_TRANSPOSE, [g, w], x.shape, x.dtype, {
    ...a,
    outputPadding: length - natural,
  });
}

const GATHER: OpDef = {
  type: "Gather",
  emit(n: Node, e: Emitter) {
    e.add("Gather", [e.name(n.inputs[0]), e.ints(n.attrs.indices as number[])], [
      e.name(n.outputs[0]),
    ], { axis: { i: n.attrs.axis as number } });
  },
};

/** Select static indices along an axis (no gradient rule; used inside gradient graphs). */
function gatherStatic(x: Tensor, indices: number[], axis: number): Tensor {
  const shape = [...x.shape];
  shape[axis] = indices.length;
  return apply1(x.graph, GATHER, [x], shape, x.dtype, { indices, axis });
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/**
 * Input gradient of a conv as `stride` phase convolutions. For output phase r
 * (input positions i = s m + r) the taps t with (r + p - d t) divisible by s
 * contribute `w[:, :, t]^T g[m + (r + p - d t) / s]`: a stride-1 conv of g with
 * those taps reversed, dilation d / gcd(d, s).
 */
function phaseInputGrad(g: Tensor, w: Tensor, x: Tensor, a: ConvAttrs): Tensor {
  const s = a.stride;
  const d = a.dilation;
  const p = a.pads[0];
  const length = x.shape[2] as number;
  const outLen = g.shape[2] as number;
  const dPrime = d / gcd(d, s);
  const phaseLen = Math.ceil(length / s);
  const phases: Tensor[] = [];
  for (let r = 0; r < s; r++) {
    const len = Math.ceil((length - r) / s); // positions with i % s == r
    const valid: number[] = [];
    for (let t = 0; t < a.kernel; t++) if ((((r + p - d * t) % s) + s) % s === 0) valid.push(t);
    let phase: Tensor | null = null;
    if (valid.length > 0 && len > 0) {
      const reversed = [...valid].reverse(); // ascending offsets
      const qMin = (r + p - d * reversed[0]) / s;
      const qMax = (r + p - d * reversed[reversed.length - 1]) / s;
      // dx_r[m] = sum_u W_u^T g[m + qMin + d' u], g zero outside [0, outLen): a stride-1
      // conv of g shifted by qMin (left pad -qMin, or drop qMin leading values).
      let src = g;
      let left = -qMin;
      if (left < 0) {
        src = slice(src, [-left], [outLen], { axes: [2] });
        left = 0;
      }
      const right = Math.max(0, len + qMax - outLen);
      const wr = transpose(gatherStatic(w, reversed, 2), [1, 0, 2]); // [C, O, K']
      let y = conv1dMap(src, wr, { padding: [left, right], dilation: dPrime, forward: "native" });
      if ((y.shape[2] as number) > len) y = slice(y, [0], [len], { axes: [2] });
      phase = y;
    }
    phases.push(phase ?? zerosLike(slice(x, [r], [r + s * (len - 1) + 1], { axes: [2], steps: [s] })));
  }
  if (s === 1) return phases[0];
  // Interleave phases: pad to a common length, stack on a new last axis, merge.
  const padded = phases.map((ph) => {
    const l = ph.shape[2] as number;
    return unsqueeze(l < phaseLen ? pad(ph, { 2: [0, phaseLen - l] }) : ph, [3]);
  });
  const merged = reshape(concat(padded, { axis: 3 }), [x.shape[0], x.shape[1], phaseLen * s]);
  return phaseLen * s > length ? slice(merged, [0], [length], { axes: [2] }) : merged;
}
