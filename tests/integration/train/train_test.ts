// `deno task train` end to end with real training, as users run it (the task's
// permissions, a subprocess), shortened by test mode where the test allows it.
import assert from "node:assert/strict";
import * as nodePath from "node:path";
import * as ort from "onnxruntime-node";
import { readManifest, sha256File, validateTrainingSummary } from "../../../lib/run/mod.ts";
import { SUMMARY_SECTIONS } from "../../../lib/report/mod.ts";
import { exists, readJson, train } from "./_train.ts";

const TEST_MODE = { MULTI_EXTRACTOR_TEST_MODE: "1" };

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "train-e2e-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

interface RecordJson {
  config_name: string;
  status: string;
  reason?: string;
  training_steps?: number;
  metrics?: Record<string, number>;
  artifacts?: Record<string, string>;
}

function records(summary: Record<string, unknown>): RecordJson[] {
  return summary.extractor_results as RecordJson[];
}

Deno.test("deno task train runs the default comparison end to end in test mode", async () => {
  await withDir(async (dir) => {
    const root = nodePath.join(dir, "runs");
    const result = await train([], { root, env: TEST_MODE });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.runDirs.length, 1);
    const [runDir] = result.runDirs;
    assert.match(nodePath.basename(runDir), /^\d{8}-\d{6}-default$/);

    for (
      const file of [
        "manifest.jsonl",
        "run.log.jsonl",
        "scenario.yaml",
        "summary.json",
        "summary.md",
        "complete_results.json",
        "figures/learning_curves.svg",
        "figures/learning_curves.png",
        "figures/final_metrics.svg",
        "figures/final_metrics.png",
      ]
    ) assert.ok(await exists(nodePath.join(runDir, file)), file);

    const summary = await readJson(nodePath.join(runDir, "summary.json"));
    assert.deepEqual(validateTrainingSummary(summary), []);
    assert.deepEqual(
      records(summary).map((r) => [r.config_name, r.status, r.training_steps]),
      [["dynamics_original", "success", 256], ["mlp_small", "success", 256]],
    );
    for (const record of records(summary)) {
      const dir = `extractors/${record.config_name}`;
      assert.equal(record.artifacts?.extractor_dir, dir);
      for (
        const key of [
          "final_model",
          "best_model",
          "checkpoints",
          "metrics",
          "eval_history",
          "train_log",
        ]
      ) {
        assert.ok(record.artifacts?.[key]?.startsWith(`${dir}/`), `${record.config_name} ${key}`);
      }
      for (const [key, path] of Object.entries(record.artifacts ?? {})) {
        assert.ok(
          await exists(nodePath.join(runDir, path)),
          `${record.config_name} ${key}: ${path}`,
        );
      }
      // metrics.json as the reference writes it, with the parameter counts of ANCHORS.md.
      const metrics = await readJson(nodePath.join(runDir, record.artifacts!.metrics));
      for (
        const key of [
          "best_mean_reward",
          "last_mean_reward",
          "success_rate",
          "collision_rate",
          "wall_time_seconds",
          "fps",
        ]
      ) {
        assert.equal(typeof metrics[key], "number", `${record.config_name} ${key}`);
      }
      assert.equal(
        metrics.total_parameters,
        { dynamics_original: 50_677, mlp_small: 68_525 }[record.config_name],
      );
    }
    const markdown = await Deno.readTextFile(nodePath.join(runDir, "summary.md"));
    let at = -1;
    for (const heading of SUMMARY_SECTIONS) {
      const next = markdown.indexOf(`${heading}\n`);
      assert.ok(next > at, `${heading} in order`);
      at = next;
    }
    assert.match(markdown, /\| dynamics_original \| success \| single-thread \|/);
    assert.match(markdown, /Note: Test mode/);

    // The manifest: resolved (shortened) config with the copied file's hash, then per
    // extractor started -> evaluations / checkpoints -> finished, then summary_written.
    const { events } = await readManifest(nodePath.join(runDir, "manifest.jsonl"));
    const started = events[0];
    assert.ok(started.event === "run_started");
    assert.equal(started.config_sha256, await sha256File(nodePath.join(runDir, "scenario.yaml")));
    const run = started.config.run as { total_timesteps: number; ppo: { n_steps: number } };
    assert.equal(run.total_timesteps, 256);
    assert.equal(run.ppo.n_steps, 64);
    assert.equal(started.config.test_mode, true);
    const kinds = events.map((e) => "extractor" in e ? `${e.event}:${e.extractor}` : e.event);
    assert.equal(kinds.at(-1), "summary_written");
    for (const name of ["dynamics_original", "mlp_small"]) {
      const first = kinds.indexOf(`extractor_started:${name}`);
      const last = kinds.indexOf(`extractor_finished:${name}`);
      assert.ok(first > 0 && last > first, name);
      // 256 steps, eval_freq 128 and save_freq 128 in test mode: two of each.
      assert.equal(
        kinds.slice(first, last).filter((k) => k === `evaluation_done:${name}`).length,
        2,
      );
      const checkpoints = events.filter((e) =>
        e.event === "checkpoint_written" && e.extractor === name
      );
      assert.deepEqual(checkpoints.map((e) => e.event === "checkpoint_written" && e.step), [
        128,
        256,
      ]);
      for (const event of checkpoints) {
        assert.ok(event.event === "checkpoint_written");
        assert.equal(await sha256File(nodePath.join(runDir, event.path)), event.sha256);
      }
    }

    // The exported policies run in a fresh ONNX Runtime session; the final model's
    // log_std is the trained one (train/std of the last update = mean(exp(log_std))).
    for (const record of records(summary)) {
      const trainLog = (await Deno.readTextFile(nodePath.join(runDir, record.artifacts!.train_log)))
        .trim().split("\n").map((line) => JSON.parse(line));
      for (const key of ["final_model", "best_model"]) {
        const session = await ort.InferenceSession.create(
          nodePath.join(runDir, record.artifacts![key]),
        );
        try {
          const n = 2;
          const rays = Float32Array.from({ length: n * 3 * 272 }, (_, i) => (i % 17) / 17);
          const drive = Float32Array.from({ length: n * 3 * 5 }, (_, i) => ((i % 7) - 3) / 3);
          const out = await session.run({
            rays: new ort.Tensor("float32", rays, [n, 3, 272]),
            drive_state: new ort.Tensor("float32", drive, [n, 3, 5]),
          });
          assert.deepEqual(out.action_mean.dims, [n, 2]);
          assert.deepEqual(out.value.dims, [n, 1]);
          assert.deepEqual(out.log_std.dims, [2]);
          for (const name of ["action_mean", "value", "log_std"]) {
            assert.ok((out[name].data as Float32Array).every(Number.isFinite), name);
          }
          if (key === "final_model") {
            const logStd = out.log_std.data as Float32Array;
            const std = (Math.exp(logStd[0]) + Math.exp(logStd[1])) / 2;
            const logged = trainLog.at(-1)["train/std"];
            assert.ok(Math.abs(std - logged) <= 1e-6 * Math.max(1, logged), `${std} vs ${logged}`);
          }
        } finally {
          await session.release();
        }
      }
    }
  });
});

