import assert from "node:assert/strict";
import { SeededRng } from "../../../lib/rng/mod.ts";
import {
  type EnvSettings,
  loadMap,
  makeEnvSettings,
  type MapDefinition,
  mergeVecEnvSnapshots,
  RobotEnv,
  type RobotEnvSnapshot,
  SnapshotError,
  splitVecEnvSnapshot,
  VEC_ENV_OUTPUT_BUFFERS,
  VecEnv,
  type VecEnvSnapshot,
} from "../../../lib/sim/mod.ts";
import { sharedMapsDir, SKIP_MESSAGE } from "./_shared.ts";
import { assertDifferentLog, assertSameJson, assertSameLog } from "./_compare.ts";

const shared = sharedMapsDir();

interface Case {
  label: string;
  load: () => Promise<MapDefinition>;
  settings: EnvSettings;
}

const cases: Case[] = [
  {
    label: "default (built-in), difficulty 1",
    load: () => loadMap("default"),
    settings: makeEnvSettings({ difficulty: 1, episodeSeconds: 4 }),
  },
  {
    label: "corridor (built-in), bicycle robot",
    load: () => loadMap("corridor"),
    settings: makeEnvSettings({ difficulty: 3, episodeSeconds: 4, robot: { kind: "bicycle" } }),
  },
];
if (shared !== null) {
  cases.push(
    {
      label: "uni_campus_big.json (robot_sf JSON), difficulty 2",
      load: () => loadMap(`${shared}/uni_campus_big.json`),
      settings: makeEnvSettings({ difficulty: 2, episodeSeconds: 4 }),
    },
    {
      label: "classic_crossing.svg (robot_sf SVG), obstacle forces",
      load: () => loadMap(`${shared}/classic_crossing.svg`),
      settings: makeEnvSettings({
        difficulty: 3,
        episodeSeconds: 4,
        pedestrians: { forces: { obstacleForces: true } },
      }),
    },
  );
} else {
  console.warn(`snapshot_test: ${SKIP_MESSAGE} (robot_sf map cases)`);
}

/** `[T, 2]` random actions inside (and a little outside) the action space. */
function randomActions(seed: number, steps: number): Float32Array {
  const rng = new SeededRng(seed), out = new Float32Array(2 * steps);
  for (let t = 0; t < steps; t++) {
    out[2 * t] = rng.uniformRange(-0.5, 2.5);
    out[2 * t + 1] = rng.uniformRange(-1, 1);
  }
  return out;
}

/** Everything a step produces, as comparable values (floats as bytes). */
function stepRecord(env: RobotEnv, action: Float32Array) {
  const r = env.step(action);
  return {
    rays: new Uint8Array(r.observation.rays.slice().buffer),
    drive: new Uint8Array(r.observation.drive_state.slice().buffer),
    reward: r.reward,
    terminated: r.terminated,
    truncated: r.truncated,
    info: { ...r.info },
  };
}

/** Run `steps` steps from action `from`, resetting ended episodes; records everything. */
function run(env: RobotEnv, actions: Float32Array, from: number, steps: number) {
  const log: unknown[] = [];
  for (let t = from; t < from + steps; t++) {
    const rec = stepRecord(env, actions.subarray(2 * t, 2 * t + 2));
    log.push(rec);
    if (rec.terminated || rec.truncated) {
      const first = env.reset();
      log.push({ reset: new Uint8Array(first.observation.rays.slice().buffer) });
    }
  }
  return log;
}

/** Steps until an episode ends (not reset yet); returns the steps taken. */
function runToEpisodeEnd(env: RobotEnv, actions: Float32Array, from: number): number {
  for (let t = from;; t++) {
    const r = env.step(actions.subarray(2 * t, 2 * t + 2));
    if (r.terminated || r.truncated) return t + 1;
  }
}

function roundTrip<T>(value: T): T {
  return JSON.parse(JSON.stringify(value));
}

