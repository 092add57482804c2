/**
 * Layer normalisation (fused ONNX LayerNormalization with its own gradient rule)
 * and batch normalisation (train mode from primitive ops, so autodiff covers it;
 * eval mode as fused ONNX BatchNormalization with a gradient rule).
 *
 * Sources: Ba et al. 2016 (layer norm), Ioffe & Szegedy 2015 (batch norm);
 * running-statistics update as PyTorch `nn.BatchNorm1d` (momentum 0.1, unbiased
 * variance in the running estimate, biased variance for normalising).
 *
 * @module
 */
import type { Emitter, Node, OpDef, Tensor } from "../graph.ts";
import { formatShape, normAxis, sameShape, ShapeError } from "../shape.ts";
import { apply1, requireFloat, requireRank } from "./_define.ts";
import { add, cast, div, mul, reciprocal, sqrt, sub } from "./elementwise.ts";
import { reduceMean, reduceSum } from "./reduce.ts";
import { reshape, sizeOf, squeeze } from "./shape_ops.ts";

// ---- layer norm --------------------------------------------------------------------

interface LayerNormAttrs {
  axis: number;
  eps: number;
}

const LAYER_NORM: OpDef = {
  type: "LayerNorm",
  emit(n: Node, e: Emitter) {
    const { axis, eps } = n.attrs as unknown as LayerNormAttrs;
    // Mean and InvStdDev outputs exist only for float32 in ONNX Runtime.
    const outs = e.dtype === "float32" ? n.outputs.map((t) => e.name(t)) : [e.name(n.outputs[0])];
    e.add("LayerNormalization", n.inputs.map((t) => e.name(t)), outs, {
      axis: { i: axis },
      epsilon: { f: eps },
    });
  },
  vjp: (n, [g], needs) => {
    const [x, w] = n.inputs;
    const { axis, eps } = n.attrs as unknown as LayerNormAttrs;
    const normAxes = x.shape.map((_, i) => i).filter((i) => i >= axis);
    const leadAxes = x.shape.map((_, i) => i).filter((i) => i < axis);
    let mean: Tensor;
    let invStd: Tensor;
    if (x.dtype === "float32") {
      mean = n.outputs[1];
      invStd = n.outputs[2];
    } else {
      mean = reduceMean(x, { axes: normAxes, keepdims: true });
      const xc = sub(x, mean);
      invStd = reciprocal(
        sqrt(add(reduceMean(mul(xc, xc), { axes: normAxes, keepdims: true }), eps)),
      );
    }
    const xhat = mul(sub(x, mean), invStd);
    const gw = needs[1] ? reduceSum(mul(g!, xhat), { axes: leadAxes }) : null;
    const gb = needs[2] ? reduceSum(g!, { axes: leadAxes }) : null;
    let gx: Tensor | null = null;
    if (needs[0]) {
      // dx = invstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))
      const dxhat = mul(g!, w);
      const m1 = reduceMean(dxhat, { axes: normAxes, keepdims: true });
      const m2 = reduceMean(mul(dxhat, xhat), { axes: normAxes, keepdims: true });
      gx = mul(invStd, sub(sub(dxhat, m1), mul(xhat, m2)));
    }
    return [gx, gw, gb];
  },
};

/**
 * Layer normalisation over the trailing axes from `axis` (PyTorch `F.layer_norm`
 * with `normalized_shape = x.shape[axis:]`): `(x - mean) / sqrt(var + eps) * weight + bias`,
 * biased variance.
 * @param weight Scale, shape `x.shape[axis:]`.
 * @param bias Shift, shape `x.shape[axis:]`.
 * @param options.axis First normalised axis. @default -1
 * @param options.eps Added to the variance. @default 1e-5
 * @throws {ShapeError} When weight or bias do not match the normalised shape.
 */
export function layerNormMap(
  x: Tensor,
  weight: Tensor,
  options: { bias: Tensor; axis?: number; eps?: number },
): Tensor {
  requireFloat("LayerNorm", x, weight, options.bias);
  const axis = normAxis("LayerNorm", options.axis ?? -1, x.rank, x.shape);
  const normShape = x.shape.slice(axis);
  for (const t of [weight, options.bias]) {
    if (!sameShape(t.shape, normShape)) {
      throw new ShapeError(
        "LayerNorm",
        `scale/bias ${formatShape(t.shape)} must have the normalised shape ${
          formatShape(normShape)
        } of ${formatShape(x.shape)}`,
        [x.shape, t.shape],
      );
    }
  }
  const statShape = x.shape.map((d, i) => (i < axis ? d : 1));
  return x.graph.apply(
    LAYER_NORM,
    [x, weight, options.bias],
    [
      { shape: x.shape, dtype: x.dtype },
      { shape: statShape, dtype: x.dtype },
      { shape: statShape, dtype: x.dtype },
    ],
    { axis, eps: options.eps ?? 1e-5 },
  )[0];
}

// ---- batch norm --------------------------------------------------------------------

/** Options of {@linkcode batchNormMap}. */
export interface BatchNormOptions {
  /** Scale `[C]`. */
  weight: Tensor;
  /** Shift `[C]`. */
  bias: Tensor;
  /** Running mean `[C]` (used in eval mode, updated in train mode). */
  runningMean: Tensor;
  /** Running variance `[C]`. */
  runningVar: Tensor;
  /** Use batch statistics and compute new running statistics. */
  training: boolean;
  /** Running-statistics momentum (PyTorch convention). @default 0.1 */
  momentum?: number;
  /** Added to the variance. @default 1e-5 */
  eps?: number;
  /** Channel axis: 1 for `[N, C, L]`, -1 (or 2) for channels-last `[N, L, C]`. @default 1 */
  channelAxis?: number;
}

