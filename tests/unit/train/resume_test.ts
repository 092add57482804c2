// Resume's decisions and orchestration around the trainer boundary. The trainers here
// stand in for lib/rl's trainExtractor where the behaviour under test is what resume
// asks of a trainer (which checkpoint, which extractor); the checkpoint files are real
// trainer checkpoints (lib/rl's encoder), so their checks are the real ones. Real
// training, kills and bitwise equality are covered by tests/integration/resume.
import assert from "node:assert/strict";
import * as nodePath from "node:path";
import { CUT_SHORT_REASON, IN_PROGRESS_REASON, summarizeRun } from "../../../lib/report/mod.ts";
import {
  acquireFileLock,
  type ManifestEvent,
  ManifestWriter,
  readManifest,
  sha256Hex,
  validateTrainingSummary,
} from "../../../lib/run/mod.ts";
import {
  createRun,
  InvocationError,
  prepareComparison,
  type PreparedComparison,
  prepareResume,
  resumeComparison,
  ResumeRefusedError,
  runComparison,
  type TrainExtractorFn,
} from "../../../lib/train/mod.ts";
import { hostReport, scenarioFile, writeTrainerCheckpoint } from "./_helpers.ts";
import { parseOverride, seedOverride } from "../../../lib/config/mod.ts";

const TWO = `run:
  run_id: unit
extractors:
  - {name: alpha, preset: mlp_small}
  - {name: beta, preset: dynamics_original}
`;

class ExtractorRunError extends Error {
  readonly reason: string;
  readonly hint: string;
  constructor(reason: string, hint: string) {
    super(reason);
    this.name = "ExtractorRunError";
    this.reason = reason;
    this.hint = hint;
  }
}

function success(steps = 256) {
  return {
    trainingSteps: steps,
    metrics: { best_mean_reward: 1 },
    artifacts: { final_model: "m.onnx" },
    wallTimeSeconds: 0.1,
    interrupted: false,
    lastCheckpoint: null,
    envRestored: null,
  };
}

/** A run of TWO in which alpha wrote checkpoints at 64 and 128, then was interrupted. */
async function interruptedRun(
  root: string,
  file: string,
): Promise<{ prepared: PreparedComparison; runDir: string }> {
  const prepared = await prepareComparison(file, { outputRoot: root, hardware: hostReport() });
  const controller = new AbortController();
  const result = await runComparison(prepared, {
    signal: controller.signal,
    figures: false,
    trainer: async (options) => {
      await writeTrainerCheckpoint(options, 64);
      await writeTrainerCheckpoint(options, 128);
      controller.abort();
      return { ...success(150), interrupted: true, metrics: {}, artifacts: {} };
    },
  });
  assert.equal(result.outcome, "interrupted");
  return { prepared, runDir: result.run.path };
}

async function events(runDir: string): Promise<ManifestEvent[]> {
  return (await readManifest(nodePath.join(runDir, "manifest.jsonl"))).events;
}

async function manifestBytes(runDir: string): Promise<string> {
  return await Deno.readTextFile(nodePath.join(runDir, "manifest.jsonl"));
}

