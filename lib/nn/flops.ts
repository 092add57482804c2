/**
 * Floating-point operation counts of emitted models: multiply-adds of matrix
 * products (Gemm, MatMul, the recurrent products inside LSTM Scans) and convolutions, counted as 2 FLOPs each, with
 * symbolic dimensions bound to concrete sizes. Elementwise ops are not counted
 * (they are memory-bound and small in FLOPs).
 *
 * @module
 */
import type { Node } from "./graph.ts";
import { bindShape } from "./shape.ts";

/** FLOPs of matrix products and convolutions in `nodes` (e.g. `EmittedModel.irNodes`). */
export function countFlops(
  nodes: readonly Node[],
  bindings: Readonly<Record<string, number>>,
): number {
  let total = 0;
  for (const n of nodes) {
    const out = n.outputs[0];
    if (!out) continue;
    const shape = (t: typeof out) => bindShape(t.shape, bindings);
    switch (n.op.type) {
      case "Gemm": {
        const a = n.attrs as { transA: boolean };
        const as = shape(n.inputs[0]);
        const k = a.transA ? as[0] : as[1];
        const [m, nn] = shape(out);
        total += 2 * m * nn * k;
        break;
      }
      case "MatMul": {
        const as = shape(n.inputs[0]);
        const k = as[as.length - 1];
        total += 2 * shape(out).reduce((x, y) => x * y, 1) * k;
        break;
      }
      case "Conv1d": {
        const [, c, k] = shape(n.inputs[1]);
        total += 2 * shape(out).reduce((x, y) => x * y, 1) * c * k;
        break;
      }
      case "Conv1dNLC": {
        // executed GEMMs: [B*L_out, colBlocks*C] x [colBlocks*C, O]
        const [rows, o] = shape(out);
        const c = shape(n.inputs[1])[1];
        total += 2 * rows * (n.attrs.colBlocks as number) * c * o;
        break;
      }
      case "LSTMRecurrence": {
        // per step h_{t-1} W_hhᵀ: [B, H] x [H, 4H]
        const [t, b, h] = shape(out);
        total += 2 * t * b * h * 4 * h;
        break;
      }
      case "LSTMRecurrenceGrad": {
        // per step dh_{t-1} = dgates_t W_hh: [B, 4H] x [4H, H]
        const [t, b, g4] = shape(out);
        total += 2 * t * b * g4 * (g4 / 4);
        break;
      }
      case "ConvTranspose": {
        const [o, c, k] = shape(n.inputs[1]);
        const g = shape(n.inputs[0]);
        total += 2 * g[0] * g[2] * o * c * k;
        break;
      }
    }
  }
  return total;
}
