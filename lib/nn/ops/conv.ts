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
 * - channels-last (`layout: "nlc"`): forward as im2col (padded input, `k`
 *   strided Slices, one Concat) and one Gemm `[B*L_out, k*C] x [k*C, O]`; the
 *   im2col tensor is kept for the weight gradient (one Gemm); the input gradient
 *   is `stride` phase GEMMs (each over the output gradient shifted per tap) and
 *   an interleave. Works in float32 and float64, so it is checked directly
 *   against finite differences.
 *
 * @module
 */
import type { Emitter, Node, OpDef, Tensor } from "../graph.ts";
import { formatShape, mulDims, ShapeError } from "../shape.ts";
import { apply1, requireFloat, requireRank, staticDim } from "./_define.ts";
import { add, stopGradient } from "./elementwise.ts";
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
  /**
   * Memory layout. `"ncl"`: x `[batch, C, L]` -> `[batch, O, L_out]` (PyTorch's
   * layout). `"nlc"` (channels last): x `[batch, L, C]` -> `[batch, L_out, O]`,
   * computed as one im2col GEMM with gradients as GEMMs (see module docs); the
   * weight keeps PyTorch's `[O, C, k]` layout either way.
   * @default "ncl"
   */
  layout?: "ncl" | "nlc";
  /**
   * With `layout: "nlc"`, take the input in `[batch, C, L]` instead (cheaper
   * im2col when C is small, e.g. the 3 stacked LiDAR scans); the output is still
   * channels last.
   * @default false
   */
  channelsFirstInput?: boolean;
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
      ? (a.inputGrad === "convtranspose"
        ? convTransposeGrad(g!, w, x, a)
        : phaseInputGrad(g!, w, x, a))
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
  for (
    const [name, v, min] of [["stride", stride, 1], ["dilation", dilation, 1], [
      "padding",
      pads[0],
      0,
    ], ["padding", pads[1], 0]] as const
  ) {
    if (!Number.isInteger(v) || v < min) {
      throw new RangeError(`Conv1d: ${name} must be an integer >= ${min}, got ${v}`);
    }
  }
  const nlc = options.layout === "nlc";
  const cf = !nlc || options.channelsFirstInput === true;
  const lengthAxis = cf ? 2 : 1;
  const channelAxis = cf ? 1 : 2;
  const length = staticDim("Conv1d", x, lengthAxis);
  const kernel = staticDim("Conv1d", weight, 2, "weight");
  if (x.shape[channelAxis] !== weight.shape[1]) {
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
      `input ${
        formatShape(x.shape)
      } is too short for kernel ${kernel} (dilation ${dilation}, padding ${pads.join("/")})`,
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
  if (nlc) {
    return conv1dNlc(
      x,
      weight,
      bias,
      {
        stride,
        pads,
        dilation,
        kernel,
        inputGrad: "phase",
        weightGrad: "gemm",
      },
      outLen,
      cf,
    );
  }
  const forward = options.forward ?? (x.dtype === "float32" ? "native" : "im2col");
  if (forward === "native" && x.dtype !== "float32") {
    throw new RangeError(
      "Conv1d: the native formulation needs float32 (ONNX Runtime has no double Conv)",
    );
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
    phases.push(
      phase ?? zerosLike(slice(x, [r], [r + s * (len - 1) + 1], { axes: [2], steps: [s] })),
    );
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

// ---- channels last -----------------------------------------------------------------
//
// Input positions are grouped in rows of `stride` positions: x [B, L, C] (zero-padded
// at the end to a multiple of s) viewed as xr [B, Lr, s*C]. Tap t of output j reads
// position s*j + d*t - p = s*(j + delta_t) + beta_t, i.e. block beta_t of row
// j + delta_t. The im2col matrix is the concatenation, for each distinct row offset
// delta, of the used block range of xr shifted by delta rows; the input gradient is
// one GEMM of the output gradient shifted by -delta (per delta) with a block weight
// matrix, written directly in row layout (no interleave).

interface TapPlacement {
  /** Row offset of each tap. */
  delta: number[];
  /** Block (position within the row) of each tap. */
  beta: number[];
  /** Distinct row offsets in ascending order, with the block range each uses. */
  rows: { delta: number; lo: number; hi: number }[];
}

function placeTaps(a: ConvAttrs): TapPlacement {
  const s = a.stride;
  const delta: number[] = [];
  const beta: number[] = [];
  for (let t = 0; t < a.kernel; t++) {
    const off = a.dilation * t - a.pads[0];
    delta.push(Math.floor(off / s));
    beta.push(((off % s) + s) % s);
  }
  const rows = [...new Set(delta)].sort((x, y) => x - y).map((d) => {
    const bs = beta.filter((_, t) => delta[t] === d);
    return { delta: d, lo: Math.min(...bs), hi: Math.max(...bs) };
  });
  return { delta, beta, rows };
}

interface NlcAttrs extends ConvAttrs {
  channelsFirstInput: boolean;
  outLen: number;
  /** Row (im2col column block) of each tap in the im2col matrix, in units of C. */
  colBlock: number[];
  /** Number of C-blocks in the im2col matrix. */
  colBlocks: number;
  /** Whether input 2 is a bias. */
  hasBias: boolean;
  /** Channels-last im2col pieces: first C-block and width in C-blocks. */
  pieces: { offset: number; width: number }[];
}

const CONV_NLC: OpDef = {
  type: "Conv1dNLC",
  // inputs: [x, w, bias?, ...pieces]. For a channels-last input the pieces are the
  // row-blocked im2col blocks [B, L_out, width*C] (one per row offset, built as IR)
  // and y is a sum of one Gemm per piece (no concatenated im2col matrix). For a
  // channels-first input the op writes the im2col matrix itself (output 1).
  emit(n: Node, e: Emitter) {
    const a = n.attrs as unknown as NlcAttrs;
    const w = n.inputs[1];
    const b = a.hasBias ? n.inputs[2] : undefined;
    const pieces = n.inputs.slice(a.hasBias ? 3 : 2);
    const y = n.outputs[0];
    const c = w.shape[1] as number;
    const o = w.shape[0] as number;
    // Weight matrix [colBlocks*C, O]: block colBlock[t] = W[:, :, t]^T, unused blocks zero.
    const wt = e.fresh(`${n.name}.w_t`);
    e.add("Transpose", [e.name(w)], [wt], { perm: { ints: [2, 1, 0] } }); // [k, C, O]
    let wm = wt;
    if (!(a.colBlocks === a.kernel && a.colBlock.every((r, t) => r === t))) {
      const ext = e.fresh(`${n.name}.w_ext`);
      e.add("Concat", [wt, e.zeros([1, c, o])], [ext], { axis: { i: 0 } });
      const order = new Array(a.colBlocks).fill(a.kernel);
      a.colBlock.forEach((r, t) => (order[r] = t));
      wm = e.fresh(`${n.name}.w_blocks`);
      e.add("Gather", [ext, e.ints(order)], [wm], { axis: { i: 0 } });
    }
    const wmat = e.fresh(`${n.name}.w_mat`);
    e.add("Reshape", [wm, e.ints([a.colBlocks * c, o])], [wmat]);
    if (a.channelsFirstInput) {
      const cols3 = e.fresh(`${n.name}.cols3`);
      emitIm2colCf(n, e, a, cols3);
      const cols = e.name(n.outputs[1]);
      e.add("Reshape", [cols3, e.ints([-1, a.colBlocks * c])], [cols]);
      e.add("Gemm", b ? [cols, wmat, e.name(b)] : [cols, wmat], [e.name(y)]);
      return;
    }
    let acc = b ? e.name(b) : "";
    a.pieces.forEach((piece, k) => {
      const p2 = e.fresh(`${n.name}.piece${k}`);
      e.add("Reshape", [e.name(pieces[k]), e.ints([-1, piece.width * c])], [p2]);
      let wk = wmat;
      if (a.pieces.length > 1) {
        wk = e.fresh(`${n.name}.w_piece${k}`);
        e.add("Slice", [
          wmat,
          e.ints([piece.offset * c]),
          e.ints([(piece.offset + piece.width) * c]),
          e.ints([0]),
        ], [wk]);
      }
      const out = k === a.pieces.length - 1 ? e.name(y) : e.fresh(`${n.name}.partial${k}`);
      e.add("Gemm", acc ? [p2, wk, acc] : [p2, wk], [out]);
      acc = out;
    });
  },
  vjp: (n, [g], needs) => {
    const a = n.attrs as unknown as NlcAttrs;
    const [x, w] = n.inputs;
    const b = a.hasBias ? n.inputs[2] : undefined;
    const pieces = n.inputs.slice(a.hasBias ? 3 : 2);
    if (!g) return n.inputs.map(() => null);
    const [o, c, k] = w.shape as number[];
    const g2 = g; // [B*L_out, O]
    let gw: Tensor | null = null;
    if (needs[1]) {
      // dW' = cols^T g, one GEMM per im2col piece. The narrower operand is the
      // transposed one (MLAS packs the other): g^T piece -> [O, width] when the piece
      // is wider than O (later layers), piece^T g -> [width, O] otherwise (first layer).
      const srcs = a.channelsFirstInput
        ? [n.outputs[1]]
        : pieces.map((p, i) => reshape(p, [-1, a.pieces[i].width * c]));
      const wide = srcs.every((src) => (src.shape[1] as number) >= o);
      const identity = a.colBlock.every((r, t) => r === t) && a.colBlocks === k;
      if (wide) {
        const dw = concat(srcs.map((src) => gemm(g2, src, { transA: true })), { axis: 1 });
        const blocks = reshape(dw, [o, a.colBlocks, c]); // [O, colBlocks, C]
        gw = transpose(identity ? blocks : gatherStatic(blocks, a.colBlock, 1), [0, 2, 1]);
      } else {
        // (a Transpose right after these Gemms would be folded back by ONNX Runtime)
        const dw = concat(srcs.map((src) => gemm(src, g2, { transA: true })), { axis: 0 });
        const blocks = reshape(dw, [a.colBlocks, c, o]); // [colBlocks, C, O]
        gw = transpose(identity ? blocks : gatherStatic(blocks, a.colBlock, 0), [2, 1, 0]);
      }
    }
    const gb = b && needs[2] ? reduceSum(g2, { axes: [0] }) : null;
    let gx: Tensor | null = null;
    if (needs[0]) {
      const length = x.shape[a.channelsFirstInput ? 2 : 1] as number;
      gx = rowInputGrad(reshape(g2, [x.shape[0], a.outLen, o]), w, a, length);
      if (a.channelsFirstInput) gx = transpose(gx, [0, 2, 1]);
    }
    return n.inputs.map((_, i) => (i === 0 ? gx : i === 1 ? gw : i === 2 && b ? gb : null));
  },
};

function emitIm2colCf(n: Node, e: Emitter, a: NlcAttrs, out: string): void {
  // x [B, C, L]: pad L, k strided slices [B, C, L_out], stack [B, k, C, L_out],
  // transpose to [B, L_out, k, C] (tap-major columns).
  let xp = e.name(n.inputs[0]);
  if (a.pads[0] > 0 || a.pads[1] > 0) {
    const padded = e.fresh(`${n.name}.padded`);
    e.add("Pad", [xp, e.ints([0, 0, a.pads[0], 0, 0, a.pads[1]]), e.scalar(0)], [padded], {
      mode: { s: "constant" },
    });
    xp = padded;
  }
  const taps: string[] = [];
  for (let t = 0; t < a.kernel; t++) {
    const start = a.dilation * t;
    const tap = e.fresh(`${n.name}.tap${t}`);
    e.add("Slice", [
      xp,
      e.ints([start]),
      e.ints([start + a.stride * (a.outLen - 1) + 1]),
      e.ints([2]),
      e.ints([a.stride]),
    ], [tap]);
    const u = e.fresh(`${n.name}.tap${t}u`);
    e.add("Unsqueeze", [tap, e.ints([1])], [u]);
    taps.push(u);
  }
  let stacked = taps[0];
  if (taps.length > 1) {
    stacked = e.fresh(`${n.name}.stacked`);
    e.add("Concat", taps, [stacked], { axis: { i: 1 } });
  }
  e.add("Transpose", [stacked], [out], { perm: { ints: [0, 3, 1, 2] } });
}

/** x [B, L, C] viewed as rows of `s` positions: [B, ceil(L/s), s*C] (zero-padded at the end). */
function toRows(x: Tensor, s: number): Tensor {
  const length = x.shape[1] as number;
  const c = x.shape[2] as number;
  const rows = Math.ceil(length / s);
  const xp = rows * s > length ? pad(x, { 1: [0, rows * s - length] }) : x;
  return s === 1 ? xp : reshape(xp, [x.shape[0], rows, s * c]);
}

function conv1dNlc(
  x: Tensor,
  w: Tensor,
  bias: Tensor | undefined,
  a: ConvAttrs,
  outLen: number,
  channelsFirstInput: boolean,
): Tensor {
  const [o, c, k] = w.shape as number[];
  const batch = x.shape[0];
  let colBlock: number[];
  let colBlocks: number;
  const pieces: Tensor[] = [];
  const pieceSpans: { offset: number; width: number }[] = [];
  if (channelsFirstInput) {
    colBlock = [...Array(k).keys()];
    colBlocks = k;
  } else {
    // Row-blocked im2col pieces as IR (Slice/Pad); the node differentiates x itself.
    const place = placeTaps(a);
    const xr = stopGradient(toRows(x, a.stride));
    colBlock = new Array(k).fill(0);
    let offset = 0;
    for (const row of place.rows) {
      const width = row.hi - row.lo + 1;
      pieces.push(shiftRows(xr, row.delta, outLen, [row.lo * c, (row.lo + width) * c]));
      pieceSpans.push({ offset, width });
      for (let t = 0; t < k; t++) {
        if (place.delta[t] === row.delta) colBlock[t] = offset + place.beta[t] - row.lo;
      }
      offset += width;
    }
    colBlocks = offset;
  }
  const inputs = [x, w, ...(bias ? [bias] : []), ...pieces];
  const attrs: NlcAttrs = {
    ...a,
    channelsFirstInput,
    outLen,
    colBlock,
    colBlocks,
    hasBias: !!bias,
    pieces: pieceSpans,
  };
  const outputs = [{ shape: [mulDims(batch, outLen), o], dtype: x.dtype }];
  if (channelsFirstInput) {
    outputs.push({ shape: [mulDims(batch, outLen), colBlocks * c], dtype: x.dtype });
  }
  // The GEMM output [B*L_out, O] is reshaped by a separate IR node, so an activation
  // applied next is written before the reshape and fused with the Gemm by ONNX Runtime.
  const flat = x.graph.apply(CONV_NLC, inputs, outputs, attrs)[0];
  return reshape(flat, [batch, outLen, o]);
}

/**
 * Shift along axis 1 of `[B, n, W]`: out[m] = g[m + q] for m < len, zero outside
 * [0, n); optionally keep only columns [lo, hi) of axis 2 (one Slice for both).
 */
function shiftRows(g: Tensor, q: number, len: number, columns?: [number, number]): Tensor {
  const n = g.shape[1] as number;
  const width = g.shape[2] as number;
  const [lo, hi] = columns ?? [0, width];
  const start = Math.max(0, q);
  const end = Math.min(n, len + q);
  if (end <= start) {
    const cut = slice(pad(g, { 1: [0, len] }), [n, lo], [n + len, hi], { axes: [1, 2] });
    return zerosLike(cut);
  }
  let r = g;
  if (start > 0 || end < n || lo > 0 || hi < width) {
    r = slice(g, [start, lo], [end, hi], { axes: [1, 2] });
  }
  const before = Math.max(0, -q);
  const after = len - before - (end - start);
  if (before > 0 || after > 0) r = pad(r, { 1: [before, after] });
  return r;
}

/**
 * Channels-last input gradient in row layout: dxr[m, block beta] =
 * sum over taps t with beta_t = beta of g[m - delta_t] W[:, :, t], as one GEMM
 * of [shift(g, -delta) for each row offset] `[B*Lr, n_delta*O]` with a block
 * matrix `[n_delta*O, s*C]`.
 */
function rowInputGrad(g: Tensor, w: Tensor, a: ConvAttrs, length: number): Tensor {
  const s = a.stride;
  const [o, c, k] = w.shape as number[];
  const batch = g.shape[0];
  const rowsLen = Math.ceil(length / s);
  const place = placeTaps(a);
  const shifted = place.rows.map((row) => shiftRows(g, -row.delta, rowsLen));
  const gr = reshape(concat(shifted, { axis: 2 }), [-1, place.rows.length * o]);
  // Block matrix rows (delta index, O) x columns (beta, C): W[:, :, t] at (delta_t, beta_t).
  // Gather [O, C] tap blocks from [k + 1, O, C] (index k = zeros).
  const wt = transpose(w, [2, 0, 1]); // [k, O, C]
  const ext = concat([wt, w.graph.constant(new Float64Array(o * c), [1, o, c])], { axis: 0 });
  const order: number[] = [];
  for (const row of place.rows) {
    for (let beta = 0; beta < s; beta++) {
      const t = place.delta.findIndex((d, i) => d === row.delta && place.beta[i] === beta);
      order.push(t >= 0 ? t : k);
    }
  }
  const blocks = gatherStatic(ext, order, 0); // [n_delta * s, O, C]
  const bm = reshape(transpose(reshape(blocks, [place.rows.length, s, o, c]), [0, 2, 1, 3]), [
    place.rows.length * o,
    s * c,
  ]);
  const dxr = gemm(gr, bm); // [B*Lr, s*C]
  const dx = reshape(dxr, [batch, rowsLen * s, c]);
  return rowsLen * s > length ? slice(dx, [0], [length], { axes: [1] }) : dx;
}