Deno.test("resume continues an interrupted extractor from its newest checkpoint and starts the rest", async () => {
  const t = await scenarioFile(TWO);
  try {
    const { runDir } = await interruptedRun(t.root, t.file);
    const before = await manifestBytes(runDir);
    const resume = await prepareResume(runDir, { hardware: hostReport() });
    assert.equal(await manifestBytes(runDir), before, "prepareResume() writes nothing");
    assert.equal(resume.finished, false);
    assert.deepEqual(resume.warnings, []);
    assert.deepEqual(resume.entries.map((e) => [e.name, e.action, e.from?.step ?? null]), [
      ["alpha", "continue", 128],
      ["beta", "start", null],
    ]);
    const alphaStart = (await events(runDir)).find((e) => e.event === "extractor_started")!.time;
    assert.equal(resume.entries[0].earlier?.startedAt, alphaStart);

    const calls: [string, string | undefined][] = [];
    const trainer: TrainExtractorFn = (options) => {
      calls.push([options.profile.name, options.resumeFrom]);
      return Promise.resolve(success());
    };
    const result = await resumeComparison(resume, { trainer, figures: false, argv: ["x"] });
    assert.equal(result.outcome, "completed");
    assert.deepEqual(calls, [
      ["alpha", nodePath.join(runDir, "extractors/alpha/checkpoints/checkpoint_128_steps.ckpt")],
      ["beta", undefined],
    ]);
    const all = await events(runDir);
    const resumed = all.find((e) => e.event === "run_resumed");
    assert.ok(resumed?.event === "run_resumed");
    assert.deepEqual(resumed.actions, { alpha: "continue", beta: "start" });
    assert.deepEqual(resumed.argv, ["x"]);
    const starts = all.filter((e) => e.event === "extractor_started");
    assert.deepEqual(
      starts.map((e) => e.event === "extractor_started" && [e.extractor, e.resumed_from, e.step]),
      [
        ["alpha", undefined, undefined],
        ["alpha", "extractors/alpha/checkpoints/checkpoint_128_steps.ckpt", 128],
        ["beta", undefined, undefined],
      ],
    );
    assert.equal(all.at(-1)?.event, "summary_written");
    const summary = JSON.parse(await Deno.readTextFile(nodePath.join(runDir, "summary.json")));
    assert.deepEqual(validateTrainingSummary(summary), []);
    const [alpha, beta] = summary.extractor_results;
    assert.deepEqual([alpha.status, beta.status], ["success", "success"]);
    // The record spans alpha's attempt: it started with the first session.
    assert.equal(alpha.start_time, alphaStart);
    assert.ok(alpha.duration_seconds >= resume.entries[0].earlier!.seconds);

    const again = await prepareResume(runDir, { hardware: hostReport() });
    assert.equal(again.finished, true);
    assert.deepEqual(again.entries.map((e) => e.action), ["keep", "keep"]);
  } finally {
    await t.cleanup();
  }
});

Deno.test("prepareResume() falls back past bad checkpoints and restarts when none is good", async () => {
  const t = await scenarioFile(TWO);
  try {
    const { runDir } = await interruptedRun(t.root, t.file);
    const dir = nodePath.join(runDir, "extractors/alpha/checkpoints");
    const newest = nodePath.join(dir, "checkpoint_128_steps.ckpt");
    const bytes = await Deno.readFile(newest);
    await Deno.writeFile(newest, bytes.subarray(0, 40));
    const fallback = await prepareResume(runDir, { hardware: hostReport() });
    assert.deepEqual(fallback.entries[0].from, {
      checkpoint: "extractors/alpha/checkpoints/checkpoint_64_steps.ckpt",
      step: 64,
    });
    assert.equal(fallback.warnings.length, 1);
    assert.match(
      fallback.warnings[0],
      /^alpha: checkpoint extractors\/alpha\/checkpoints\/checkpoint_128_steps\.ckpt does not match the SHA-256 of its checkpoint_written event .*; falling back to the previous checkpoint$/,
    );

    // Right SHA-256 in the manifest, broken inside: the file's own checksum catches it.
    const older = nodePath.join(dir, "checkpoint_64_steps.ckpt");
    const corrupt = await Deno.readFile(older);
    corrupt[20] ^= 0xff;
    await Deno.writeFile(older, corrupt);
    const manifestPath = nodePath.join(runDir, "manifest.jsonl");
    const text = await Deno.readTextFile(manifestPath);
    const sha = (await events(runDir)).find((e) =>
      e.event === "checkpoint_written" && e.step === 64
    )!;
    assert.ok(sha.event === "checkpoint_written");
    await Deno.writeTextFile(manifestPath, text.replace(sha.sha256, await sha256Hex(corrupt)));
    const none = await prepareResume(runDir, { hardware: hostReport() });
    assert.equal(none.entries[0].action, "restart");
    assert.equal(none.entries[0].from, null);
    assert.match(
      none.warnings[1],
      /checkpoint_64_steps\.ckpt is unusable: .*no good checkpoint is left, so it restarts from scratch$/,
    );

    const calls: (string | undefined)[] = [];
    await resumeComparison(none, {
      figures: false,
      trainer: (options) => {
        calls.push(options.resumeFrom);
        return Promise.resolve(success());
      },
    });
    assert.deepEqual(calls, [undefined, undefined]);
  } finally {
    await t.cleanup();
  }
});