/** Result of {@linkcode batchNormMap}. */
export interface BatchNormResult {
  /** Normalised output, same shape as the input. */
  y: Tensor;
  /** New running mean `[C]` (train mode only). */
  runningMean?: Tensor;
  /** New running variance `[C]` (train mode only). */
  runningVar?: Tensor;
}

const BN_EVAL: OpDef = {
  type: "BatchNorm",
  emit(n: Node, e: Emitter) {
    e.add("BatchNormalization", n.inputs.map((t) => e.name(t)), [e.name(n.outputs[0])], {
      epsilon: { f: n.attrs.eps as number },
    });
  },
  vjp: (n, [g], needs) => {
    // y = (x - rm) * s + b with s = w / sqrt(rv + eps) per channel.
    const [x, w, , rm, rv] = n.inputs;
    const eps = n.attrs.eps as number;
    const chanShape = x.shape.map((d, i) => (i === 1 ? d : 1));
    const axes = x.shape.map((_, i) => i).filter((i) => i !== 1);
    const invStd = reciprocal(sqrt(add(rv, eps)));
    const gx = needs[0] ? mul(g!, reshape(mul(w, invStd), chanShape)) : null;
    const gw = needs[1]
      ? reduceSum(mul(g!, mul(sub(x, reshape(rm, chanShape)), reshape(invStd, chanShape))), {
        axes,
      })
      : null;
    const gb = needs[2] ? reduceSum(g!, { axes }) : null;
    return [gx, gw, gb, null, null];
  },
  nondiffInputs: [3, 4],
};

/**
 * Batch normalisation over the channel axis (1 for `[N, C]` or `[N, C, L]`, as PyTorch
 * `F.batch_norm`; `channelAxis: -1` for channels-last `[N, L, C]`). Train mode normalises with the batch mean and biased
 * variance over all axes but 1 and returns the new running statistics
 * `(1 - momentum) * running + momentum * batch_stat` (unbiased variance, n/(n-1));
 * eval mode uses the running statistics.
 * @throws {ShapeError} When the input rank is not 2 or 3 or a `[C]` tensor does not match.
 */
export function batchNormMap(x: Tensor, options: BatchNormOptions): BatchNormResult {
  requireRank("BatchNorm", x, [2, 3]);
  const { weight, bias, runningMean, runningVar } = options;
  requireFloat("BatchNorm", x, weight, bias, runningMean, runningVar);
  const axis = normAxis("BatchNorm", options.channelAxis ?? 1, x.rank, x.shape);
  if (axis === 0) {
    throw new ShapeError("BatchNorm", "the channel axis cannot be the batch axis", [x.shape]);
  }
  const c = x.shape[axis];
  for (const t of [weight, bias, runningMean, runningVar]) {
    if (t.rank !== 1 || t.shape[0] !== c) {
      throw new ShapeError(
        "BatchNorm",
        `per-channel tensor ${formatShape(t.shape)} does not match ${c} channels of ${
          formatShape(x.shape)
        }`,
        [x.shape, t.shape],
      );
    }
  }
  const eps = options.eps ?? 1e-5;
  const momentum = options.momentum ?? 0.1;
  const axes = x.shape.map((_, i) => i).filter((i) => i !== axis);
  const chanShape = x.shape.map((d, i) => (i === axis ? d : 1));
  if (!options.training) {
    if (axis === 1) {
      const y = apply1(
        x.graph,
        BN_EVAL,
        [x, weight, bias, runningMean, runningVar],
        x.shape,
        x.dtype,
        {
          eps,
        },
      );
      return { y };
    }
    // Channels last: the same formula from primitives (ONNX BatchNormalization wants axis 1).
    const scale = div(weight, sqrt(add(runningVar, eps)));
    const y = add(
      mul(sub(x, reshape(runningMean, chanShape)), reshape(scale, chanShape)),
      reshape(bias, chanShape),
    );
    return { y };
  }
  const mean = reduceMean(x, { axes, keepdims: true });
  const xc = sub(x, mean);
  const variance = reduceMean(mul(xc, xc), { axes, keepdims: true });
  const invStd = reciprocal(sqrt(add(variance, eps)));
  const y = add(mul(mul(xc, invStd), reshape(weight, chanShape)), reshape(bias, chanShape));
  // Running statistics: unbiased variance n / (n - 1).
  let n: number | Tensor = 1;
  for (const a of axes) {
    const d = x.shape[a];
    if (typeof d !== "number") {
      n = div(cast(sizeOf(x), x.dtype), c as number);
      break;
    }
    n *= d;
  }
  const unbias = typeof n === "number" ? n / Math.max(n - 1, 1) : div(n, sub(n, 1));
  const batchMean = squeeze(mean, axes);
  const batchVar = mul(squeeze(variance, axes), unbias);
  const newMean = add(mul(runningMean, 1 - momentum), mul(batchMean, momentum));
  const newVar = add(mul(runningVar, 1 - momentum), mul(batchVar, momentum));
  return { y, runningMean: newMean, runningVar: newVar };
}
