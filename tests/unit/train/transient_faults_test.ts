// Transient faults (full disk, I/O error, out of memory, a killed worker) leave an
// extractor resumable from its newest good checkpoint; --retry-failed continues other
// failures from the checkpoint too, except a divergence. The checkpoints are real
// trainer checkpoints (lib/rl's encoder); the trainer stands in for lib/rl's.
import assert from "node:assert/strict";
import * as nodePath from "node:path";
import {
  describeFailure,
  prepareComparison,
  prepareResume,
  resumeComparison,
  runComparison,
} from "../../../lib/train/mod.ts";
import { isDivergence, isTransientFailure } from "../../../lib/train/failures.ts";
import { hostReport, scenarioFile, writeTrainerCheckpoint } from "./_helpers.ts";

const TWO = `run:
  run_id: unit
extractors:
  - {name: alpha, preset: mlp_small}
  - {name: beta, preset: dynamics_original}
`;

const success = {
  trainingSteps: 256,
  metrics: { best_mean_reward: 1 },
  artifacts: { final_model: "m.onnx" },
  wallTimeSeconds: 0.1,
  interrupted: false,
  lastCheckpoint: null,
  envRestored: null,
};

/** A run of TWO where alpha wrote checkpoints at 64 and 128, then threw `error`. */
async function failedRun(root: string, file: string, error: Error): Promise<string> {
  const prepared = await prepareComparison(file, { outputRoot: root, hardware: hostReport() });
  const result = await runComparison(prepared, {
    figures: false,
    trainer: async (options) => {
      if (options.profile.name !== "alpha") return success;
      await writeTrainerCheckpoint(options, 64);
      await writeTrainerCheckpoint(options, 128);
      throw error;
    },
  });
  assert.equal(result.outcome, "failed");
  return result.run.path;
}

// The messages Deno gives these errors (os error numbers of Linux: ENOSPC 28, EIO 5).
const NO_SPACE = () => new Error("No space left on device (os error 28): write 'checkpoint'");
const IO_ERROR = () => new Error("Input/output error (os error 5): fsync");

Deno.test("describeFailure() names transient faults without calling them a bug", () => {
  const cases: [Error, string, RegExp][] = [
    [NO_SPACE(), "no_space", /^no space left on device: No space left on device/],
    [IO_ERROR(), "io_error", /^I\/O error: Input\/output error/],
    [new RangeError("Array buffer allocation failed"), "out_of_memory", /^out of memory: /],
    [
      Object.assign(new Error("Extractor worker of alpha crashed: terminated"), {
        name: "ExtractorWorkerError",
      }),
      "worker_crashed",
      /^Extractor worker of alpha crashed/,
    ],
    [
      new Error("Cannot step: Env worker 1 crashed: Uncaught RangeError"),
      "worker_crashed",
      /^env worker stopped: Cannot step: Env worker 1 crashed/,
    ],
  ];
  for (const [error, kind, reason] of cases) {
    const failure = describeFailure(error, { extractor: "alpha" });
    assert.equal(failure.kind, kind);
    assert.match(failure.reason, reason);
    assert.doesNotMatch(`${failure.reason} ${failure.hint}`, /bug/i);
    assert.match(failure.hint, /resume/);
    assert.equal(isTransientFailure(failure.reason), true, failure.reason);
  }
  const other = describeFailure(new TypeError("x is undefined"), { extractor: "alpha" });
  assert.equal(isTransientFailure(other.reason), false);
  assert.equal(isDivergence("PPO loss became NaN at step 5 (epoch 0, minibatch 1)"), true);
  assert.equal(isDivergence("Policy network produced a non-finite action mean"), true);
  assert.equal(isDivergence("TypeError: x is undefined"), false);
});

Deno.test("plain resume continues an extractor stopped by a full disk from its newest checkpoint", async () => {
  const t = await scenarioFile(TWO);
  try {
    const runDir = await failedRun(t.root, t.file, NO_SPACE());
    const plan = await prepareResume(runDir, { hardware: hostReport() });
    assert.equal(plan.finished, false);
    assert.deepEqual(plan.entries.map((e) => [e.name, e.action]), [["alpha", "continue"], [
      "beta",
      "keep",
    ]]);
    const calls: (string | undefined)[] = [];
    const resumed = await resumeComparison(plan, {
      figures: false,
      trainer: (options) => {
        calls.push(options.resumeFrom);
        return Promise.resolve(success);
      },
    });
    assert.deepEqual(calls, [
      nodePath.join(runDir, "extractors/alpha/checkpoints/checkpoint_128_steps.ckpt"),
    ]);
    assert.equal(resumed.outcome, "completed");
  } finally {
    await t.cleanup();
  }
});

Deno.test("plain resume continues after an I/O error; --retry-failed continues other failures from the checkpoint", async () => {
  const t = await scenarioFile(TWO);
  try {
    const ioRun = await failedRun(t.root, t.file, IO_ERROR());
    const io = await prepareResume(ioRun, { hardware: hostReport() });
    assert.equal(io.entries[0].action, "continue");
    assert.equal(io.entries[0].from?.step, 128);

    const bugRun = await failedRun(nodePath.join(t.root, "b"), t.file, new TypeError("boom"));
    const kept = await prepareResume(bugRun, { hardware: hostReport() });
    assert.equal(kept.entries[0].action, "keep");
    const retried = await prepareResume(bugRun, { hardware: hostReport(), retryFailed: true });
    assert.equal(retried.entries[0].action, "continue");
    assert.equal(
      retried.entries[0].from?.checkpoint,
      "extractors/alpha/checkpoints/checkpoint_128_steps.ckpt",
    );
  } finally {
    await t.cleanup();
  }
});