Deno.test("a failed extractor is kept, and trained again from scratch with retryFailed", async () => {
  const t = await scenarioFile(TWO);
  try {
    const prepared = await prepareComparison(t.file, {
      outputRoot: t.root,
      hardware: hostReport(),
    });
    const result = await runComparison(prepared, {
      figures: false,
      trainer: async (options) => {
        if (options.profile.name === "alpha") {
          await writeTrainerCheckpoint(options, 64);
          throw new ExtractorRunError("PPO loss became NaN", "lower the learning rate");
        }
        return success();
      },
    });
    assert.equal(result.outcome, "failed");
    const runDir = result.run.path;
    const kept = await prepareResume(runDir, { hardware: hostReport() });
    assert.equal(kept.finished, true);
    assert.deepEqual(kept.entries.map((e) => [e.name, e.action]), [["alpha", "keep"], [
      "beta",
      "keep",
    ]]);
    assert.match(kept.entries[0].record?.reason ?? "", /^PPO loss became NaN/);

    const retry = await prepareResume(runDir, { retryFailed: true, hardware: hostReport() });
    assert.equal(retry.finished, false);
    assert.deepEqual(retry.entries.map((e) => [e.name, e.action]), [["alpha", "retry"], [
      "beta",
      "keep",
    ]]);
    const calls: [string, string | undefined][] = [];
    const resumed = await resumeComparison(retry, {
      figures: false,
      trainer: (options) => {
        calls.push([options.profile.name, options.resumeFrom]);
        return Promise.resolve(success());
      },
    });
    assert.deepEqual(calls, [["alpha", undefined]]);
    assert.equal(resumed.outcome, "completed");
    assert.deepEqual(resumed.written.map((r) => [r.config_name, r.status]), [["alpha", "success"]]);
  } finally {
    await t.cleanup();
  }
});

Deno.test("a run stopped before its final summary gets the summary and nothing is trained", async () => {
  const t = await scenarioFile(TWO);
  try {
    const prepared = await prepareComparison(t.file, {
      outputRoot: t.root,
      hardware: hostReport(),
    });
    const result = await runComparison(prepared, {
      figures: false,
      trainer: () => Promise.resolve(success()),
    });
    const manifestPath = nodePath.join(result.run.path, "manifest.jsonl");
    const lines = (await Deno.readTextFile(manifestPath)).split("\n").filter((l) => l !== "");
    assert.equal(JSON.parse(lines.at(-1)!).event, "summary_written");
    await Deno.writeTextFile(manifestPath, lines.slice(0, -1).map((l) => `${l}\n`).join(""));
    const resume = await prepareResume(result.run.path, { hardware: hostReport() });
    assert.equal(resume.finished, false);
    assert.deepEqual(resume.entries.map((e) => e.action), ["keep", "keep"]);
    const done = await resumeComparison(resume, {
      figures: false,
      trainer: () => {
        throw new Error("The trainer must not be called");
      },
    });
    assert.equal(done.outcome, "completed");
    assert.deepEqual(done.written, []);
    assert.equal((await events(result.run.path)).at(-1)?.event, "summary_written");
  } finally {
    await t.cleanup();
  }
});

