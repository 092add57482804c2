import assert from "node:assert/strict";
import { SeededRng } from "../../../lib/rng/mod.ts";
import {
  createVecEnvBuffers,
  EnvStepError,
  loadMap,
  makeEnvSettings,
  SnapshotError,
  VecEnv,
  type VecEnvSnapshot,
  type VectorEnv,
} from "../../../lib/sim/mod.ts";
import { WorkerVecEnv } from "../../../lib/sim/mod.ts";
import { assertSameJson, assertSameLog } from "../sim/_compare.ts";

const settings = makeEnvSettings({ map: "default", difficulty: 1, episodeSeconds: 3 });
const map = await loadMap("default");

function randomActions(seed: number, n: number, steps: number): Float32Array {
  const rng = new SeededRng(seed), out = new Float32Array(2 * n * steps);
  for (let i = 0; i < out.length; i += 2) {
    out[i] = rng.uniformRange(0, 2);
    out[i + 1] = rng.uniformRange(-0.5, 0.5);
  }
  return out;
}

/** Every buffer (as bytes) and the ended count after each of `steps` steps. */
async function record(vec: VectorEnv, actions: Float32Array, from: number, steps: number) {
  const row = 2 * vec.numEnvs, log: unknown[] = [];
  for (let t = from; t < from + steps; t++) {
    const ended = await vec.step(actions.subarray(row * t, row * (t + 1)));
    const entry: Record<string, unknown> = { ended, finished: vec.episodesFinished };
    for (const [k, v] of Object.entries(vec.buffers)) {
      if (k !== "actions") entry[k] = new Uint8Array(v.slice().buffer);
    }
    log.push(entry);
  }
  return log;
}

Deno.test("WorkerVecEnv gives bitwise the in-thread VecEnv's results with 1, 2 and N workers", async () => {
  const steps = 90;
  for (const n of [4, 3]) {
    const actions = randomActions(5, n, steps);
    const reference = new VecEnv(map, settings, { numEnvs: n, seed: 11 });
    reference.reset();
    const expected = await record(reference, actions, 0, steps);
    assert.ok(reference.episodesFinished >= n, "episodes ended and auto-reset along the way");
    for (const w of n === 4 ? [1, 2, 4] : [2]) {
      const vec = await WorkerVecEnv.create(settings, { numEnvs: n, envWorkers: w, seed: 11 });
      try {
        assert.equal(vec.envWorkers, w);
        assert.ok(vec.buffers.rays.buffer instanceof SharedArrayBuffer);
        assert.deepEqual(vec.observationSpace.rays.shape, [3, 272]);
        await vec.reset();
        assertSameLog(await record(vec, actions, 0, steps), expected, `N = ${n}, W = ${w}`);
      } finally {
        await vec.close();
      }
    }
  }
});

Deno.test("WorkerVecEnv snapshots equal VecEnv's and restore across worker counts in both directions", async () => {
  const n = 4, actions = randomActions(8, n, 120);
  const vec = await WorkerVecEnv.create(settings, { numEnvs: n, envWorkers: 2, seed: 3 });
  const other = await WorkerVecEnv.create(settings, { numEnvs: n, envWorkers: 3, seed: 99, map });
  try {
    assert.deepEqual(other.envRanges, [[0, 2], [2, 1], [3, 1]]);
    const reference = new VecEnv(map, settings, { numEnvs: n, seed: 3 });
    reference.reset();
    await vec.reset();
    await record(reference, actions, 0, 40);
    await record(vec, actions, 0, 40);
    const snap: VecEnvSnapshot = JSON.parse(JSON.stringify(await vec.snapshot()));
    assertSameJson(snap, reference.snapshot(), "worker snapshot vs VecEnv snapshot");
    const expected = await record(vec, actions, 40, 60);

    const inThread = new VecEnv(map, settings, { numEnvs: n, seed: 1 });
    inThread.restore(snap);
    assertSameLog(await record(inThread, actions, 40, 60), expected, "worker -> VecEnv");

    await other.reset();
    await other.restore(snap);
    assertSameLog(await record(other, actions, 40, 60), expected, "2 workers -> 3 workers");

    await other.restore(reference.snapshot());
    assertSameLog(await record(other, actions, 40, 60), expected, "VecEnv -> workers");
  } finally {
    await vec.close();
    await other.close();
  }
});

