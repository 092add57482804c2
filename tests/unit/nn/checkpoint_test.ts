/** Checkpoints: round trip, corruption and layout errors, bit-exact training resume. */
import assert from "node:assert/strict";
import { SeededRng } from "../../../lib/rng/mod.ts";
import {
  CheckpointError,
  checkpointFromStore,
  checkpointFromTraining,
  createTrainingStep,
  decodeCheckpoint,
  encodeCheckpoint,
  Graph,
  linear,
  loadCheckpoint,
  ParameterStore,
  restoreStore,
  restoreTraining,
  saveCheckpoint,
  type TensorFeed,
} from "../../../lib/nn/mod.ts";
import { ppoLoss } from "../../../lib/rl/ppo_loss.ts";
import { buildPolicyNetwork } from "../../../lib/rl/policy_network.ts";

function feeds(seed: number, batch = 16): Record<string, TensorFeed> {
  const rng = new SeededRng(seed);
  const f = (dims: number[]) => ({
    data: Float32Array.from(
      { length: dims.reduce((a, b) => a * b, 1) },
      () => rng.uniformRange(-1, 1),
    ),
    dims,
  });
  return {
    rays: f([batch, 3, 272]),
    drive_state: f([batch, 3, 5]),
    actions: f([batch, 2]),
    old_log_prob: f([batch]),
    advantages: f([batch]),
    returns: f([batch]),
  };
}

const build = (g: Graph) => ppoLoss(g, buildPolicyNetwork(g, { preset: "dynamics_original" }));

Deno.test("saveCheckpoint()/loadCheckpoint() round-trip parameters, Adam state, RNG and metadata", async () => {
  const store = new ParameterStore(new SeededRng(1));
  const step = await createTrainingStep(build, { parameters: store, maxGradNorm: 0.5 });
  for (let i = 0; i < 2; i++) await step.run(feeds(i), { learningRate: 3e-4 });
  const ckpt = checkpointFromTraining(step, store, {
    preset: "dynamics_original",
    timesteps: 4096,
  });
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/model.ckpt`;
    await saveCheckpoint(path, ckpt);
    const back = await loadCheckpoint(path);
    assert.deepEqual(back.parameters, ckpt.parameters);
    assert.deepEqual(back.buffers, ckpt.buffers);
    assert.deepEqual(back.optimizer, ckpt.optimizer);
    assert.deepEqual(back.dropoutRng, ckpt.dropoutRng);
    assert.deepEqual(back.metadata, { preset: "dynamics_original", timesteps: 4096 });
    assert.deepEqual(back.layout, ckpt.layout);
    assert.equal(back.optimizer!.step, 2);
    // no temporary files left behind
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["model.ckpt"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
    await step.release();
  }
});

Deno.test("a corrupted or truncated checkpoint is rejected with CheckpointError", async () => {
  const store = new ParameterStore(new SeededRng(1));
  buildPolicyNetwork(new Graph({ parameters: store }), { preset: "mlp_small" });
  const bytes = await encodeCheckpoint(checkpointFromStore(store));
  const flipped = bytes.slice();
  flipped[Math.floor(flipped.length / 2)] ^= 1;
  await assert.rejects(
    () => decodeCheckpoint(flipped),
    (e) => e instanceof CheckpointError && /checksum/.test(e.message),
  );
  await assert.rejects(() => decodeCheckpoint(bytes.slice(0, bytes.length - 100)), CheckpointError);
  await assert.rejects(
    () => decodeCheckpoint(new TextEncoder().encode("not a checkpoint at all, no")),
    CheckpointError,
  );
  const ok = await decodeCheckpoint(bytes);
  assert.equal(ok.parameters.length, 68_525);
});

Deno.test("restoreStore() names the first parameter that does not fit the network", () => {
  const a = new ParameterStore(new SeededRng(1));
  linear(new Graph({ parameters: a }).input("x", ["batch", 4]), { name: "fc", outFeatures: 3 });
  const b = new ParameterStore(new SeededRng(1));
  linear(new Graph({ parameters: b }).input("x", ["batch", 5]), { name: "fc", outFeatures: 3 });
  const ckpt = checkpointFromStore(a);
  assert.throws(
    () => restoreStore(b, ckpt),
    (e: unknown) =>
      e instanceof CheckpointError && /fc\.weight \[3, 4\]/.test((e as Error).message) &&
      /fc\.weight \[3, 5\]/.test((e as Error).message),
  );
  const c = new ParameterStore(new SeededRng(9));
  linear(new Graph({ parameters: c }).input("x", ["batch", 4]), { name: "fc", outFeatures: 3 });
  restoreStore(c, ckpt);
  assert.deepEqual(c.flatParameters(), a.flatParameters());
});

Deno.test("resuming from a checkpoint reproduces the uninterrupted run bit for bit (dropout included)", async () => {
  const storeA = new ParameterStore(new SeededRng(5));
  const a = await createTrainingStep(build, { parameters: storeA, maxGradNorm: 0.5 });
  for (let i = 0; i < 3; i++) await a.run(feeds(i), { learningRate: 3e-4 });
  const bytes = await encodeCheckpoint(checkpointFromTraining(a, storeA));
  const tail: number[] = [];
  for (let i = 3; i < 5; i++) tail.push((await a.run(feeds(i), { learningRate: 3e-4 })).loss);
  const finalA = Float32Array.from(a.parameters);

  const storeB = new ParameterStore(new SeededRng(123)); // different init, overwritten by the checkpoint
  const b = await createTrainingStep(build, { parameters: storeB, maxGradNorm: 0.5 });
  restoreTraining(b, storeB, await decodeCheckpoint(bytes));
  assert.equal(b.step, 3);
  const tailB: number[] = [];
  for (let i = 3; i < 5; i++) tailB.push((await b.run(feeds(i), { learningRate: 3e-4 })).loss);
  assert.deepEqual(tailB, tail);
  assert.deepEqual(Float32Array.from(b.parameters), finalA);
  await a.release();
  await b.release();
});
