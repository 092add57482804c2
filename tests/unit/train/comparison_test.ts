// The orchestration around the trainer boundary. The trainers here stand in for
// lib/rl's trainExtractor only where the behaviour under test is the orchestration's
// answer to what a trainer does (throws, or stops on the signal); real training is
// covered end to end by tests/integration/train.
import assert from "node:assert/strict";
import * as nodePath from "node:path";
import {
  readManifest,
  sha256File,
  validateTrainingSummary,
  writeFileAtomic,
} from "../../../lib/run/mod.ts";
import { summarizeRun } from "../../../lib/report/mod.ts";
import {
  comparisonOutcome,
  INTERRUPTED_REASON,
  prepareComparison,
  recordReason,
  runComparison,
  SCENARIO_COPY_FILE_NAME,
  TEST_MODE_NOTE,
  type TrainExtractorFn,
  type TrainExtractorOptions,
} from "../../../lib/train/mod.ts";
import { hostReport, scenarioFile } from "./_helpers.ts";

const TWO = `run:
  run_id: unit
extractors:
  - {name: alpha, preset: mlp_small}
  - {name: beta, preset: dynamics_original}
`;

const never: TrainExtractorFn = () => {
  throw new Error("The trainer must not be called");
};

async function readJson(path: string) {
  return JSON.parse(await Deno.readTextFile(path));
}

class ExtractorRunError extends Error {
  readonly reason: string;
  readonly hint: string;
  constructor(reason: string, hint: string) {
    super(`${reason} (hint: ${hint})`);
    this.name = "ExtractorRunError";
    this.reason = reason;
    this.hint = hint;
  }
}

/** Write a checkpoint file and its manifest event, as the trainer does. */
async function writeCheckpoint(options: TrainExtractorOptions, step: number): Promise<string> {
  const dir = nodePath.join(options.extractorDir, "checkpoints");
  await Deno.mkdir(dir, { recursive: true });
  const path = nodePath.join(dir, `step_${step}.ckpt`);
  await writeFileAtomic(path, new TextEncoder().encode(`checkpoint at ${step}`));
  const relative = nodePath.relative(options.runDir, path);
  await options.manifest?.append({
    event: "checkpoint_written",
    extractor: options.profile.name,
    path: relative,
    step,
    sha256: await sha256File(path),
  });
  return relative;
}

Deno.test("comparisonOutcome() fails on any failed record and treats skips as expected", () => {
  const record = (status: "success" | "failed" | "skipped") =>
    ({ config_name: status, status, start_time: "", worker_mode: "single-thread" }) as const;
  assert.equal(comparisonOutcome([record("success"), record("skipped")], false), "completed");
  assert.equal(comparisonOutcome([record("skipped")], false), "completed");
  assert.equal(comparisonOutcome([record("success"), record("failed")], false), "failed");
  assert.equal(comparisonOutcome([record("success")], true), "interrupted");
});

Deno.test("runComparison() records every skip of a cuda run on a host without CUDA and never calls the trainer", async () => {
  const t = await scenarioFile(`run:
  run_id: gpu
  worker_mode: vectorized
  num_envs: 2
  device: cuda
extractors:
  - {name: lightweight_cnn, preset: lightweight_cnn, expected_resources: gpu}
  - {name: attention_small, preset: attention_small, expected_resources: gpu}
`);
  try {
    const prepared = await prepareComparison(t.file, {
      outputRoot: t.root,
      hardware: hostReport(),
      testMode: true,
    });
    const result = await runComparison(prepared, { trainer: never, figures: false });
    assert.equal(result.outcome, "completed");
    assert.deepEqual(result.records.map((r) => [r.config_name, r.status]), [
      ["lightweight_cnn", "skipped"],
      ["attention_small", "skipped"],
    ]);
    for (const record of result.records) {
      assert.match(record.reason ?? "", /^CUDA device requested/);
    }

    const runDir = result.run.path;
    const copy = nodePath.join(runDir, SCENARIO_COPY_FILE_NAME);
    assert.equal(await Deno.readTextFile(copy), await Deno.readTextFile(t.file));
    const { events } = await readManifest(nodePath.join(runDir, "manifest.jsonl"));
    assert.deepEqual(events.map((e) => e.event), [
      "run_started",
      "extractor_finished",
      "extractor_finished",
      "summary_written",
    ]);
    const started = events[0];
    assert.ok(started.event === "run_started");
    assert.equal(started.config_sha256, await sha256File(copy));
    assert.equal(started.config.test_mode, true);
    assert.equal((started.config.run as { total_timesteps: number }).total_timesteps, 256);
    const summary = await readJson(nodePath.join(runDir, "summary.json"));
    assert.deepEqual(validateTrainingSummary(summary), []);
    assert.equal(summary.aggregate_metrics.skipped_runs, 2);
    assert.ok(summary.notes.includes(TEST_MODE_NOTE));
    // A later rebuild keeps the run's own notes.
    const rebuilt = await summarizeRun(runDir, { figures: false });
    assert.ok(rebuilt.summary.notes?.includes(TEST_MODE_NOTE));
  } finally {
    await t.cleanup();
  }
});

