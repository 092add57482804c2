import assert from "node:assert/strict";
import { RolloutBuffer } from "../../../lib/rl/rollout_buffer.ts";
import { SeededRng } from "../../../lib/rng/mod.ts";

const shapes = { raysSize: 4, driveStateSize: 2, actionDim: 2 };

function filledBuffer(nSteps: number, numEnvs: number): RolloutBuffer {
  const buffer = new RolloutBuffer(nSteps, numEnvs, shapes);
  for (let step = 0; step < nSteps; step++) {
    // Encode (step, env) in every field so gathered samples can be traced back.
    const id = (env: number) => step * 10 + env;
    const ids = Array.from({ length: numEnvs }, (_, env) => id(env));
    buffer.add({
      rays: Float32Array.from(ids.flatMap((x) => [x, x, x, x])),
      driveState: Float32Array.from(ids.flatMap((x) => [x, -x])),
      actions: Float32Array.from(ids.flatMap((x) => [x, x + 0.5])),
      rewards: ids,
      episodeStarts: ids.map(() => 0),
      values: ids,
      logProbs: ids.map((x) => -x),
    });
  }
  return buffer;
}

Deno.test("RolloutBuffer yields every transition exactly once per epoch, fields aligned", () => {
  const buffer = filledBuffer(5, 3);
  buffer.computeReturnsAndAdvantage(new Float32Array(3), new Float32Array(3));
  const seen: number[] = [];
  const sizes: number[] = [];
  for (const batch of buffer.minibatches(4, new SeededRng(1))) {
    sizes.push(batch.size);
    for (let i = 0; i < batch.size; i++) {
      const id = batch.oldValues[i];
      seen.push(id);
      assert.deepEqual([...batch.rays.subarray(4 * i, 4 * i + 4)], [id, id, id, id]);
      assert.deepEqual([...batch.driveState.subarray(2 * i, 2 * i + 2)], [id, -id]);
      assert.deepEqual([...batch.actions.subarray(2 * i, 2 * i + 2)], [id, id + 0.5]);
      assert.equal(batch.oldLogProbs[i], -id);
      const step = Math.floor(id / 10);
      const env = id % 10;
      assert.equal(batch.advantages[i], buffer.advantages[step * 3 + env]);
      assert.equal(batch.returns[i], buffer.returns[step * 3 + env]);
    }
  }
  assert.deepEqual(sizes, [4, 4, 4, 3]);
  const expected = [];
  for (let s = 0; s < 5; s++) for (let e = 0; e < 3; e++) expected.push(s * 10 + e);
  assert.deepEqual(seen.sort((a, b) => a - b), expected);
});

Deno.test("RolloutBuffer shuffles reproducibly from the generator", () => {
  const order = (seed: number) => {
    const buffer = filledBuffer(4, 2);
    buffer.computeReturnsAndAdvantage(new Float32Array(2), new Float32Array(2));
    const ids: number[] = [];
    for (const batch of buffer.minibatches(8, new SeededRng(seed))) ids.push(...batch.oldValues);
    return ids;
  };
  assert.deepEqual(order(5), order(5));
  assert.notDeepEqual(order(5), order(6));
});

Deno.test("RolloutBuffer refuses to add past n_steps or to sample before it is full", () => {
  const buffer = filledBuffer(2, 1);
  assert.throws(() =>
    buffer.add({
      rays: new Float32Array(4),
      driveState: new Float32Array(2),
      actions: new Float32Array(2),
      rewards: [0],
      episodeStarts: [0],
      values: [0],
      logProbs: [0],
    }), /full/);
  buffer.reset();
  assert.throws(() => buffer.minibatches(1, new SeededRng(0)).next(), /holds 0 of 2/);
});
