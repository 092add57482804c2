/**
 * The channels-first (`[batch, C, L]`) Conv1d op: forward as one ONNX Conv (float32),
 * input gradient as `stride` phase convolutions (the transposed convolution split
 * into its output phases, each a stride-1 Conv over the output gradient with a
 * subset of the taps, then interleaved), weight gradient as a channels-last im2col
 * and one GEMM; and the im2col forward (strided Slices + Concat + one MatMul) used
 * for float64, differentiated through its primitive ops.
 *
 * @module
 */
import type { Emitter, Node, OpDef, Tensor } from "../graph.ts";
import { apply1 } from "./_define.ts";
import { gatherStatic } from "./_gather.ts";
import { add } from "./elementwise.ts";
import { gemm, matmul } from "./linalg.ts";
import { reduceSum } from "./reduce.ts";
import { concat, pad, reshape, slice, transpose, unsqueeze, zerosLike } from "./shape_ops.ts";

/** Static attributes of a 1-D conv. */
export interface ConvAttrs {
  /** Stride. */
  stride: number;
  /** Zero padding `[left, right]`. */
  pads: [number, number];
  /** Dilation. */
  dilation: number;
  /** Kernel size. */
  kernel: number;
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
    const gx = needs[0] ? phaseInputGrad(g!, w, x, a) : null;
    const gw = needs[1] ? weightGrad(g!, x, w, a) : null;
    const gb = n.inputs.length > 2 && needs[2] ? reduceSum(g!, { axes: [0, 2] }) : null;
    return [gx, gw, gb];
  },
};

/**
 * The native (ONNX Conv) conv of x `[B, C, L]` by w `[O, C, k]` with an optional bias;
 * shapes are checked by the caller.
 */
export function nativeConv1d(
  x: Tensor,
  w: Tensor,
  a: ConvAttrs,
  bias?: Tensor,
): Tensor {
  const outLen = convOutputLength(x.shape[2] as number, a.kernel, {
    stride: a.stride,
    padding: a.pads,
    dilation: a.dilation,
  });
  const inputs = bias ? [x, w, bias] : [x, w];
  return apply1(x.graph, CONV, inputs, [x.shape[0], w.shape[0], outLen], x.dtype, { ...a });
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

export function im2colForward(
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

// ---- weight gradient ----------------------------------------------------------------

/**
 * Weight gradient of a native conv: channels-last im2col `[B*L_out, k*C]` and one GEMM
 * with the output gradient as `[B*L_out, O]`.
 */
function weightGrad(g: Tensor, x: Tensor, w: Tensor, a: ConvAttrs): Tensor {
  const outLen = g.shape[2] as number;
  const [o, c, k] = w.shape as number[];
  // gemm: channels-last im2col [B*L_out, k*C] and one GEMM with g as [B*L_out, O].
  const xt = pad(transpose(x, [0, 2, 1]), { 1: a.pads }); // [B, Lp, C]
  const cols = concat(taps(xt, a, outLen, 1), { axis: 2 }); // [B, L_out, k*C]
  const cols2 = reshape(cols, [-1, k * c]);
  const g2 = reshape(transpose(g, [0, 2, 1]), [-1, o]); // [B*L_out, O]
  const dw = gemm(g2, cols2, { transA: true }); // [O, k*C]
  return transpose(reshape(dw, [o, k, c]), [0, 2, 1]);
}

// ---- input gradient -----------------------------------------------------------------

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
      let y = nativeConv1d(src, wr, {
        stride: 1,
        pads: [left, right],
        dilation: dPrime,
        kernel: reversed.length,
      });
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
