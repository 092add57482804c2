/**
 * The LSTM layer (one ONNX Scan forward, one reverse Scan gradient): forward values
 * against a plain TypeScript loop of PyTorch's cell equations, and a float64
 * finite-difference gradient check for the input, both weights and both biases.
 */
import assert from "node:assert/strict";
import { SeededRng } from "../../../lib/rng/mod.ts";
import {
  checkGradients,
  concat,
  countFlops,
  emitModel,
  gradients,
  Graph,
  lstmLayer,
  lstmRecurrence,
  type LstmWeights,
  ParameterStore,
  Session,
  slice,
  sum,
  uniform,
} from "../../../lib/nn/mod.ts";
import * as ort from "onnxruntime-node";
import { assertClose, assertGradOk, randomFeed } from "./_helpers.ts";

const STEPS = 5;
const HIDDEN = 3;
const INPUT = 2;

function weights(g: Graph, input: number, hidden: number): LstmWeights {
  const init = { init: uniform(-0.8, 0.8) };
  return {
    weightIh: g.parameter("lstm.weight_ih_l0", [4 * hidden, input], init),
    weightHh: g.parameter("lstm.weight_hh_l0", [4 * hidden, hidden], init),
    biasIh: g.parameter("lstm.bias_ih_l0", [4 * hidden], init),
    biasHh: g.parameter("lstm.bias_hh_l0", [4 * hidden], init),
  };
}

/**
 * PyTorch's nn.LSTM cell equations, written out step by step.
 * @returns h_t for every step, `[T][batch][H]`.
 */
function referenceLstm(
  x: number[][][],
  w: { ih: Float64Array; hh: Float64Array; bih: Float64Array; bhh: Float64Array },
  hidden: number,
): number[][][] {
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  const batch = x.length;
  const steps = x[0].length;
  const input = x[0][0].length;
  let h = Array.from({ length: batch }, () => new Array(hidden).fill(0));
  let c = Array.from({ length: batch }, () => new Array(hidden).fill(0));
  const out: number[][][] = [];
  for (let t = 0; t < steps; t++) {
    const hn: number[][] = [];
    const cn: number[][] = [];
    for (let b = 0; b < batch; b++) {
      const gate = (k: number) => {
        let s = w.bih[k] + w.bhh[k];
        for (let j = 0; j < input; j++) s += w.ih[k * input + j] * x[b][t][j];
        for (let j = 0; j < hidden; j++) s += w.hh[k * hidden + j] * h[b][j];
        return s;
      };
      const hb: number[] = [];
      const cb: number[] = [];
      for (let u = 0; u < hidden; u++) {
        const i = sig(gate(u));
        const f = sig(gate(hidden + u));
        const gg = Math.tanh(gate(2 * hidden + u));
        const o = sig(gate(3 * hidden + u));
        cb.push(f * c[b][u] + i * gg);
        hb.push(o * Math.tanh(cb[u]));
      }
      hn.push(hb);
      cn.push(cb);
    }
    h = hn;
    c = cn;
    out.push(h);
  }
  return out;
}

Deno.test("LSTM layer forward equals PyTorch's cell equations computed in a plain loop", async () => {
  const rng = new SeededRng(5);
  const batch = 2;
  const store = new ParameterStore(new SeededRng(9));
  const g = new Graph({ dtype: "float64", parameters: store });
  const x = g.input("x", ["batch", STEPS, INPUT]);
  const hs = lstmLayer(x, weights(g, INPUT, HIDDEN));
  const model = emitModel(g, { hs });
  assert.equal(model.nodes.filter((n) => n.opType === "Scan").length, 1);
  const feed = randomFeed(rng, [batch, STEPS, INPUT], -2, 2);
  const session = await Session.create(model);
  const r = await session.run({
    x: new ort.Tensor("float64", Float64Array.from(feed.data), [batch, STEPS, INPUT]),
    params: new ort.Tensor("float64", store.flatParameters("float64"), [store.parameterCount]),
  });
  await session.release();
  const xs = Array.from(
    { length: batch },
    (_, b) =>
      Array.from(
        { length: STEPS },
        (_, t) => Array.from({ length: INPUT }, (_, j) => feed.data[(b * STEPS + t) * INPUT + j]),
      ),
  );
  const ref = referenceLstm(xs, {
    ih: store.values("lstm.weight_ih_l0"),
    hh: store.values("lstm.weight_hh_l0"),
    bih: store.values("lstm.bias_ih_l0"),
    bhh: store.values("lstm.bias_hh_l0"),
  }, HIDDEN);
  assertClose(r.hs.data as Float64Array, ref.flat(2), { rtol: 1e-12, atol: 1e-12, label: "h" });
});

