/**
 * Matrix products: batched MatMul, 2-D Gemm, and the functional Linear
 * `y = x W^T + b` with PyTorch's weight layout `[out, in]`.
 *
 * @module
 */
import type { Tensor } from "../graph.ts";
import { broadcastShapes, type Dim, formatShape, ShapeError } from "../shape.ts";
import { apply1, requireFloat, requireRank, simpleOp } from "./_define.ts";
import { unbroadcast } from "./reduce.ts";
import { reshape, transpose } from "./shape_ops.ts";

/** Options of {@linkcode gemm}. */
export interface GemmOptions {
  /** Use A^T. @default false */
  transA?: boolean;
  /** Use B^T. @default false */
  transB?: boolean;
  /** Scale of the product. @default 1 */
  alpha?: number;
}

interface GemmAttrs {
  transA: boolean;
  transB: boolean;
  alpha: number;
}

const GEMM = simpleOp("Gemm", {
  attrs: (n) => {
    const a = n.attrs as unknown as GemmAttrs;
    return {
      transA: { i: a.transA ? 1 : 0 },
      transB: { i: a.transB ? 1 : 0 },
      alpha: { f: a.alpha },
    };
  },
  vjp: (n, [g], needs) => {
    const [a, b, c] = n.inputs;
    const { transA, transB, alpha } = n.attrs as unknown as GemmAttrs;
    // Y = alpha P Q (+ C), P = op(A), Q = op(B): dP = g Q^T, dQ = P^T g.
    let da: Tensor | null = null;
    let db: Tensor | null = null;
    if (needs[0]) {
      da = transA
        ? gemm(b, g!, { transA: transB, transB: true, alpha })
        : gemm(g!, b, { transB: !transB, alpha });
    }
    if (needs[1]) {
      db = transB
        ? gemm(g!, a, { transA: true, transB: transA, alpha })
        : gemm(a, g!, { transA: !transA, alpha });
    }
    const dc = c && needs[2] ? unbroadcast(g!, c.shape) : null;
    return [da, db, dc];
  },
});

/**
 * `alpha * op(A) op(B) + C` for 2-D A and B (one ONNX Gemm); C broadcasts to the result.
 * @throws {ShapeError} When ranks or inner dimensions do not fit.
 */
export function gemm(a: Tensor, b: Tensor, options: GemmOptions & { c?: Tensor } = {}): Tensor {
  requireFloat("Gemm", a, b);
  requireRank("Gemm", a, [2], "A");
  requireRank("Gemm", b, [2], "B");
  const attrs: GemmAttrs = {
    transA: options.transA ?? false,
    transB: options.transB ?? false,
    alpha: options.alpha ?? 1,
  };
  const [m, ka] = attrs.transA ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
  const [kb, n] = attrs.transB ? [b.shape[1], b.shape[0]] : [b.shape[0], b.shape[1]];
  if (ka !== kb) {
    throw new ShapeError(
      "Gemm",
      `inner dimensions differ: A ${formatShape(a.shape)}${attrs.transA ? "^T" : ""} and B ${
        formatShape(b.shape)
      }${attrs.transB ? "^T" : ""}`,
      [a.shape, b.shape],
    );
  }
  const inputs = [a, b];
  if (options.c) {
    requireFloat("Gemm", a, options.c);
    broadcastShapes("Gemm", options.c.shape, [m, n]);
    inputs.push(options.c);
  }
  return apply1(a.graph, GEMM, inputs, [m, n], a.dtype, attrs);
}

function swapLast(x: Tensor): Tensor {
  const perm = x.shape.map((_, i) => i);
  perm[x.rank - 2] = x.rank - 1;
  perm[x.rank - 1] = x.rank - 2;
  return transpose(x, perm);
}

const MATMUL = simpleOp("MatMul", {
  vjp: (n, [g], needs) => {
    const [a, b] = n.inputs;
    let ga: Tensor | null = null;
    let gb: Tensor | null = null;
    if (needs[0]) ga = unbroadcast(matmul(g!, swapLast(b)), a.shape);
    if (needs[1]) {
      if (b.rank === 2 && a.rank > 2) {
        // One GEMM over the merged leading dims instead of a batched product and a sum.
        const k = a.shape[a.rank - 1];
        const nOut = g!.shape[g!.rank - 1];
        gb = gemm(reshape(a, [-1, k]), reshape(g!, [-1, nOut]), { transA: true });
      } else {
        gb = unbroadcast(matmul(swapLast(a), g!), b.shape);
      }
    }
    return [ga, gb];
  },
});

/**
 * Matrix product of the last two axes, broadcasting leading (batch) axes:
 * `[..., m, k] x [..., k, n] -> [..., m, n]`.
 * @throws {ShapeError} When a rank is below 2, inner dims differ or batch dims do not broadcast.
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  requireFloat("MatMul", a, b);
  if (a.rank < 2 || b.rank < 2) {
    throw new ShapeError(
      "MatMul",
      `operands must have rank >= 2, got ${formatShape(a.shape)} and ${formatShape(b.shape)}`,
      [a.shape, b.shape],
    );
  }
  const k1 = a.shape[a.rank - 1];
  const k2 = b.shape[b.rank - 2];
  if (k1 !== k2) {
    throw new ShapeError(
      "MatMul",
      `inner dimensions differ: ${formatShape(a.shape)} x ${formatShape(b.shape)} (${k1} vs ${k2})`,
      [a.shape, b.shape],
    );
  }
  const batch = broadcastShapes("MatMul", a.shape.slice(0, -2), b.shape.slice(0, -2));
  const shape: Dim[] = [...batch, a.shape[a.rank - 2], b.shape[b.rank - 1]];
  return apply1(a.graph, MATMUL, [a, b], shape, a.dtype);
}

/**
 * Functional linear map `y = x W^T + b` (PyTorch `F.linear`): x `[..., in]`,
 * W `[out, in]`, b `[out]` -> `[..., out]`. Written as one Gemm (inputs of rank
 * > 2 are reshaped to `[-1, in]` and back).
 * @throws {ShapeError} When the feature dimensions differ.
 */
export function linearMap(x: Tensor, weight: Tensor, bias?: Tensor): Tensor {
  requireFloat("Linear", x, weight);
  requireRank("Linear", weight, [2], "weight");
  const inF = x.shape[x.rank - 1];
  if (x.rank < 1 || inF !== weight.shape[1]) {
    throw new ShapeError(
      "Linear",
      `input features of ${formatShape(x.shape)} do not match weight ${formatShape(weight.shape)}`,
      [x.shape, weight.shape],
    );
  }
  if (bias && (bias.rank !== 1 || bias.shape[0] !== weight.shape[0])) {
    throw new ShapeError(
      "Linear",
      `bias ${formatShape(bias.shape)} does not match weight ${formatShape(weight.shape)}`,
      [bias.shape, weight.shape],
    );
  }
  if (x.rank === 2) return gemm(x, weight, { transB: true, c: bias });
  const flat = reshape(x, [-1, inF]);
  const y = gemm(flat, weight, { transB: true, c: bias });
  return reshape(y, [...x.shape.slice(0, -1), weight.shape[0]]);
}