Deno.test("runComparison() records a throwing extractor as failed and trains the next one", async () => {
  const t = await scenarioFile(TWO);
  try {
    const prepared = await prepareComparison(t.file, {
      outputRoot: t.root,
      hardware: hostReport(),
    });
    const calls: string[] = [];
    const trainer: TrainExtractorFn = async (options) => {
      const { profile, runDir, extractorDir } = options;
      calls.push(profile.name);
      assert.equal(nodePath.dirname(extractorDir), nodePath.join(runDir, "extractors"));
      if (profile.name === "alpha") {
        new ArrayBuffer(2 ** 52); // a real allocation failure
      }
      // alpha's failure is already in the current summary while beta trains.
      const current = await readJson(nodePath.join(runDir, "summary.json"));
      assert.equal(current.extractor_results[0].status, "failed");
      await writeCheckpoint(options, 64);
      throw new ExtractorRunError("Loss became NaN at step 64", "lower run.ppo.learning_rate");
    };
    const result = await runComparison(prepared, { trainer, figures: false });
    assert.deepEqual(calls, ["alpha", "beta"]);
    assert.equal(result.outcome, "failed");
    const [alpha, beta] = result.records;
    assert.equal(alpha.status, "failed");
    assert.match(alpha.reason ?? "", /^out of memory: .*allocation failed.*\(hint: reduce /i);
    assert.equal(alpha.artifacts?.extractor_dir, "extractors/alpha");
    assert.equal(beta.status, "failed");
    assert.equal(beta.reason, "Loss became NaN at step 64 (hint: lower run.ppo.learning_rate)");
    assert.equal(beta.artifacts?.last_checkpoint, "extractors/beta/checkpoints/step_64.ckpt");
    assert.equal(alpha.artifacts?.last_checkpoint, undefined);
    const { events } = await readManifest(nodePath.join(result.run.path, "manifest.jsonl"));
    assert.deepEqual(events.map((e) => e.event), [
      "run_started",
      "extractor_started",
      "extractor_finished",
      "extractor_started",
      "checkpoint_written",
      "extractor_finished",
      "summary_written",
    ]);
    const summary = result.summary.summary;
    assert.equal(summary.aggregate_metrics.failed_runs, 2);
    assert.equal(summary.extractor_results[1].reason, beta.reason);
  } finally {
    await t.cleanup();
  }
});

Deno.test("runComparison() stops at an interruption, keeps the checkpoint and starts nothing else", async () => {
  const t = await scenarioFile(TWO);
  try {
    const prepared = await prepareComparison(t.file, {
      outputRoot: t.root,
      hardware: hostReport(),
    });
    const controller = new AbortController();
    const calls: string[] = [];
    const trainer: TrainExtractorFn = async (options) => {
      calls.push(options.profile.name);
      assert.equal(options.signal, controller.signal);
      await writeCheckpoint(options, 64);
      controller.abort();
      return {
        trainingSteps: 80,
        metrics: {},
        artifacts: {},
        wallTimeSeconds: 0.1,
        interrupted: true,
        lastCheckpoint: null, // found in the manifest instead
        envRestored: null,
      };
    };
    const result = await runComparison(prepared, {
      trainer,
      signal: controller.signal,
      figures: false,
    });
    assert.deepEqual(calls, ["alpha"]);
    assert.equal(result.outcome, "interrupted");
    assert.equal(result.resumeCommand, `deno task resume ${result.run.path}`);
    assert.equal(result.records.length, 1);
    const [alpha] = result.records;
    assert.equal(alpha.status, "failed");
    assert.equal(alpha.reason, INTERRUPTED_REASON);
    assert.equal(alpha.training_steps, 80);
    assert.equal(alpha.artifacts?.last_checkpoint, "extractors/alpha/checkpoints/step_64.ckpt");
    const summary = await readJson(nodePath.join(result.run.path, "summary.json"));
    assert.deepEqual(validateTrainingSummary(summary), []);
    assert.deepEqual(
      summary.extractor_results.map((r: { status: string }) => r.status),
      ["failed", "skipped"],
    );
    assert.match(summary.extractor_results[1].reason, /^Not started/);
    assert.ok(summary.notes.includes(`Run interrupted; resume with: ${result.resumeCommand}`));
    const { events } = await readManifest(nodePath.join(result.run.path, "manifest.jsonl"));
    assert.equal(events.filter((e) => e.event === "extractor_started").length, 1);
    assert.equal(events.at(-1)?.event, "summary_written");
  } finally {
    await t.cleanup();
  }
});

Deno.test("runComparison() refuses a scenario file that changed after it was validated", async () => {
  const t = await scenarioFile(TWO);
  try {
    const prepared = await prepareComparison(t.file, {
      outputRoot: t.root,
      hardware: hostReport(),
    });
    await Deno.writeTextFile(t.file, TWO.replace("unit", "changed"));
    await assert.rejects(
      runComparison(prepared, { trainer: never }),
      /changed after it was validated/,
    );
    assert.equal((await Array.fromAsync(Deno.readDir(t.dir))).length, 1, "no run directory");
  } finally {
    await t.cleanup();
  }
});

Deno.test("recordReason() appends the hint in parentheses when there is one", () => {
  assert.equal(
    recordReason({ reason: "Loss became NaN", hint: "lower it" }),
    "Loss became NaN (hint: lower it)",
  );
  assert.equal(recordReason({ reason: "Loss became NaN", hint: "" }), "Loss became NaN");
});
