/** Graph building: shape inference, build-time errors, emission details. */
import assert from "node:assert/strict";
import { SeededRng } from "../../../lib/rng/mod.ts";
import {
  add,
  concat,
  conv1dMap,
  emitModel,
  flatten,
  Graph,
  linear,
  matmul,
  mulDims,
  ParameterStore,
  relu,
  reshape,
  Session,
  ShapeError,
  sum,
  transpose,
  zeros,
} from "../../../lib/nn/mod.ts";
import * as ort from "onnxruntime-node";

Deno.test("shape errors name the op and both shapes at build time", () => {
  const g = new Graph();
  const a = g.input("a", ["batch", 3]);
  const b = g.input("b", [4, 2]);
  assert.throws(
    () => matmul(a, b),
    (e: unknown) =>
      e instanceof ShapeError && e.op === "MatMul" && e.message.includes("[batch, 3]") &&
      e.message.includes("[4, 2]"),
  );
  assert.throws(
    () => add(a, g.input("c", [5])),
    (e: unknown) =>
      e instanceof ShapeError && e.message.startsWith("Add:") && e.message.includes("[batch, 3]") &&
      e.message.includes("[5]"),
  );
  assert.throws(() => concat([a, g.input("d", ["batch", 3, 1])], { axis: 1 }), ShapeError);
  assert.throws(
    () => reshape(a, [7]),
    (e: unknown) => e instanceof ShapeError && e.message.includes("Reshape"),
  );
  const x = g.input("x", ["batch", 3, 10]);
  const w = g.input("w", [4, 2, 3]);
  assert.throws(
    () => conv1dMap(x, w),
    (e: unknown) =>
      e instanceof ShapeError && e.op === "Conv1d" && e.message.includes("[batch, 3, 10]") &&
      e.message.includes("[4, 2, 3]"),
  );
});

Deno.test("symbolic dimensions propagate, merge and split through reshape", () => {
  const g = new Graph();
  const x = g.input("x", ["batch", 272, 32]);
  const m = reshape(x, [-1, 32]);
  assert.deepEqual(m.shape, ["batch*272", 32]);
  assert.equal(mulDims("batch", 272), "batch*272");
  assert.deepEqual(reshape(m, ["batch", 272, 2, 16]).shape, ["batch", 272, 2, 16]);
  assert.deepEqual(flatten(transpose(x, [0, 2, 1])).shape, ["batch", 8704]);
  assert.deepEqual(sum(x).shape, []);
});

Deno.test("a parameter declared twice with another shape is rejected", () => {
  const store = new ParameterStore(new SeededRng(1));
  const g = new Graph({ parameters: store });
  g.parameter("w", [2, 3], { init: zeros() });
  assert.throws(
    () => new Graph({ parameters: store }).parameter("w", [3, 2], { init: zeros() }),
    ShapeError,
  );
  assert.throws(() => g.buffer("w", [2, 3], { init: zeros() }), ShapeError);
});

Deno.test("emitModel() writes outputs that alias inputs or parameters through Identity", async () => {
  const store = new ParameterStore(new SeededRng(1));
  const g = new Graph({ parameters: store });
  const x = g.input("x", ["batch", 2]);
  const y = relu(linear(x, { name: "fc", outFeatures: 3 }));
  const w = g.stateTensors.get("fc.weight")!;
  const model = emitModel(g, { y, x_copy: x, weight: w });
  const s = await Session.create(model);
  const out = await s.run({
    x: new ort.Tensor("float32", Float32Array.of(1, -2, 0.5, 3), [2, 2]),
    params: new ort.Tensor("float32", store.flatParameters() as Float32Array, [
      store.parameterCount,
    ]),
  });
  await s.release();
  assert.deepEqual([...out.x_copy.data as Float32Array], [1, -2, 0.5, 3]);
  assert.deepEqual(
    [...out.weight.data as Float32Array],
    [...store.values("fc.weight")].map(Math.fround),
  );
  // y = relu(x W^T + b) by hand
  const wv = store.values("fc.weight");
  const bv = store.values("fc.bias");
  const xs = [1, -2, 0.5, 3];
  const want: number[] = [];
  for (let i = 0; i < 2; i++) {
    for (let o = 0; o < 3; o++) {
      want.push(Math.max(0, xs[i * 2] * wv[o * 2] + xs[i * 2 + 1] * wv[o * 2 + 1] + bv[o]));
    }
  }
  (out.y.data as Float32Array).forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-6));
});
