/**
 * Recurrent layers as one op each: the LSTM recurrence is written as one ONNX `Scan`
 * over the time steps, and its gradient as one reverse `Scan`, so a graph's size does not
 * grow with the sequence length.
 *
 * Cell equations as PyTorch's `nn.LSTM` (gate order i, f, g, o; Hochreiter & Schmidhuber
 * 1997 with the forget gate of Gers et al. 2000):
 *
 *   gates_t = x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh, split into i, f, g, o;
 *   c_t = σ(f) c_{t-1} + σ(i) tanh(g);  h_t = σ(o) tanh(c_t).
 *
 * @module
 */
import type { DType, Emitter, Node, SubgraphValue, Tensor } from "../graph.ts";
import type { Dim } from "../shape.ts";
import { ShapeError } from "../shape.ts";
import { requireFloat, requireRank, staticDim } from "./_define.ts";
import { add, mul, square, sub, tanh } from "./elementwise.ts";
import { gemm, matmul } from "./linalg.ts";
import { concat, pad, reshape, slice, split, transpose, zerosLike } from "./shape_ops.ts";

/** Zero `[batch, hidden]` state, batch read at run time from dimension 1 of `seq`. */
function emitZeroState(e: Emitter, seq: string, hidden: number): string {
  const batch = e.fresh("lstm.batch");
  e.add("Shape", [seq], [batch], { start: { i: 1 }, end: { i: 2 } });
  const shape = e.fresh("lstm.state_shape");
  e.add("Concat", [batch, e.ints([hidden])], [shape], { axis: { i: 0 } });
  const zeros = e.fresh("lstm.zero_state");
  e.add("Expand", [e.scalar(0), shape], [zeros]);
  return zeros;
}

/** Scan-body value of a step: `[batch, width]`. */
function stepValue(e: Emitter, hint: string, dtype: DType, batch: Dim, width: number) {
  return { name: e.fresh(hint), dtype, shape: [batch, width] } satisfies SubgraphValue;
}

/**
 * Forward body nodes: gate activations of one step from its pre-activation input term
 * `xt` `[B, 4H]`, previous hidden state `h` and `whhT` `[H, 4H]`.
 * @returns Names of σ(i), σ(f), tanh(g), σ(o).
 */
function emitGates(e: Emitter, xt: string, h: string, whhT: string, hidden: number): string[] {
  const rec = e.fresh("lstm.recurrent");
  e.add("MatMul", [h, whhT], [rec]);
  const gates = e.fresh("lstm.gates");
  e.add("Add", [xt, rec], [gates]);
  const parts = ["i", "f", "g", "o"].map((k) => e.fresh(`lstm.${k}_pre`));
  e.add("Split", [gates, e.ints([hidden, hidden, hidden, hidden])], parts, { axis: { i: 1 } });
  return parts.map((p, k) => {
    const a = e.fresh(`${p}.act`);
    e.add(k === 2 ? "Tanh" : "Sigmoid", [p], [a]);
    return a;
  });
}

/** `W_hhᵀ` `[H, 4H]`, written once per Scan in the enclosing graph. */
function emitTranspose(e: Emitter, whh: string): string {
  const out = e.fresh("lstm.weight_hh_t");
  e.add("Transpose", [whh], [out], { perm: { ints: [1, 0] } });
  return out;
}

/** Append one binary node and return its output name. */
function bin(e: Emitter, op: string, a: string, b: string, hint: string): string {
  const out = e.fresh(hint);
  e.add(op, [a, b], [out]);
  return out;
}