Deno.test("prepareResume() refuses an edited scenario copy, a newer manifest and a directory without a run", async () => {
  const t = await scenarioFile(TWO);
  try {
    const prepared = await prepareComparison(t.file, {
      outputRoot: t.root,
      hardware: hostReport(),
    });
    const created = await createRun(prepared);
    await created.close();
    const runDir = created.run.path;
    const refusal = async (kind: string, pattern: RegExp) => {
      const before = await manifestBytes(runDir).catch(() => null);
      await assert.rejects(
        prepareResume(runDir, { hardware: hostReport() }),
        (error: Error) =>
          error instanceof ResumeRefusedError && error.refusal === kind &&
          pattern.test(error.message),
      );
      assert.equal(await manifestBytes(runDir).catch(() => null), before);
    };
    const copy = nodePath.join(runDir, "scenario.yaml");
    const original = await Deno.readTextFile(copy);
    await Deno.writeTextFile(copy, original.replace("run_id: unit", "run_id: other"));
    await refusal(
      "config_edited",
      /^The scenario was edited since the run started: .*scenario\.yaml has SHA-256 [0-9a-f]{64}, run_started recorded [0-9a-f]{64}; restore the file to resume/,
    );
    await Deno.remove(copy);
    await refusal("config_edited", /scenario\.yaml is missing/);
    await Deno.writeTextFile(copy, original);

    const manifestPath = nodePath.join(runDir, "manifest.jsonl");
    const good = await Deno.readTextFile(manifestPath);
    await Deno.writeTextFile(
      manifestPath,
      `${good}{"format_version":3,"event":"run_paused","time":"2027-01-01T00:00:00Z"}\n`,
    );
    await refusal(
      "newer_format",
      /manifest\.jsonl:2: written by a newer version of multi-extractor \(manifest format_version 3; this version reads up to 2\); resume the run with that version$/,
    );
    await Deno.writeTextFile(manifestPath, good);
    assert.equal((await prepareResume(runDir, { hardware: hostReport() })).finished, false);

    await Deno.remove(manifestPath);
    await refusal("not_a_run", /has no manifest\.jsonl: it is not a run directory/);
  } finally {
    await t.cleanup();
  }
});

Deno.test("--only names must be extractors of the run and limit the resume to them", async () => {
  const t = await scenarioFile(TWO);
  try {
    const { runDir } = await interruptedRun(t.root, t.file);
    await assert.rejects(
      prepareResume(runDir, { only: ["betta"], hardware: hostReport() }),
      (error: Error) =>
        error instanceof InvocationError &&
        /"betta" names no extractor of this run \(did you mean "beta"\?\)/.test(error.message),
    );
    const resume = await prepareResume(runDir, { only: ["beta"], hardware: hostReport() });
    assert.deepEqual(resume.entries.map((e) => [e.name, e.action]), [["beta", "start"]]);
    const calls: string[] = [];
    const result = await resumeComparison(resume, {
      figures: false,
      trainer: (options) => {
        calls.push(options.profile.name);
        return Promise.resolve(success());
      },
    });
    assert.deepEqual(calls, ["beta"]);
    assert.deepEqual(result.records.map((r) => r.config_name), ["beta"]);
    const resumed = (await events(runDir)).find((e) => e.event === "run_resumed");
    assert.ok(resumed?.event === "run_resumed");
    assert.deepEqual(resumed.only, ["beta"]);
    const summary = JSON.parse(await Deno.readTextFile(nodePath.join(runDir, "summary.json")));
    assert.deepEqual(
      summary.extractor_results.map((
        r: { status: string; reason?: string },
      ) => [r.status, r.reason]),
      [["failed", "interrupted"], ["success", undefined]],
    );
  } finally {
    await t.cleanup();
  }
});

