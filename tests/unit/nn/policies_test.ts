/**
 * The benchmark policies built with lib/nn have the reference's parameter counts
 * (ANCHORS.md) and PyTorch state_dict names.
 */
import assert from "node:assert/strict";
import { SeededRng } from "../../../lib/rng/mod.ts";
import { createInferenceModel, Graph, ParameterStore } from "../../../lib/nn/mod.ts";
import { assertClose } from "./_helpers.ts";
import { buildPolicy } from "../../../bench/_policies.ts";

Deno.test("dynamics_original policy has 50,677 parameters with the reference breakdown", () => {
  const store = new ParameterStore(new SeededRng(1));
  const p = buildPolicy(new Graph({ parameters: store }), "dynamics_original");
  assert.equal(store.parameterCount, 50_677);
  assert.equal(store.count("features_extractor."), 5_296);
  assert.equal(store.count("mlp_extractor.policy_net."), 22_592);
  assert.equal(store.count("mlp_extractor.value_net."), 22_592);
  assert.equal(store.count("action_net."), 130);
  assert.equal(store.count("value_net."), 65);
  assert.equal(store.count("log_std"), 2);
  assert.deepEqual(p.features.shape, ["batch", 287]);
  assert.deepEqual(store.get("features_extractor.ray_extractor.9.weight")?.shape, [16, 16, 3]);
  assert.deepEqual(store.get("mlp_extractor.policy_net.2.weight")?.shape, [64, 64]);
});

Deno.test("mlp_small policy has 68,525 parameters with the reference breakdown", () => {
  const store = new ParameterStore(new SeededRng(1));
  const p = buildPolicy(new Graph({ parameters: store }), "mlp_small");
  assert.equal(store.parameterCount, 68_525);
  assert.equal(store.count("features_extractor."), 54_760);
  assert.equal(store.count("mlp_extractor.policy_net."), 6_784);
  assert.equal(store.count("mlp_extractor.value_net."), 6_784);
  assert.deepEqual(p.features.shape, ["batch", 40]);
  assert.deepEqual(store.get("features_extractor.ray_extractor.1.weight")?.shape, [64, 816]);
  assert.deepEqual(store.get("features_extractor.drive_state_extractor.4.weight")?.shape, [8, 16]);
});

Deno.test("train-mode and eval-mode graphs share one parameter layout", () => {
  const store = new ParameterStore(new SeededRng(1));
  buildPolicy(new Graph({ parameters: store, training: true }), "dynamics_original");
  const before = store.flatParameters();
  const g = new Graph({ parameters: store, training: false });
  buildPolicy(g, "dynamics_original");
  assert.equal(store.parameterCount, 50_677);
  assert.deepEqual(store.flatParameters(), before);
  assert.equal(g.dropoutMasks.length, 0);
});

Deno.test("dynamics_original gives the same outputs with channels-last and channels-first convs", async () => {
  const outputs = (conv: "nlc" | "ncl-phase") => (g: Graph) => {
    const p = buildPolicy(g, "dynamics_original", { conv });
    return { action_mean: p.actionMean, value: p.value, features: p.features };
  };
  const store = new ParameterStore(new SeededRng(8));
  const a = await createInferenceModel(outputs("nlc"), { parameters: store });
  const b = await createInferenceModel(outputs("ncl-phase"), { parameters: store });
  const rng = new SeededRng(9);
  const feeds = {
    rays: { data: Float32Array.from({ length: 3 * 816 }, () => rng.uniform()), dims: [3, 3, 272] },
    drive_state: { data: Float32Array.from({ length: 45 }, () => rng.uniform()), dims: [3, 3, 5] },
  };
  const ra = await a.run(feeds);
  const rb = await b.run(feeds);
  for (const k of ["features", "action_mean", "value"]) {
    assertClose(ra[k], rb[k], { rtol: 1e-5, atol: 1e-6, label: k });
  }
  await a.release();
  await b.release();
});