Deno.test("deno task train skips an entry with an unknown preset, trains the other and exits with 0", async () => {
  await withDir(async (dir) => {
    const file = nodePath.join(dir, "one_bad.yaml");
    await Deno.writeTextFile(
      file,
      `run:
  run_id: one_bad
extractors:
  - name: typo
    preset: mlp_smal
  - name: good
    preset: mlp_small
`,
    );
    const result = await train(["--config", file], {
      root: nodePath.join(dir, "runs"),
      env: TEST_MODE,
    });
    assert.equal(result.code, 0, result.stderr);
    const summary = await readJson(nodePath.join(result.runDirs[0], "summary.json"));
    assert.deepEqual(validateTrainingSummary(summary), []);
    const [typo, good] = records(summary);
    assert.equal(typo.status, "skipped");
    assert.match(
      typo.reason ?? "",
      /^invalid entry at line 5: extractors\[0\]\.preset: .*mlp_smal.*did you mean "mlp_small"/,
    );
    assert.equal(good.status, "success");
    assert.equal(good.training_steps, 256);
    assert.match(result.stderr, /WARN +Extractor typo skipped/);
  });
});

Deno.test("deno task train in vectorized mode steps the environments in workers", async () => {
  await withDir(async (dir) => {
    const file = nodePath.join(dir, "vectorized.yaml");
    await Deno.writeTextFile(
      file,
      `run:
  run_id: vectorized
  worker_mode: vectorized
  num_envs: 2
  env_workers: 2
extractors:
  - {name: mlp_small, preset: mlp_small}
`,
    );
    const result = await train(["--config", file], {
      root: nodePath.join(dir, "runs"),
      env: TEST_MODE,
    });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /INFO +mlp_small: 2 environments stepped in 2 workers/);
    const summary = await readJson(nodePath.join(result.runDirs[0], "summary.json"));
    const [record] = records(summary);
    assert.equal(record.status, "success");
    assert.equal(record.training_steps, 256);
    const hardware = summary.hardware_overview as { workers: number }[];
    assert.equal(hardware[0].workers, 2);
  });
});