Deno.test("WorkerVecEnv.step() rejects naming the failing env, then refuses to step until restored", async () => {
  const n = 4;
  const vec = await WorkerVecEnv.create(settings, { numEnvs: n, envWorkers: 2, seed: 6 });
  try {
    await vec.reset();
    const snap = await vec.snapshot();
    vec.buffers.actions.fill(0.2);
    vec.buffers.actions[2 * 2 + 1] = Number.NaN; // env 2, in worker 1
    await assert.rejects(vec.step(), (err: unknown) => {
      assert.ok(err instanceof EnvStepError);
      assert.equal(err.envIndex, 2);
      assert.equal(err.message, "Env 2 (worker 1) failed in step: Action contains NaN");
      assert.ok(err.cause instanceof RangeError);
      return true;
    });
    await assert.rejects(vec.step(), /after a failure \(Env 2/);
    await assert.rejects(vec.snapshot(), /after a failure/);
    await vec.restore(snap);
    vec.buffers.actions.fill(0.2);
    const reference = new VecEnv(map, settings, { numEnvs: n, seed: 6 });
    reference.reset();
    const actions = new Float32Array(2 * n * 5).fill(0.2);
    assertSameLog(await record(vec, actions, 0, 5), await record(reference, actions, 0, 5));
  } finally {
    await vec.close();
  }
});

Deno.test("WorkerVecEnv refuses overlapping calls, bad sizes, unshared buffers and foreign snapshots", async () => {
  await assert.rejects(
    WorkerVecEnv.create(settings, { numEnvs: 2, envWorkers: 3 }),
    (e) =>
      e instanceof RangeError &&
      /envWorkers must be an integer in \[1, numEnvs = 2\]/.test(e.message),
  );
  await assert.rejects(
    WorkerVecEnv.create(settings, {
      numEnvs: 2,
      buffers: createVecEnvBuffers(2, { stackSteps: 3, rays: 272 }),
    }),
    (e) => e instanceof TypeError && /SharedArrayBuffer/.test(e.message),
  );
  const vec = await WorkerVecEnv.create(settings, { numEnvs: 2, seed: 1 });
  try {
    assert.equal(vec.envWorkers, Math.min(2, navigator.hardwareConcurrency));
    await vec.reset();
    const first = vec.step();
    await assert.rejects(vec.step(), /has not finished/);
    await first;
    await assert.rejects(vec.step(new Float32Array(3)), RangeError);
    const three = new VecEnv(map, settings, { numEnvs: 3 });
    await assert.rejects(vec.restore(three.snapshot()), SnapshotError);
    // Another map: refused inside the worker, the class survives the boundary.
    const corridor = new VecEnv(await loadMap("corridor"), settings, { numEnvs: 2 });
    await assert.rejects(
      vec.restore(corridor.snapshot()),
      (e) => e instanceof SnapshotError && /another map or other settings/.test(e.message),
    );
  } finally {
    await vec.close();
  }
});

Deno.test("WorkerVecEnv.create() reports a map a worker cannot load, and close() ends every call", async () => {
  await assert.rejects(
    WorkerVecEnv.create(makeEnvSettings({ map: "/nonexistent/maps/none.json" }), { numEnvs: 2 }),
    (e) =>
      e instanceof Deno.errors.NotFound &&
      /^Env worker 0 failed to start: .*\/nonexistent\/maps\/none\.json/.test(e.message),
  );
  const vec = await WorkerVecEnv.create(settings, { numEnvs: 2, envWorkers: 2 });
  await vec.reset();
  const pending = vec.step();
  await vec.close(); // waits for the step in flight
  assert.equal(typeof await pending, "number");
  await vec.close();
  await assert.rejects(vec.step(), /closed/);
  await assert.rejects(vec.reset(), /closed/);
});