const LSTM_GRAD = {
  type: "LSTMRecurrenceGrad",
  /**
   * Reverse Scan over steps T-1..0 of the part of the gradient that is recurrent. State:
   * dL/dh_t and dL/dc_t carried from step t+1. Scan inputs per step (see the VJP rule):
   * the outer gradient of h_t, `B_t`, `P_t`, σ(f_t) and, when present, the outer gradient of
   * c_t. Scan output: dL/dgates_t (pre-activation), in step order.
   */
  emit(n: Node, e: Emitter) {
    const [whh, dhs, b, p, sf, dcs] = n.inputs.map((t) => e.name(t));
    const hidden = n.attrs.hidden as number;
    const batch = n.inputs[1].shape[1];
    const dt = n.inputs[1].dtype;
    const zero = emitZeroState(e, dhs, hidden);
    const v = (hint: string, w = hidden) => stepValue(e, hint, dt, batch, w);
    const ins = [v("dh"), v("dc"), v("dh_out"), v("b"), v("p", 4 * hidden), v("sf")];
    if (dcs) ins.push(v("dc_out"));
    const outs = [v("dh_prev"), v("dc_prev"), v("dgates", 4 * hidden)];
    const body = e.subgraph("lstm_backward_step", ins, outs, () => {
      const [dh, dc, dhOut, bt, pt, sft, dcOut] = ins.map((x) => x.name);
      const dhTot = bin(e, "Add", dh, dhOut, "dh_total");
      let dcTot = bin(e, "Add", dc, bin(e, "Mul", dhTot, bt, "dc_from_h"), "dc_total");
      if (dcOut) dcTot = bin(e, "Add", dcTot, dcOut, "dc_total_out");
      const tiled = e.fresh("d_ifgo_factor");
      e.add("Concat", [dcTot, dcTot, dcTot, dhTot], [tiled], { axis: { i: 1 } });
      e.add("Mul", [tiled, pt], [outs[2].name]);
      e.add("MatMul", [outs[2].name, whh], [outs[0].name]);
      e.add("Mul", [dcTot, sft], [outs[1].name]);
    });
    const scanned = dcs ? [dhs, b, p, sf, dcs] : [dhs, b, p, sf];
    e.add("Scan", [zero, zero, ...scanned], [
      e.fresh("lstm.dh0"),
      e.fresh("lstm.dc0"),
      e.name(n.outputs[0]),
    ], {
      body,
      num_scan_inputs: { i: scanned.length },
      scan_input_directions: { ints: scanned.map(() => 1) },
      scan_output_directions: { ints: [1] },
    });
  },
};

/** Previous states `[s_{-1}=0, s_0, ..., s_{T-2}]` of a sequence `s` `[T, B, H]`. */
function shiftedStates(s: Tensor): Tensor {
  const steps = s.shape[0] as number;
  return steps === 1 ? zerosLike(s) : pad(slice(s, [0], [steps - 1], { axes: [0] }), { 0: [1, 0] });
}

const LSTM = {
  type: "LSTMRecurrence",
  /**
   * Scan over steps; state (h, c) from zeros; scan outputs h_t, c_t and the activated gates
   * σ(i), σ(f), tanh(g), σ(o) (kept for the gradient).
   */
  emit(n: Node, e: Emitter) {
    const [xp, whh] = n.inputs.map((t) => e.name(t));
    const hidden = n.attrs.hidden as number;
    const batch = n.inputs[0].shape[1];
    const dt = n.inputs[0].dtype;
    const whhT = emitTranspose(e, whh);
    const zero = emitZeroState(e, xp, hidden);
    const v = (hint: string, w = hidden) => stepValue(e, hint, dt, batch, w);
    const ins = [v("h"), v("c"), v("xt", 4 * hidden)];
    const outs = [v("h_next"), v("c_next"), v("h_t"), v("c_t"), v("gates_t", 4 * hidden)];
    const body = e.subgraph("lstm_step", ins, outs, () => {
      const [h, c, xt] = ins.map((x) => x.name);
      const [si, sf, tg, so] = emitGates(e, xt, h, whhT, hidden);
      const fc = bin(e, "Mul", sf, c, "f_c");
      const ig = bin(e, "Mul", si, tg, "i_g");
      e.add("Add", [fc, ig], [outs[1].name]);
      const tc = e.fresh("tanh_c");
      e.add("Tanh", [outs[1].name], [tc]);
      e.add("Mul", [so, tc], [outs[0].name]);
      e.add("Identity", [outs[0].name], [outs[2].name]);
      e.add("Identity", [outs[1].name], [outs[3].name]);
      e.add("Concat", [si, sf, tg, so], [outs[4].name], { axis: { i: 1 } });
    });
    e.add(
      "Scan",
      [zero, zero, xp],
      [e.fresh("lstm.h_last"), e.fresh("lstm.c_last"), ...n.outputs.map((t) => e.name(t))],
      { body, num_scan_inputs: { i: 1 } },
    );
  },
  /**
   * Per step, with c = c_t, the activated gates i, f, g, o and the carried dh, dc:
   *   dh_t = dh + gh_t;  dc_t = dc + gc_t + dh_t·B_t,  B_t = o(1 - tanh² c);
   *   dgates_t = [dc_t, dc_t, dc_t, dh_t]·P_t,  P_t = [g·i(1-i), c_{t-1}·f(1-f), i(1-g²), tanh c·o(1-o)];
   *   carried: dh_{t-1} = dgates_t W_hh, dc_{t-1} = dc_t·f.
   * B and P do not depend on the carried gradients, so they are computed for all steps at
   * once outside the Scan; the Scan only runs the recurrence.
   */
  vjp(n: Node, grads: readonly (Tensor | null)[], needs: readonly boolean[]) {
    const [xp, whh] = n.inputs;
    const [hs, cs, gates] = n.outputs;
    const hidden = n.attrs.hidden as number;
    const [i, f, g, o] = split(gates, [hidden, hidden, hidden, hidden], { axis: 2 });
    const tc = tanh(cs);
    const dsig = (s: Tensor) => mul(s, sub(1, s));
    const b = mul(o, sub(1, square(tc)));
    const p = concat([
      mul(g, dsig(i)),
      mul(shiftedStates(cs), dsig(f)),
      mul(i, sub(1, square(g))),
      mul(tc, dsig(o)),
    ], { axis: 2 });
    const dhs = grads[0] ?? zerosLike(hs);
    const inputs = [whh, dhs, b, p, f];
    if (grads[1]) inputs.push(grads[1]);
    const [dgates] = xp.graph.apply(
      LSTM_GRAD,
      inputs,
      [{ shape: xp.shape, dtype: xp.dtype }],
      { hidden },
    );
    // dW_hh = Σ_t dgates_tᵀ h_{t-1}, one Gemm over all steps and batch rows.
    const dwhh = needs[1]
      ? gemm(reshape(dgates, [-1, 4 * hidden]), reshape(shiftedStates(hs), [-1, hidden]), {
        transA: true,
      })
      : null;
    return [needs[0] ? dgates : null, dwhh];
  },
};

