/**
 * The channels-last (`layout: "nlc"`) Conv1d op: forward as im2col (padded input, `k`
 * strided Slices, one Concat) and one Gemm `[B*L_out, k*C] x [k*C, O]`; the im2col
 * tensor is kept for the weight gradient (one Gemm); the input gradient is `stride`
 * phase GEMMs (each over the output gradient shifted per tap) written in row layout.
 * Works in float32 and float64, so it is checked directly against finite differences.
 *
 * @module
 */
import type { Emitter, Node, OpDef, Tensor } from "../graph.ts";
import { mulDims } from "../shape.ts";
import type { ConvAttrs } from "./_conv_ncl.ts";
import { gatherStatic } from "./_gather.ts";
import { stopGradient } from "./elementwise.ts";
import { gemm } from "./linalg.ts";
import { reduceSum } from "./reduce.ts";
import { concat, pad, reshape, slice, transpose, zerosLike } from "./shape_ops.ts";

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

export function conv1dNlc(
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