Deno.test("resume refuses a run another process works on, and shares it between --only processes", async () => {
  const t = await scenarioFile(TWO);
  try {
    const { runDir } = await interruptedRun(t.root, t.file);
    const runLock = nodePath.join(runDir, "run.lock");
    const whole = await acquireFileLock(runLock); // e.g. train still running
    const resume = await prepareResume(runDir, { only: ["beta"], hardware: hostReport() });
    await assert.rejects(
      resumeComparison(resume, { figures: false }),
      (error: Error) =>
        error instanceof ResumeRefusedError && error.refusal === "busy" &&
        /Another process is working on .* \(train, or a resume of the whole run\)/.test(
          error.message,
        ),
    );
    // A whole-run resume blocked by train (or another whole-run resume) says so.
    const all = await prepareResume(runDir, { hardware: hostReport() });
    await assert.rejects(
      resumeComparison(all, { figures: false }),
      (error: Error) =>
        error instanceof ResumeRefusedError && error.refusal === "busy" &&
        /Another process is working on .* \(train, or another resume of this run\)/.test(
          error.message,
        ),
    );
    await whole.release();

    // Another `resume --only alpha` process: run lock shared, alpha's training lock, and
    // alpha continued in the manifest.
    const other = await acquireFileLock(runLock, { exclusive: false });
    const training = await acquireFileLock(
      nodePath.join(runDir, "extractors/alpha/training.lock"),
    );
    const manifest = await ManifestWriter.open(nodePath.join(runDir, "manifest.jsonl"));
    await manifest.append({
      event: "extractor_started",
      extractor: "alpha",
      directory: "extractors/alpha",
      resumed_from: "extractors/alpha/checkpoints/checkpoint_128_steps.ckpt",
      step: 128,
    });
    manifest.close();
    await assert.rejects(
      prepareResume(runDir, { only: ["alpha"], hardware: hostReport() }),
      (error: Error) =>
        error instanceof ResumeRefusedError && error.refusal === "busy" &&
        /Extractor alpha of .* is being trained by another process/.test(error.message),
    );
    const wholeResume = await prepareResume(runDir, { only: ["beta"], hardware: hostReport() });
    const result = await resumeComparison(wholeResume, {
      figures: false,
      trainer: () => Promise.resolve(success()),
    });
    assert.equal(result.outcome, "completed");
    // The summary shows alpha as in progress while its training lock is held, and as
    // cut short once the lock is free without a record.
    const statuses = async () => {
      const summary = JSON.parse(await Deno.readTextFile(nodePath.join(runDir, "summary.json")));
      assert.deepEqual(validateTrainingSummary(summary), []);
      return summary.extractor_results.map((
        r: { status: string; reason?: string },
      ) => [r.status, r.reason]);
    };
    assert.deepEqual(await statuses(), [["skipped", IN_PROGRESS_REASON], ["success", undefined]]);
    await training.release();
    await other.release();
    await summarizeRun(runDir, { figures: false });
    assert.deepEqual(await statuses(), [["failed", CUT_SHORT_REASON], ["success", undefined]]);
  } finally {
    await t.cleanup();
  }
});