/**
 * The LSTM recurrence from zero initial states, given each step's input term.
 * @param inputTerm `[T, batch, 4H]`: `x_t W_ihᵀ + b_ih + b_hh` per step (gate order i, f, g, o).
 * @param weightHh `[4H, H]` (PyTorch `weight_hh_l<k>`).
 * @returns Hidden states `h_1..h_T` and cell states `c_1..c_T`, each `[T, batch, H]`.
 * @throws {ShapeError} When the shapes do not fit or the step count / widths are symbolic.
 */
export function lstmRecurrence(inputTerm: Tensor, weightHh: Tensor): { h: Tensor; c: Tensor } {
  requireFloat("LSTMRecurrence", inputTerm, weightHh);
  requireRank("LSTMRecurrence", inputTerm, [3], "input term");
  requireRank("LSTMRecurrence", weightHh, [2], "weight_hh");
  const steps = staticDim("LSTMRecurrence", inputTerm, 0, "input term");
  const hidden = staticDim("LSTMRecurrence", weightHh, 1, "weight_hh");
  if (steps < 1 || weightHh.shape[0] !== 4 * hidden || inputTerm.shape[2] !== 4 * hidden) {
    throw new ShapeError(
      "LSTMRecurrence",
      `input term [T, batch, 4H] and weight_hh [4H, H] do not fit (H = ${hidden}, T = ${steps})`,
      [inputTerm.shape, weightHh.shape],
    );
  }
  const shape = [steps, inputTerm.shape[1], hidden];
  const [h, c] = inputTerm.graph.apply(
    LSTM,
    [inputTerm, weightHh],
    [
      { shape, dtype: inputTerm.dtype },
      { shape, dtype: inputTerm.dtype },
      { shape: inputTerm.shape, dtype: inputTerm.dtype },
    ],
    { hidden },
  );
  return { h, c };
}

/** Weights of one LSTM layer in PyTorch's layout (gate order i, f, g, o). */
export interface LstmWeights {
  /** `weight_ih_l<k>` `[4H, input]`. */
  weightIh: Tensor;
  /** `weight_hh_l<k>` `[4H, H]`. */
  weightHh: Tensor;
  /** `bias_ih_l<k>` `[4H]`. */
  biasIh: Tensor;
  /** `bias_hh_l<k>` `[4H]`. */
  biasHh: Tensor;
}

/**
 * One unidirectional LSTM layer over a batch-first sequence from zero initial states
 * (PyTorch `nn.LSTM(batch_first=True)` for one layer): the input terms of all steps are one
 * MatMul, the recurrence one {@linkcode lstmRecurrence}.
 * @param x Sequence `[batch, T, input]`.
 * @param w Layer weights.
 * @returns Hidden states `[T, batch, H]` (time-major, as `lstmRecurrence`).
 * @throws {ShapeError} When the shapes do not fit.
 */
export function lstmLayer(x: Tensor, w: LstmWeights): Tensor {
  requireRank("LSTM", x, [3]);
  const input = transpose(x, [1, 0, 2]);
  const term = add(matmul(input, transpose(w.weightIh, [1, 0])), add(w.biasIh, w.biasHh));
  return lstmRecurrence(term, w.weightHh).h;
}