Deno.test("deno task train records a diverging extractor as failed with the reason and exits with 1", async () => {
  await withDir(async (dir) => {
    // Adam's first step moves every parameter by about lr = 1e30; the next forward
    // pass overflows float32, so the PPO loss is NaN or infinite.
    const file = nodePath.join(dir, "diverge.yaml");
    await Deno.writeTextFile(
      file,
      `run:
  run_id: diverge
  ppo:
    learning_rate: 1.0e30
extractors:
  - name: diverging
    preset: mlp_small
  - name: fine
    preset: mlp_small
    priority: 1
`,
    );
    const result = await train(["--config", file], {
      root: nodePath.join(dir, "runs"),
      env: TEST_MODE,
    });
    assert.equal(result.code, 1, result.stderr);
    const runDir = result.runDirs[0];
    const summary = await readJson(nodePath.join(runDir, "summary.json"));
    assert.deepEqual(validateTrainingSummary(summary), []);
    const [diverging, fine] = records(summary);
    assert.equal(diverging.status, "failed");
    assert.match(diverging.reason ?? "", /(NaN|infinite)/i);
    assert.match(diverging.reason ?? "", /hint: lower run\.ppo\.learning_rate/);
    assert.ok(!(await exists(nodePath.join(runDir, "extractors/diverging/final_model.onnx"))));
    // The other extractor ran after it (it diverges too: same learning rate) and the
    // summary counts both.
    assert.equal(fine.status, "failed");
    assert.equal((summary.aggregate_metrics as Record<string, number>).failed_runs, 2);
    assert.match(result.stderr, /ERROR +Extractor diverging failed: /);
  });
});

// One extractor at a time (the second is never started); parallel interruption is in
// parallel_test.ts.
const LONG_SCENARIO = `run:
  run_id: long
  parallel_extractors: 1
  total_timesteps: 1000000
  eval_freq: 1000000
  save_freq: 128
  ppo: {n_steps: 128, batch_size: 64, n_epochs: 1}
env: {map: open_square}
extractors:
  - {name: mlp_small, preset: mlp_small}
  - {name: never_started, preset: mlp_small}
`;

/**
 * Start a run that would never finish on its own (checkpoints every 128 steps), call
 * `interrupt` with the `deno task` process once the first checkpoint is in the
 * manifest, and check the interrupted run.
 */
async function interruptedRun(
  interrupt: (child: Deno.ChildProcess) => void,
  options: { direct?: boolean } = {},
): Promise<string> {
  let stderr = "";
  await withDir(async (dir) => {
    const file = nodePath.join(dir, "long.yaml");
    await Deno.writeTextFile(file, LONG_SCENARIO);
    const root = nodePath.join(dir, "runs");
    const result = await train(["--config", file], {
      root,
      direct: options.direct,
      onSpawn: async (child) => {
        const deadline = Date.now() + 60_000;
        while (Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          let text = "";
          try {
            for await (const entry of Deno.readDir(root)) {
              text = await Deno.readTextFile(nodePath.join(root, entry.name, "manifest.jsonl"));
            }
          } catch {
            continue;
          }
          if (text.includes('"checkpoint_written"')) break;
        }
        interrupt(child);
      },
    });
    stderr = result.stderr;
    assert.equal(result.code, 130, result.stderr);
    const runDir = result.runDirs[0];
    assert.ok(result.stderr.includes(`resume with: deno task resume ${runDir}`), result.stderr);
    const summary = await readJson(nodePath.join(runDir, "summary.json"));
    assert.deepEqual(validateTrainingSummary(summary), []);
    const [interrupted, notStarted] = records(summary);
    assert.equal(interrupted.status, "failed");
    assert.equal(interrupted.reason, "interrupted");
    assert.ok((interrupted.training_steps ?? 0) >= 128);
    const checkpoint = interrupted.artifacts?.last_checkpoint ?? "";
    assert.match(checkpoint, /^extractors\/mlp_small\/checkpoints\/.+/);
    assert.ok(await exists(nodePath.join(runDir, checkpoint)));
    assert.equal(notStarted.status, "skipped");
    assert.match(notStarted.reason ?? "", /^Not started/);
    const { events } = await readManifest(nodePath.join(runDir, "manifest.jsonl"));
    const last = events.filter((e) => e.event === "checkpoint_written").at(-1);
    assert.ok(last?.event === "checkpoint_written" && last.path === checkpoint);
    assert.equal(events.at(-1)?.event, "summary_written");
    assert.ok(
      !events.some((e) => e.event === "extractor_started" && e.extractor === "never_started"),
    );
  });
  return stderr;
}

Deno.test("deno task train stops on SIGTERM with the interrupted record, a checkpoint and exit code 130", async () => {
  const stderr = await interruptedRun((child) => child.kill("SIGTERM"));
  assert.match(stderr, /WARN +SIGTERM received: stopping at the next safe point/);
});

Deno.test("deno task train treats two signals in quick succession as one interruption", async () => {
  // Ctrl-C on a terminal reaches every process of the foreground group: under
  // `deno task` the script gets it from the terminal and again from the task runner.
  // Signals of one kind sent back to back merge in the kernel; the task runner's copy
  // comes a moment later, after the first was handled.
  const stderr = await interruptedRun((child) => {
    child.kill("SIGINT");
    setTimeout(() => child.kill("SIGINT"), 50);
  }, { direct: true });
  assert.match(stderr, /WARN +SIGINT received: stopping at the next safe point/);
  assert.doesNotMatch(stderr, /exiting at once/);
});
