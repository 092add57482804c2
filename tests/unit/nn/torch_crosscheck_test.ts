/**
 * Cross-check against PyTorch (tests/fixtures/nn/torch_reference.json, made by
 * tests/fixtures/nn/make_torch_reference.py with torch 1.13): outputs, gradients,
 * batch-norm running statistics and three clipped Adam steps of a composite net
 * (Conv1d, BatchNorm1d, ReLU, MaxPool1d, Conv1d, LayerNorm, Tanh, Linear, LogSoftmax).
 */
import assert from "node:assert/strict";
import {
  batchNormMap,
  conv1dMap,
  createTrainingStep,
  emitModel,
  flatten,
  type FloatType,
  fromValues,
  gradients,
  Graph,
  layerNormMap,
  linearMap,
  logSoftmax,
  maxPool1d,
  mul,
  ones,
  ParameterStore,
  relu,
  Session,
  sum,
  tanh,
  type Tensor,
  transpose,
  zeros,
} from "../../../lib/nn/mod.ts";
import * as ort from "onnxruntime-node";
import { assertClose } from "./_helpers.ts";

const fixture = JSON.parse(
  await Deno.readTextFile(new URL("../../fixtures/nn/torch_reference.json", import.meta.url)),
);
const SHAPES: Record<string, number[]> = fixture.shapes;

/** The fixture's closed-form weights: sin(0.37 i + phase) * 0.9. */
function values(n: number, phase: number): number[] {
  return Array.from({ length: n }, (_, i) => Math.sin(0.37 * i + phase) * 0.9);
}

function build(g: Graph, training: boolean, conv: "ncl" | "nlc" = "ncl") {
  const p: Record<string, Tensor> = {};
  Object.entries(SHAPES).forEach(([name, shape], k) => {
    const n = shape.reduce((a, b) => a * b, 1);
    p[name] = g.parameter(name, shape, { init: fromValues(values(n, 0.5 + k)) });
  });
  const rm = g.buffer("bn.running_mean", [4], { init: zeros() });
  const rv = g.buffer("bn.running_var", [4], { init: ones() });
  const x = g.input("x", ["batch", 3, 16]);
  let h: Tensor;
  if (conv === "nlc") {
    h = conv1dMap(x, p["conv1.weight"], {
      bias: p["conv1.bias"],
      stride: 2,
      padding: 1,
      layout: "nlc",
      channelsFirstInput: true,
    });
    h = transpose(h, [0, 2, 1]);
  } else {
    h = conv1dMap(x, p["conv1.weight"], { bias: p["conv1.bias"], stride: 2, padding: 1 });
  }
  const bn = batchNormMap(h, {
    weight: p["bn.weight"],
    bias: p["bn.bias"],
    runningMean: rm,
    runningVar: rv,
    training,
  });
  if (bn.runningMean && bn.runningVar) {
    g.setBufferUpdate("bn.running_mean", bn.runningMean);
    g.setBufferUpdate("bn.running_var", bn.runningVar);
  }
  h = maxPool1d(relu(bn.y), { kernel: 2 });
  h = conv1dMap(h, p["conv2.weight"], { bias: p["conv2.bias"], padding: 1 });
  h = layerNormMap(transpose(h, [0, 2, 1]), p["ln.weight"], { bias: p["ln.bias"] });
  h = flatten(tanh(h));
  h = tanh(linearMap(h, p["fc1.weight"], p["fc1.bias"]));
  const y = logSoftmax(linearMap(h, p["fc2.weight"], p["fc2.bias"]), { axis: 1 });
  return { x, y, p, bn };
}