for (const c of cases) {
  Deno.test(`RobotEnv.restore() continues bit for bit mid-episode and after a reset: ${c.label}`, async () => {
    const map = await c.load();
    const actions = randomActions(11, 400);
    const M = 120;
    const env = new RobotEnv(map, c.settings, { seed: 3 });
    env.reset();

    // Mid-episode: 25 steps into a 40-step episode at most.
    let t = 0;
    for (; t < 25; t++) {
      const r = env.step(actions.subarray(2 * t, 2 * t + 2));
      if (r.terminated || r.truncated) env.reset();
    }
    const mid = roundTrip(env.snapshot());
    assert.ok(mid.timestep > 0 && !mid.needsReset, "snapshot taken inside an episode");
    const expectedMid = run(env, actions, t, M);
    const fresh = new RobotEnv(map, c.settings, { seed: 999 });
    fresh.reset();
    assertDifferentLog(run(fresh, actions, t, M), expectedMid, "control: no restore");
    const restored = new RobotEnv(map, c.settings, { seed: 999 });
    restored.restore(mid);
    assertSameJson(restored.snapshot(), mid, "restored snapshot");
    assertSameLog(run(restored, actions, t, M), expectedMid, "mid-episode");

    // Right after an episode ended (needs a reset), and right after that reset.
    t = runToEpisodeEnd(env, actions, t + M);
    const ended = roundTrip(env.snapshot());
    assert.equal(ended.needsReset, true);
    const atEnd = new RobotEnv(map, c.settings, { seed: 5 });
    atEnd.restore(ended);
    assert.throws(() => atEnd.step(actions.subarray(0, 2)), /reset\(\)/);
    env.reset();
    atEnd.reset();
    const afterReset = roundTrip(env.snapshot());
    assertSameJson(atEnd.snapshot(), afterReset, "snapshot after reset");
    assert.equal(afterReset.timestep, 0);
    const expectedAfter = run(env, actions, t, M);
    const restored2 = new RobotEnv(map, c.settings);
    restored2.restore(afterReset);
    assertSameLog(run(restored2, actions, t, M), expectedAfter, "after reset");
    // The stream index travels too: reset(seed) after restore equals the original's.
    const streamed = new RobotEnv(map, c.settings, { seed: 1, streamIndex: 4 });
    streamed.reset();
    const other = new RobotEnv(map, c.settings);
    other.restore(roundTrip(streamed.snapshot()));
    assert.deepEqual(
      other.reset(17).observation.rays,
      new RobotEnv(map, c.settings, { seed: 17, streamIndex: 4 }).reset().observation.rays,
    );
  });
}

Deno.test("RobotEnv.snapshot() survives JSON and restores into an identical snapshot", async () => {
  const map = await loadMap("default");
  const env = new RobotEnv(map, makeEnvSettings({ difficulty: 2 }), { seed: 8 });
  env.reset();
  for (let t = 0; t < 30; t++) env.step(Float32Array.of(0.3, 0.1));
  // A snapshot taken before the first reset restores too.
  const unstarted = new RobotEnv(map, makeEnvSettings({ difficulty: 2 }), { seed: 8 });
  const early = new RobotEnv(map, makeEnvSettings({ difficulty: 2 }));
  early.restore(roundTrip(unstarted.snapshot()));
  assert.throws(() => early.step(Float32Array.of(0, 0)), /reset\(\)/);
  assert.deepEqual(early.reset().observation.rays, unstarted.reset().observation.rays);
  const snap = env.snapshot();
  const text = JSON.stringify(snap);
  const twin = new RobotEnv(map, makeEnvSettings({ difficulty: 2 }));
  twin.restore(JSON.parse(text));
  assertSameJson(twin.snapshot(), snap, "snapshot of the restored env");
  assert.equal(JSON.stringify(twin.snapshot()), text);
  assert.equal(snap.version, 1);
  assert.equal(snap.pedestrians.count, env.pedestrians.count);
  // Typed arrays are base64 of little-endian bytes: decode one by hand.
  const bytes = Uint8Array.from(atob(snap.pedestrians.px.data), (ch) => ch.charCodeAt(0));
  assert.deepEqual(new Float64Array(bytes.buffer), env.pedestrians.px);
});

Deno.test("RobotEnv.restore() refuses other settings, other maps, newer versions and bad arrays", async () => {
  const map = await loadMap("default");
  const settings = makeEnvSettings({ difficulty: 1 });
  const env = new RobotEnv(map, settings, { seed: 2 });
  env.reset();
  const snap = env.snapshot();
  const before = JSON.stringify(snap);
  const harder = new RobotEnv(map, makeEnvSettings({ difficulty: 1, goalRadius: 1.5 }));
  assert.throws(
    () => harder.restore(snap),
    (e) => e instanceof SnapshotError && /settings/.test(e.message),
  );
  const corridor = new RobotEnv(await loadMap("corridor"), settings);
  assert.throws(() => corridor.restore(snap), SnapshotError);
  const target = new RobotEnv(map, settings, { seed: 2 });
  target.reset();
  const untouched = JSON.stringify(target.snapshot());
  assert.throws(
    () => target.restore({ ...snap, version: 2 }),
    (e) => e instanceof SnapshotError && /version 2 is newer/.test(e.message),
  );
  assert.throws(
    () => target.restore({ ...snap, format: "other" } as unknown as RobotEnvSnapshot),
    SnapshotError,
  );
  assert.equal(JSON.stringify(target.snapshot()), untouched, "refused restores change nothing");
  const badRays = roundTrip(snap);
  badRays.observation.rays.length = 10;
  assert.throws(
    () => target.restore(badRays),
    (e) => e instanceof SnapshotError && /observation\.rays/.test(e.message),
  );
  assert.equal(JSON.stringify(snap), before, "restore does not modify its argument");
});

