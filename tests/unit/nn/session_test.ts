/** Sessions and execution providers, inference models. */
import assert from "node:assert/strict";
import { SeededRng } from "../../../lib/rng/mod.ts";
import {
  createInferenceModel,
  detectExecutionProviders,
  emitModel,
  ExecutionProviderError,
  Graph,
  linear,
  ParameterStore,
  primeExecutionProviderProbe,
  Session,
  tanh,
  tryExecutionProvider,
} from "../../../lib/nn/mod.ts";
import { buildPolicyNetwork } from "../../../lib/rl/policy_network.ts";
import { assertClose } from "./_helpers.ts";

Deno.test("detectExecutionProviders() never throws and always reports CPU", async () => {
  const probe = await detectExecutionProviders();
  assert.equal(probe.cpu, true);
  assert.equal(typeof probe.cuda, "boolean");
  if (!probe.cuda) assert.ok(probe.cudaReason && probe.cudaReason.length > 0);
});

Deno.test("asking for CUDA where it cannot be created fails with ExecutionProviderError; auto falls back to CPU", async () => {
  const probe = await detectExecutionProviders();
  const g = new Graph();
  const model = emitModel(g, { y: tanh(g.input("x", [2])) });
  if (probe.cuda) {
    console.log("CUDA is usable here: checking that a CUDA session runs");
    const s = await Session.create(model, { executionProvider: "cuda" });
    assert.equal(s.executionProvider, "cuda");
    await s.release();
    return;
  }
  await assert.rejects(
    () => Session.create(model, { executionProvider: "cuda" }),
    ExecutionProviderError,
  );
  const s = await Session.create(model, { executionProvider: "auto" });
  assert.equal(s.executionProvider, "cpu");
  await s.release();
  await assert.rejects(() => Session.create(model, { threads: 0 }), RangeError);
});

Deno.test("inference model: parameter updates, varying batch sizes, reused output buffers", async () => {
  const store = new ParameterStore(new SeededRng(2));
  const build = (g: Graph) => ({
    y: tanh(linear(g.input("x", ["batch", 3]), { name: "fc", outFeatures: 2 })),
  });
  const model = await createInferenceModel(build, { parameters: store });
  const x = Float32Array.of(0.1, 0.2, 0.3, -1, 0, 1);
  const expect = (w: Float64Array, b: Float64Array, rows: number) => {
    const out: number[] = [];
    for (let i = 0; i < rows; i++) {
      for (let o = 0; o < 2; o++) {
        out.push(
          Math.tanh(
            b[o] + x[i * 3] * w[o * 3] + x[i * 3 + 1] * w[o * 3 + 1] + x[i * 3 + 2] * w[o * 3 + 2],
          ),
        );
      }
    }
    return out;
  };
  const r1 = await model.run({ x: { data: x, dims: [2, 3] } });
  assertClose(r1.y, expect(store.values("fc.weight"), store.values("fc.bias"), 2), { rtol: 1e-6 });
  const r1b = await model.run({ x: { data: x.subarray(0, 3), dims: [1, 3] } });
  assert.equal(r1b.y.length, 2);
  const again = await model.run({ x: { data: x, dims: [2, 3] } });
  assert.equal(again.y, r1.y, "same batch size reuses the output array");
  const newParams = Float32Array.from(store.flatParameters(), (v) => v * 2);
  await model.setParameters(newParams);
  const r2 = await model.run({ x: { data: x, dims: [2, 3] } });
  assertClose(
    r2.y,
    expect(
      store.values("fc.weight").map((v) => v * 2),
      store.values("fc.bias").map((v) => v * 2),
      2,
    ),
    {
      rtol: 1e-6,
    },
  );
  await assert.rejects(() => model.run({ x: { data: x, dims: [2, 4] } }), RangeError);
  await model.release();
});

Deno.test("inference with parameters as initializers equals parameters as inputs", async () => {
  const storeA = new ParameterStore(new SeededRng(3));
  const build = (g: Graph) => {
    const p = buildPolicyNetwork(g, { preset: "dynamics_original" });
    return { action_mean: p.actionMean, value: p.value };
  };
  const a = await createInferenceModel(build, { parameters: storeA });
  const storeB = new ParameterStore(new SeededRng(3));
  const b = await createInferenceModel(build, { parameters: storeB, state: "initializers" });
  const rng = new SeededRng(4);
  const rays = Float32Array.from({ length: 2 * 816 }, () => rng.uniform());
  const drive = Float32Array.from({ length: 2 * 15 }, () => rng.uniform());
  const feeds = {
    rays: { data: rays, dims: [2, 3, 272] },
    drive_state: { data: drive, dims: [2, 3, 5] },
  };
  const ra = await a.run(feeds);
  const rb = await b.run(feeds);
  assertClose(ra.action_mean, rb.action_mean, { rtol: 1e-5, atol: 1e-7 });
  assertClose(ra.value, rb.value, { rtol: 1e-5, atol: 1e-7 });
  // updating baked-in parameters rebuilds the session
  const scaled = Float32Array.from(storeA.flatParameters(), (v) => v * 0.5);
  await a.setParameters(scaled);
  await b.setParameters(scaled);
  assertClose((await a.run(feeds)).value, (await b.run(feeds)).value, { rtol: 1e-5, atol: 1e-7 });
  await a.release();
  await b.release();
});

Deno.test("tryExecutionProvider() runs a one-node session with CPU and names the error of an unknown provider", async () => {
  assert.deepEqual(await tryExecutionProvider("cpu"), { name: "cpu", usable: true, error: null });
  const unknown = await tryExecutionProvider("no-such-provider");
  assert.equal(unknown.usable, false);
  assert.match(unknown.error ?? "", /no-such-provider/);
  assert.ok(!(unknown.error ?? "").includes("\n"));
});

Deno.test("primeExecutionProviderProbe() makes detectExecutionProviders() return a probe made elsewhere", async () => {
  const real = await detectExecutionProviders();
  try {
    primeExecutionProviderProbe({ cpu: true, cuda: false, cudaReason: "found by the main thread" });
    assert.deepEqual(await detectExecutionProviders(), {
      cpu: true,
      cuda: false,
      cudaReason: "found by the main thread",
    });
    assert.throws(
      () => primeExecutionProviderProbe({} as Parameters<typeof primeExecutionProviderProbe>[0]),
      TypeError,
    );
  } finally {
    primeExecutionProviderProbe(real);
  }
  assert.deepEqual(await detectExecutionProviders(), real);
});