Deno.test("an extractor started on a CUDA host is left alone by a resume on a host without CUDA", async () => {
  const t = await scenarioFile(`run:
  run_id: unit
extractors:
  - {name: alpha, preset: mlp_small}
  - {name: gpu, preset: mlp_small, expected_resources: gpu}
  - {name: later, preset: mlp_small, expected_resources: gpu}
`);
  try {
    const prepared = await prepareComparison(t.file, {
      outputRoot: t.root,
      hardware: hostReport({ cuda: true }),
    });
    const controller = new AbortController();
    const result = await runComparison(prepared, {
      signal: controller.signal,
      figures: false,
      trainer: async (options) => {
        if (options.profile.name === "alpha") return success();
        await writeTrainerCheckpoint(options, 64);
        controller.abort();
        return { ...success(64), interrupted: true };
      },
    });
    assert.equal(result.outcome, "interrupted");
    const resume = await prepareResume(result.run.path, { hardware: hostReport() });
    assert.deepEqual(resume.entries.map((e) => [e.name, e.action]), [
      ["alpha", "keep"],
      ["later", "skip"],
    ]);
    assert.equal(resume.finished, false);
    assert.match(
      resume.warnings[0],
      /^gpu: left as it is: Extractor expects GPU resources but the CUDA execution provider is not usable \(hint: /,
    );
    const onCuda = await prepareResume(result.run.path, { hardware: hostReport({ cuda: true }) });
    assert.deepEqual(onCuda.entries.map((e) => [e.name, e.action, e.from?.step ?? null]), [
      ["alpha", "keep", null],
      ["gpu", "continue", 64],
      ["later", "start", null],
    ]);
  } finally {
    await t.cleanup();
  }
});

Deno.test("resume refuses a changed or missing map file, keeping the manifest and every checkpoint", async () => {
  const map = {
    format: "multi-extractor-map",
    version: 1,
    width: 10,
    height: 10,
    robot_spawn_zones: [{ id: "a", rect: [1, 1, 2, 2] }],
    robot_goal_zones: [{ id: "b", rect: [7, 7, 2, 2] }],
    robot_routes: [{ id: "a_b", spawn: "a", goal: "b", waypoints: [[2, 2], [8, 8]] }],
  };
  const t = await scenarioFile(`${TWO}env:\n  map: room.json\n`);
  try {
    const mapFile = nodePath.join(t.dir, "room.json");
    const text = JSON.stringify(map);
    await Deno.writeTextFile(mapFile, text);
    const { runDir } = await interruptedRun(t.root, t.file);
    const started = (await events(runDir))[0];
    assert.equal(started.event === "run_started" && started.map_file, mapFile);
    // Independent digest of the bytes written above.
    const expected = Array.from(
      new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text))),
      (b) => b.toString(16).padStart(2, "0"),
    ).join("");
    assert.equal(started.event === "run_started" && started.map_sha256, expected);
    const checkpoints = nodePath.join(runDir, "extractors", "alpha", "checkpoints");
    const listing = () => [...Deno.readDirSync(checkpoints)].map((e) => e.name).sort();
    const keptCheckpoints = listing();
    assert.equal(keptCheckpoints.length, 2);
    const refusal = async (kind: string, pattern: RegExp) => {
      const before = await manifestBytes(runDir);
      await assert.rejects(
        prepareResume(runDir, { hardware: hostReport() }),
        (error: Error) =>
          error instanceof ResumeRefusedError && error.refusal === kind &&
          pattern.test(error.message),
      );
      assert.equal(await manifestBytes(runDir), before);
      assert.deepEqual(listing(), keptCheckpoints);
    };
    await Deno.writeTextFile(mapFile, JSON.stringify({ ...map, width: 11 }));
    await refusal("map_changed", /room\.json changed since the run started: it has SHA-256/);
    await Deno.remove(mapFile);
    await refusal("map_missing", /room\.json is missing; restore it \(SHA-256 [0-9a-f]{64}\)/);
    await Deno.writeTextFile(mapFile, text);
    const plan = await prepareResume(runDir, { hardware: hostReport() });
    assert.deepEqual(plan.entries.map((e) => e.action), ["continue", "start"]);
  } finally {
    await t.cleanup();
  }
});

Deno.test("--set overrides go into the run's scenario copy, so resume continues with them", async () => {
  const t = await scenarioFile(TWO);
  try {
    const prepared = await prepareComparison(t.file, {
      outputRoot: t.root,
      hardware: hostReport(),
      overrides: [parseOverride("run.total_timesteps=4096"), seedOverride("9")],
    });
    const created = await createRun(prepared);
    await created.close();
    const copy = await Deno.readTextFile(nodePath.join(created.run.path, "scenario.yaml"));
    assert.match(copy, /total_timesteps: 4096/);
    assert.equal(await Deno.readTextFile(t.file), TWO);
    const resumed = await prepareResume(created.run.path, { hardware: hostReport() });
    assert.equal(resumed.prepared.scenario.settings.run.total_timesteps, 4096);
    assert.equal(resumed.prepared.scenario.settings.run.seed, 9);
  } finally {
    await t.cleanup();
  }
});