/** Every vector env buffer after a step, as bytes, plus the ended count. */
function vecRecord(vec: VecEnv, ended: number) {
  const out: Record<string, unknown> = { ended, finished: vec.episodesFinished };
  for (const [k, v] of Object.entries(vec.buffers)) {
    if (k !== "actions") out[k] = new Uint8Array(v.slice().buffer);
  }
  return out;
}

function vecRun(vec: VecEnv, actions: Float32Array, from: number, steps: number) {
  const n = vec.numEnvs, log: unknown[] = [];
  for (let t = from; t < from + steps; t++) {
    log.push(vecRecord(vec, vec.step(actions.subarray(2 * n * t, 2 * n * (t + 1)))));
  }
  return log;
}

Deno.test("VecEnv.restore() continues bit for bit right after an auto-reset and mid-episode", async () => {
  const map = await loadMap("default");
  const settings = makeEnvSettings({ difficulty: 1, episodeSeconds: 3 });
  const n = 3, M = 80;
  const actions = randomActions(21, n * 400);
  const vec = new VecEnv(map, settings, { numEnvs: n, seed: 42 });
  vec.reset();
  let t = 0;
  while (vec.step(actions.subarray(2 * n * t, 2 * n * (t + 1))) === 0) t++;
  t++;
  const afterAutoReset = roundTrip(vec.snapshot());
  assert.ok(afterAutoReset.envs.some((e) => e.timestep === 0), "an env was just auto-reset");
  const atSnapshot = vecRecord(vec, 0);
  const expected = vecRun(vec, actions, t, M);
  const twin = new VecEnv(map, settings, { numEnvs: n, seed: 7 });
  twin.restore(afterAutoReset);
  assertSameLog([vecRecord(twin, 0)], [atSnapshot], "observations and last-step outputs");
  assertSameLog(vecRun(twin, actions, t, M), expected, "after auto-reset");

  // Mid-episode for every env.
  t += M;
  while (vec.envs.some((e) => e.snapshot().timestep === 0)) {
    vec.step(actions.subarray(2 * n * t, 2 * n * (t + 1)));
    t++;
  }
  const mid = roundTrip(vec.snapshot());
  const expectedMid = vecRun(vec, actions, t, M);
  const twin2 = new VecEnv(map, settings, { numEnvs: n, seed: 7 });
  twin2.reset();
  twin2.restore(mid);
  assertSameLog(vecRun(twin2, actions, t, M), expectedMid, "mid-episode");
  assert.equal(twin2.episodesFinished, vec.episodesFinished);
});

Deno.test("VecEnv snapshots split and merge by env range, and restore checks the env count", async () => {
  const map = await loadMap("open_square");
  const settings = makeEnvSettings({ episodeSeconds: 2 });
  const vec = new VecEnv(map, settings, { numEnvs: 3, seed: 4 });
  vec.reset();
  for (let t = 0; t < 30; t++) vec.step(new Float32Array(6).fill(0.5));
  const snap = roundTrip(vec.snapshot());
  const parts = splitVecEnvSnapshot(snap, [1, 2]);
  assert.deepEqual(parts.map((p) => p.numEnvs), [1, 2]);
  assert.equal(parts[1].envs[0].streamIndex, 1);
  assertSameJson(mergeVecEnvSnapshots(parts), snap, "merged");
  // A part restores into a vector env of its size and matches env 1..2 of the whole.
  const tail = new VecEnv(map, settings, { numEnvs: 2, seed: 0 });
  tail.restore(parts[1]);
  for (const key of VEC_ENV_OUTPUT_BUFFERS) {
    const whole = vec.buffers[key], row = whole.length / 3;
    assert.deepEqual(tail.buffers[key], whole.subarray(row, 3 * row), key);
  }
  const two = new VecEnv(map, settings, { numEnvs: 2 });
  assert.throws(
    () => two.restore(snap),
    (e) => e instanceof SnapshotError && /3 envs/.test(e.message),
  );
  assert.throws(() => splitVecEnvSnapshot(snap, [1, 1]), SnapshotError);
  const future = { ...snap, version: 99 } as VecEnvSnapshot;
  assert.throws(() => vec.restore(future), /newer/);
});