Deno.test("LSTM layer passes a finite-difference gradient check (input, weights, biases)", async () => {
  const rng = new SeededRng(11);
  const report = await checkGradients(
    (g) => {
      const x = g.input("x", ["batch", STEPS, INPUT]);
      const w = weights(g, INPUT, HIDDEN);
      // Every h_t reaches the output, and the last step twice (as an extractor reads it).
      const hs = lstmLayer(x, w);
      const last = slice(hs, [STEPS - 1], [STEPS], { axes: [0] });
      return {
        output: concat([hs, last], { axis: 0 }),
        wrt: {
          x,
          weight_ih: w.weightIh,
          weight_hh: w.weightHh,
          bias_ih: w.biasIh,
          bias_hh: w.biasHh,
        },
      };
    },
    { x: randomFeed(rng, [2, STEPS, INPUT], -1.5, 1.5) },
    { maxElements: 64 },
  );
  assertGradOk(report);
});

Deno.test("LSTM recurrence: the gradient of the cell-state output is checked too", async () => {
  const rng = new SeededRng(12);
  const report = await checkGradients(
    (g) => {
      const seq = g.input("seq", [STEPS, "batch", 4 * HIDDEN]);
      const w = g.parameter("weight_hh", [4 * HIDDEN, HIDDEN], { init: uniform(-0.8, 0.8) });
      const { h, c } = lstmRecurrence(seq, w);
      return { output: concat([h, c], { axis: 0 }), wrt: { seq, weight_hh: w } };
    },
    {
      seq: randomFeed(rng, [STEPS, 2, 4 * HIDDEN], -1.5, 1.5),
    },
    { maxElements: 64 },
  );
  assertGradOk(report);
});

Deno.test("the LSTM training graph does not grow with the sequence length (one Scan each way)", () => {
  const nodeCount = (steps: number) => {
    const g = new Graph({ dtype: "float32", parameters: new ParameterStore(new SeededRng(1)) });
    const x = g.input("x", ["batch", steps, INPUT]);
    const w = weights(g, INPUT, HIDDEN);
    const hs = lstmLayer(x, w);
    const loss = sum(slice(hs, [steps - 1], [steps], { axes: [0] }));
    const grads = gradients(loss, [x, w.weightIh, w.weightHh, w.biasIh, w.biasHh]);
    const model = emitModel(g, { loss, ...Object.fromEntries(grads.map((t, i) => [`g${i}`, t])) });
    assert.equal(model.nodes.filter((n) => n.opType === "Scan").length, 2);
    return model.nodeCount;
  };
  assert.equal(nodeCount(816), nodeCount(5));
});

Deno.test("countFlops counts the recurrent products inside the LSTM's Scans", () => {
  const g = new Graph({ dtype: "float32", parameters: new ParameterStore(new SeededRng(1)) });
  const x = g.input("x", ["batch", STEPS, INPUT]);
  const w = weights(g, INPUT, HIDDEN);
  const hs = lstmLayer(x, w);
  const batch = 4;
  // Input terms [T*B, I] x [I, 4H] and per step [B, H] x [H, 4H], 2 FLOPs per multiply-add.
  const forward = 2 * STEPS * batch * 4 * HIDDEN * (INPUT + HIDDEN);
  assert.equal(countFlops(emitModel(g, { hs }).irNodes, { batch }), forward);
  const loss = sum(hs);
  const [dwhh] = gradients(loss, [w.weightHh]);
  // Backward Scan: dgates W_hh per step; then dW_hh over all T*B rows.
  const backward = 2 * STEPS * batch * 4 * HIDDEN * HIDDEN * 2;
  assert.equal(countFlops(emitModel(g, { loss, dwhh }).irNodes, { batch }), forward + backward);
});
