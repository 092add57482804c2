import assert from "node:assert/strict";
import {
  type ExtractorRunRecord,
  type ManifestEvent,
  parseManifest,
  runState,
} from "../../../lib/run/mod.ts";

const HARDWARE = { platform: "linux", arch: "x86_64", python_version: "deno 2.9.6", workers: 1 };

let clock = Date.parse("2026-11-29T12:00:00Z");

/** An event at the next second (times are what the sessions are measured from). */
function at(seconds: number, fields: Record<string, unknown>): ManifestEvent {
  clock += seconds * 1000;
  return { format_version: 2, time: new Date(clock).toISOString(), ...fields } as ManifestEvent;
}

function record(name: string, status: string, reason?: string): ExtractorRunRecord {
  return {
    config_name: name,
    status,
    start_time: "2026-11-29T12:00:00.000Z",
    worker_mode: "single-thread",
    ...(reason === undefined ? { metrics: { m: 1 }, artifacts: { a: "b" } } : { reason }),
  } as ExtractorRunRecord;
}

function checkpoint(extractor: string, step: number, sha = "a") {
  return {
    event: "checkpoint_written",
    extractor,
    step,
    path: `extractors/${extractor}/checkpoints/checkpoint_${step}_steps.ckpt`,
    sha256: sha.repeat(64),
  };
}

function evaluation(extractor: string, timestep: number, mean_reward: number) {
  return { event: "evaluation_done", extractor, timestep, mean_reward, std_reward: 0 };
}

const started = (extractor: string, resumed?: { path: string; step: number }) => ({
  event: "extractor_started",
  extractor,
  directory: `extractors/${extractor}`,
  ...(resumed ? { resumed_from: resumed.path, step: resumed.step } : {}),
});

Deno.test("runState() follows an extractor through an interruption, a crash and two resumes", () => {
  clock = Date.parse("2026-11-29T12:00:00Z");
  const events = [
    at(0, {
      event: "run_started",
      run_id: "r",
      run_dir_name: "d",
      config_file: "/s.yaml",
      config_sha256: "c".repeat(64),
      config: {},
      hardware: HARDWARE,
    }),
    at(1, started("a")), // session 1: 12:00:01 .. 12:00:11 (interrupted)
    at(2, evaluation("a", 64, -1)),
    at(2, checkpoint("a", 64)),
    at(2, evaluation("a", 128, -0.5)),
    at(2, checkpoint("a", 128)),
    at(2, {
      event: "extractor_finished",
      extractor: "a",
      record: record("a", "failed", "interrupted"),
    }),
    at(5, { event: "run_resumed", hardware: HARDWARE, actions: { a: "continue" } }),
    at(1, started("a", { path: "extractors/a/checkpoints/checkpoint_64_steps.ckpt", step: 64 })),
    // session 2: 12:00:17 .. 12:00:21, killed after an evaluation (no finish)
    at(4, evaluation("a", 128, -0.25)),
    at(9, { event: "run_resumed", hardware: HARDWARE, actions: { a: "continue" } }),
    at(1, started("a", { path: "extractors/a/checkpoints/checkpoint_64_steps.ckpt", step: 64 })),
    // session 3: 12:00:31 ..
    at(3, checkpoint("a", 128, "b")),
  ];
  const inProgress = runState(events).extractors.get("a")!;
  assert.equal(inProgress.phase, "in_progress");
  assert.equal(inProgress.record, null);
  assert.equal(inProgress.sessions, 3);
  assert.equal(inProgress.attemptStartedAt, "2026-11-29T12:00:01.000Z");
  // 10 s (to the interrupted record) + 4 s (to its last event) + 3 s (so far).
  assert.equal(inProgress.sessionSeconds, 17);
  // The checkpoint at 128 of the first session was superseded by the continuation
  // from 64; the one the third session wrote replaces it.
  assert.deepEqual(inProgress.checkpoints.map((c) => [c.step, c.sha256[0]]), [[64, "a"], [
    128,
    "b",
  ]]);
  // Evaluations past step 64 were dropped at each continuation; 128 was evaluated again.
  assert.deepEqual(inProgress.evaluations.map((e) => [e.timestep, e.mean_reward]), [[64, -1]]);
  const more = [...events, at(1, evaluation("a", 128, -0.25))];
  assert.deepEqual(
    runState(more).extractors.get("a")!.evaluations.map((e) => [e.timestep, e.mean_reward]),
    [[64, -1], [128, -0.25]],
  );

  const done = runState([
    ...more,
    at(2, { event: "extractor_finished", extractor: "a", record: record("a", "success") }),
    at(1, { event: "summary_written", files: {}, output_dir: "/d" }),
  ]);
  const a = done.extractors.get("a")!;
  assert.equal(a.phase, "finished");
  assert.equal(a.record?.status, "success");
  assert.equal(a.finishedIndex, 14);
  assert.equal(done.lastSummaryIndex, 15);
  assert.equal(done.resumes.length, 2);
  assert.equal(done.started?.run_id, "r");
});