async function forwardBackward(dtype: FloatType, training: boolean, conv: "ncl" | "nlc" = "ncl") {
  const store = new ParameterStore();
  const g = new Graph({ dtype, training, parameters: store });
  const { x, y, p, bn } = build(g, training, conv);
  if (!training) {
    store.setValues("bn.running_mean", fixture.train.running_mean);
    store.setValues("bn.running_var", fixture.train.running_var);
  }
  const cot = g.input("cot", ["batch", 3]);
  const names = Object.keys(p);
  const grads = gradients(sum(mul(y, cot)), [x, ...names.map((n) => p[n])]);
  const outputs: Record<string, Tensor> = { y };
  grads.forEach((t, i) => (outputs[`g${i}`] = t));
  if (bn.runningMean) {
    outputs.rm = bn.runningMean;
    outputs.rv = bn.runningVar!;
  }
  const model = emitModel(g, outputs);
  const session = await Session.create(model);
  const Arr = dtype === "float64" ? Float64Array : Float32Array;
  const feeds: Record<string, ort.Tensor> = {
    x: new ort.Tensor(dtype, Arr.from(fixture.input.x), fixture.input.x_shape),
    cot: new ort.Tensor(dtype, Arr.from(fixture.input.cotangent), [2, 3]),
    params: new ort.Tensor(dtype, store.flatParameters(dtype), [store.parameterCount]),
    buffers: new ort.Tensor(dtype, store.flatBuffers(dtype), [store.bufferCount]),
  };
  const r = await session.run(feeds);
  await session.release();
  return { r, names };
}

for (
  const [dtype, conv, tol] of [
    ["float64", "ncl", { rtol: 1e-9, atol: 1e-12 }],
    ["float32", "ncl", { rtol: 2e-4, atol: 2e-6 }],
    ["float32", "nlc", { rtol: 2e-4, atol: 2e-6 }],
  ] as const
) {
  for (const mode of ["train", "eval"] as const) {
    Deno.test(`composite net matches PyTorch in ${mode} mode (${dtype}, conv ${conv}): outputs and gradients`, async () => {
      const ref = fixture[mode];
      const { r, names } = await forwardBackward(dtype, mode === "train", conv);
      assertClose(r.y.data as Float64Array, ref.output, { ...tol, label: "output" });
      assertClose(r.g0.data as Float64Array, ref.grad_x, { ...tol, label: "grad x" });
      names.forEach((n, i) => {
        assertClose(r[`g${i + 1}`].data as Float64Array, ref.grads[n], {
          ...tol,
          label: `grad ${n}`,
        });
      });
      if (mode === "train") {
        assertClose(r.rm.data as Float64Array, ref.running_mean, { ...tol, label: "running mean" });
        assertClose(r.rv.data as Float64Array, ref.running_var, { ...tol, label: "running var" });
      }
    });
  }
}

for (const dtype of ["float64", "float32"] as const) {
  Deno.test(`three clipped Adam steps match torch.optim.Adam (${dtype})`, async () => {
    const ref = fixture.adam;
    const store = new ParameterStore();
    const step = await createTrainingStep((g) => {
      const { y } = build(g, true);
      const cot = g.input("cot", ["batch", 3]);
      return { loss: sum(mul(y, cot)) };
    }, { parameters: store, dtype, maxGradNorm: ref.max_grad_norm, adam: { eps: ref.eps } });
    const Arr = dtype === "float64" ? Float64Array : Float32Array;
    const feeds = {
      x: { data: Arr.from(fixture.input.x), dims: fixture.input.x_shape },
      cot: { data: Arr.from(fixture.input.cotangent), dims: [2, 3] },
    };
    const tol = dtype === "float64" ? { rtol: 1e-8, atol: 1e-10 } : { rtol: 1e-3, atol: 1e-5 };
    for (let i = 0; i < 3; i++) {
      const r = await step.run(feeds, { learningRate: ref.learning_rates[i] });
      assertClose([r.loss], [ref.losses[i]], { ...tol, label: `loss ${i}` });
      assertClose([r.gradNorm], [ref.grad_norms[i]], { ...tol, label: `grad norm ${i}` });
    }
    step.copyTo(store);
    for (const name of Object.keys(SHAPES)) {
      assertClose(store.values(name), ref.params[name], { ...tol, label: name });
    }
    assertClose(store.values("bn.running_mean"), ref.running_mean, {
      ...tol,
      label: "running mean",
    });
    assertClose(store.values("bn.running_var"), ref.running_var, { ...tol, label: "running var" });
    assert.equal(step.step, 3);
    await step.release();
  });
}
