/**
 * 1-D convolution (cross-correlation, PyTorch `F.conv1d`, groups = 1), in one of two
 * layouts, with the formulation chosen at build time from the static shapes:
 *
 * - channels first (`[batch, C, L]`, PyTorch's layout; `_conv_ncl.ts`): forward
 *   `native` (ONNX Conv; float32 only in ONNX Runtime) or `im2col` (strided Slices +
 *   Concat + one MatMul; any float type, differentiated through its primitive ops).
 *   The native conv's input gradient is `stride` phase convolutions, its weight
 *   gradient a channels-last im2col and one GEMM.
 * - channels last (`layout: "nlc"`; `_conv_nlc.ts`): im2col and one Gemm, with
 *   gradients as GEMMs; float32 and float64.
 *
 * @module
 */
import type { Tensor } from "../graph.ts";
import { formatShape, ShapeError } from "../shape.ts";
import { requireFloat, requireRank, staticDim } from "./_define.ts";
import { type ConvAttrs, convOutputLength, im2colForward, nativeConv1d } from "./_conv_ncl.ts";
import { conv1dNlc } from "./_conv_nlc.ts";

export { convOutputLength };

/** Forward formulation of a channels-first conv. */
export type ConvForward = "native" | "im2col";

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
      { stride, pads, dilation, kernel },
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
  const attrs: ConvAttrs = { stride, pads, dilation, kernel };
  if (forward === "im2col") return im2colForward(x, weight, bias, attrs, outLen);
  return nativeConv1d(x, weight, attrs, bias);
}
