/**
 * The tensor engine runs the real policy networks (lib/rl/policy_network.ts):
 * reference parameter counts (ANCHORS.md) with PyTorch state_dict names, one
 * parameter layout for train and eval graphs, and a PPO training step that
 * moves every parameter the loss reaches.
 */
import assert from "node:assert/strict";
import { SeededRng } from "../../../lib/rng/mod.ts";
import { createTrainingStep, Graph, ParameterStore } from "../../../lib/nn/mod.ts";
import { buildPolicyNetwork } from "../../../lib/rl/policy_network.ts";
import { ppoLoss } from "../../../lib/rl/ppo_loss.ts";

Deno.test("dynamics_original policy has 50,677 parameters with PyTorch names", () => {
  const store = new ParameterStore(new SeededRng(1));
  const p = buildPolicyNetwork(new Graph({ parameters: store }), { preset: "dynamics_original" });
  assert.equal(store.parameterCount, 50_677);
  assert.equal(store.count("features_extractor."), 5_296);
  assert.deepEqual(p.features.shape, ["batch", 287]);
  assert.deepEqual(store.get("features_extractor.ray_extractor.9.weight")?.shape, [16, 16, 3]);
  assert.deepEqual(store.get("mlp_extractor.policy_net.2.weight")?.shape, [64, 64]);
});

Deno.test("mlp_small policy has 68,525 parameters with PyTorch names", () => {
  const store = new ParameterStore(new SeededRng(1));
  const p = buildPolicyNetwork(new Graph({ parameters: store }), { preset: "mlp_small" });
  assert.equal(store.parameterCount, 68_525);
  assert.deepEqual(p.features.shape, ["batch", 40]);
  assert.deepEqual(store.get("features_extractor.ray_extractor.1.weight")?.shape, [64, 816]);
  assert.deepEqual(store.get("features_extractor.drive_state_extractor.4.weight")?.shape, [8, 16]);
});

Deno.test("train-mode and eval-mode graphs share one parameter layout", () => {
  const store = new ParameterStore(new SeededRng(1));
  buildPolicyNetwork(new Graph({ parameters: store, training: true }), {
    preset: "dynamics_original",
  });
  const before = store.flatParameters();
  const g = new Graph({ parameters: store, training: false });
  buildPolicyNetwork(g, { preset: "dynamics_original" });
  assert.equal(store.parameterCount, 50_677);
  assert.deepEqual(store.flatParameters(), before);
  assert.equal(g.dropoutMasks.length, 0);
});

Deno.test("a PPO training step on lightweight_cnn moves the parameters and the batch-norm statistics", async () => {
  const store = new ParameterStore(new SeededRng(2));
  const step = await createTrainingStep(
    (g) => ppoLoss(g, buildPolicyNetwork(g, { preset: "lightweight_cnn" })),
    { parameters: store, maxGradNorm: 0.5, adam: { eps: 1e-5 } },
  );
  const rng = new SeededRng(3);
  const batch = 8;
  const feed = (dims: number[], lo = -1, hi = 1) => ({
    data: Float32Array.from(
      { length: dims.reduce((a, b) => a * b, 1) },
      () => rng.uniformRange(lo, hi),
    ),
    dims,
  });
  const before = store.flatParameters();
  const buffersBefore = store.flatBuffers();
  const r = await step.run({
    rays: feed([batch, 3, 272], 0, 1),
    drive_state: feed([batch, 3, 5]),
    actions: feed([batch, 2]),
    old_log_prob: feed([batch], -3, -1),
    advantages: feed([batch]),
    returns: feed([batch]),
  }, { learningRate: 3e-4 });
  assert.ok(Number.isFinite(r.loss));
  const after = step.parameters;
  let moved = 0;
  for (let i = 0; i < after.length; i++) if (after[i] !== before[i]) moved++;
  // log_std, heads, drive MLP, convs, batch-norm affine: everything reaches the loss.
  assert.ok(moved > 0.99 * after.length, `${moved} of ${after.length} moved`);
  assert.notDeepEqual(Float32Array.from(step.buffers), buffersBefore);
  await step.release();
});