Deno.test("runState() starts a new attempt at a fresh start and records skips without a start", () => {
  clock = Date.parse("2026-11-29T12:00:00Z");
  const state = runState([
    at(0, started("a")),
    at(1, checkpoint("a", 64)),
    at(1, evaluation("a", 64, 2)),
    at(1, {
      event: "extractor_finished",
      extractor: "a",
      record: record("a", "failed", "NaN loss"),
    }),
    at(10, started("a")), // --retry-failed: a fresh start owns the logs
    at(1, {
      event: "extractor_finished",
      extractor: "b",
      record: record("b", "skipped", "no GPU"),
    }),
  ]);
  const a = state.extractors.get("a")!;
  assert.equal(a.phase, "in_progress");
  assert.equal(a.sessions, 1);
  assert.equal(a.attemptStartedAt, "2026-11-29T12:00:13.000Z");
  assert.deepEqual(a.checkpoints, []);
  assert.deepEqual(a.evaluations, []);
  const b = state.extractors.get("b")!;
  assert.equal(b.phase, "finished");
  assert.equal(b.record?.reason, "no GPU");
  assert.equal(b.attemptStartedAt, null);
  assert.equal(state.started, null);
  assert.equal(state.extractors.has("c"), false);
});

Deno.test("runState() reads the events of a format 1 manifest", () => {
  const line = (fields: Record<string, unknown>) =>
    JSON.stringify({ format_version: 1, time: "2026-11-29T12:00:00Z", ...fields });
  const { events } = parseManifest(
    [line(started("a")), line(checkpoint("a", 64))].map((l) => `${l}\n`).join(""),
  );
  const a = runState(events).extractors.get("a")!;
  assert.equal(a.phase, "in_progress");
  assert.equal(a.checkpoints.length, 1);
});

Deno.test("runState() keeps the trials of a multi-seed run apart by (extractor, seed)", () => {
  const events = [
    at(0, {
      event: "run_started",
      run_id: "r",
      run_dir_name: "d",
      config_file: "/s.yaml",
      config_sha256: "0".repeat(64),
      config: {},
      hardware: HARDWARE,
    }),
    at(1, {
      event: "extractor_started",
      extractor: "a",
      seed: 1,
      directory: "extractors/a/seed_1",
    }),
    at(1, {
      event: "extractor_started",
      extractor: "a",
      seed: 2,
      directory: "extractors/a/seed_2",
    }),
    at(1, {
      event: "checkpoint_written",
      extractor: "a",
      seed: 2,
      path: "extractors/a/seed_2/c.ckpt",
      step: 128,
      sha256: "a".repeat(64),
    }),
    at(1, { event: "extractor_finished", extractor: "a", seed: 1, record: record("a", "success") }),
  ];
  const state = runState(events);
  assert.deepEqual([...state.extractors.keys()], ["a/seed_1", "a/seed_2"]);
  const [one, two] = [state.extractors.get("a/seed_1")!, state.extractors.get("a/seed_2")!];
  assert.deepEqual([one.extractor, one.seed, one.phase], ["a", 1, "finished"]);
  assert.deepEqual([two.extractor, two.seed, two.phase], ["a", 2, "in_progress"]);
  assert.deepEqual(two.checkpoints.map((c) => c.step), [128]);
  assert.deepEqual(one.checkpoints, []);
});
