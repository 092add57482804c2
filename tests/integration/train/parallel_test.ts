// Parallel extractors (run.parallel_extractors) and vectorized mode end to end with
// real training in test mode: `deno task train` as users run it, and runComparison
// for a crashing extractor worker.
import assert from "node:assert/strict";
import * as nodePath from "node:path";
import { parseDocument } from "yaml";
import { readManifest, validateTrainingSummary } from "../../../lib/run/mod.ts";
import { prepareComparison, runComparison } from "../../../lib/train/mod.ts";
import { assertSameTraining } from "./_compare.ts";
import { readJson, REPO, train } from "./_train.ts";

const TEST_MODE = { MULTI_EXTRACTOR_TEST_MODE: "1" };
const DEFAULT_CONFIG = nodePath.join(REPO, "configs/scenarios/multi_extractor_default.yaml");

interface RecordJson {
  config_name: string;
  status: string;
  reason?: string;
  worker_mode: string;
  training_steps?: number;
  hardware_profile?: { workers: number; parallel_extractors?: number };
  artifacts?: Record<string, string>;
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "train-parallel-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The default scenario with some `run:` keys set (the rest of the file as it is). */
async function defaultWith(
  dir: string,
  name: string,
  run: Record<string, unknown>,
): Promise<string> {
  const document = parseDocument(await Deno.readTextFile(DEFAULT_CONFIG));
  for (const [key, value] of Object.entries(run)) document.setIn(["run", key], value);
  const file = nodePath.join(dir, `${name}.yaml`);
  await Deno.writeTextFile(file, document.toString());
  return file;
}

/** Train a config in test mode; returns the run directory and its records. */
async function trainRun(
  dir: string,
  name: string,
  config: string,
): Promise<{ runDir: string; records: RecordJson[]; stderr: string }> {
  const result = await train(["--config", config], {
    root: nodePath.join(dir, name),
    env: TEST_MODE,
  });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.runDirs.length, 1);
  const [runDir] = result.runDirs;
  const summary = await readJson(nodePath.join(runDir, "summary.json"));
  assert.deepEqual(validateTrainingSummary(summary), []);
  return {
    runDir,
    records: summary.extractor_results as RecordJson[],
    stderr: result.stderr,
  };
}

Deno.test("run.parallel_extractors 2 trains each extractor in its own worker with bitwise the sequential results", async () => {
  await withDir(async (dir) => {
    const sequential = await trainRun(
      dir,
      "k1",
      await defaultWith(dir, "k1", { parallel_extractors: 1 }),
    );
    const parallel = await trainRun(
      dir,
      "k2",
      await defaultWith(dir, "k2", { parallel_extractors: 2 }),
    );
    assert.match(parallel.stderr, /INFO +Training up to 2 extractors at once/);
    assert.doesNotMatch(sequential.stderr, /extractors at once/);
    for (const run of [sequential, parallel]) {
      assert.deepEqual(
        run.records.map((r) => [r.config_name, r.status, r.training_steps, r.worker_mode]),
        [
          ["dynamics_original", "success", 256, "single-thread"],
          ["mlp_small", "success", 256, "single-thread"],
        ],
      );
      for (const record of run.records) assert.equal(record.hardware_profile?.workers, 1);
    }
    for (const name of ["dynamics_original", "mlp_small"]) {
      await assertSameTraining(sequential.runDir, parallel.runDir, name, ["parallel_extractors"]);
    }
    // Both extractors trained at the same time: each started before either finished,
    // and the starts follow the run order.
    const { events } = await readManifest(nodePath.join(parallel.runDir, "manifest.jsonl"));
    const kinds = events.map((e) => "extractor" in e ? `${e.event}:${e.extractor}` : e.event);
    const firstFinish = kinds.findIndex((k) => k.startsWith("extractor_finished"));
    assert.deepEqual(kinds.slice(1, 3), [
      "extractor_started:dynamics_original",
      "extractor_started:mlp_small",
    ]);
    assert.ok(firstFinish > 2);
    assert.equal(kinds.at(-1), "summary_written");
  });
});

Deno.test("a multi-seed run trains every trial bitwise alike one at a time and two at once", async () => {
  await withDir(async (dir) => {
    const seeds = { num_seeds: 2, seed: 7 };
    const one = await trainRun(
      dir,
      "s1",
      await defaultWith(dir, "s1", { ...seeds, parallel_extractors: 1 }),
    );
    const two = await trainRun(
      dir,
      "s2",
      await defaultWith(dir, "s2", { ...seeds, parallel_extractors: 2 }),
    );
    assert.match(two.stderr, /INFO +Training up to 2 extractors at once/);
    for (const [run, atOnce] of [[one, 1], [two, 2]] as const) {
      assert.deepEqual(run.records.map((r) => r.status), Array(4).fill("success"));
      for (const record of run.records) {
        assert.equal(record.hardware_profile?.parallel_extractors, atOnce);
      }
    }
    for (const name of ["dynamics_original", "mlp_small"]) {
      for (const seed of [7, 8]) {
        await assertSameTraining(one.runDir, two.runDir, name, ["parallel_extractors"], seed);
      }
    }
    // The run's comparison statistics and baseline controllers agree too.
    const read = (run: string, file: string) => readJson(nodePath.join(run, file));
    for (const file of ["comparison.json", "baselines.json"]) {
      const exists = async (run: string) =>
        await Deno.stat(nodePath.join(run, file)).then(() => true, () => false);
      if (!(await exists(one.runDir))) continue;
      const [x, y] = [await read(one.runDir, file), await read(two.runDir, file)];
      delete x.eval_time_seconds;
      delete y.eval_time_seconds;
      assert.deepEqual(x, y, file);
    }
  });
});

Deno.test("run.parallel_extractors above the extractors to train logs how many train at once", async () => {
  await withDir(async (dir) => {
    const run = await trainRun(
      dir,
      "k64",
      await defaultWith(dir, "k64", { parallel_extractors: 64 }),
    );
    assert.match(run.stderr, /INFO +Training up to 2 extractors at once, each in its own worker/);
    assert.doesNotMatch(run.stderr, /64 extractors/);
    assert.deepEqual(run.records.map((r) => r.status), ["success", "success"]);
  });
});

Deno.test("vectorized test-mode run with num_envs 4 and 2 env workers equals env_workers 1 bitwise, also with parallel extractors", async () => {
  await withDir(async (dir) => {
    const vectorized = { worker_mode: "vectorized", num_envs: 4 };
    const one = await trainRun(
      dir,
      "w1",
      await defaultWith(dir, "w1", { ...vectorized, env_workers: 1 }),
    );
    const two = await trainRun(
      dir,
      "w2",
      await defaultWith(dir, "w2", { ...vectorized, env_workers: 2 }),
    );
    // Each extractor worker starts its own env workers (nested workers).
    const nested = await trainRun(
      dir,
      "w2k2",
      await defaultWith(dir, "w2k2", { ...vectorized, env_workers: 2, parallel_extractors: 2 }),
    );
    assert.match(two.stderr, /INFO +mlp_small: 4 environments stepped in 2 workers/);
    assert.match(one.stderr, /INFO +mlp_small: 4 environments stepped in 1 workers/);
    for (const [run, workers] of [[one, 1], [two, 2], [nested, 2]] as const) {
      assert.deepEqual(
        run.records.map((r) => [r.config_name, r.status, r.training_steps, r.worker_mode]),
        [
          ["dynamics_original", "success", 256, "vectorized"],
          ["mlp_small", "success", 256, "vectorized"],
        ],
      );
      for (const record of run.records) assert.equal(record.hardware_profile?.workers, workers);
      const summary = await readJson(nodePath.join(run.runDir, "summary.json"));
      const overview = summary.hardware_overview as { workers: number }[];
      assert.equal(overview[0].workers, workers);
    }
    for (const name of ["dynamics_original", "mlp_small"]) {
      await assertSameTraining(one.runDir, two.runDir, name, ["env_workers"]);
      await assertSameTraining(one.runDir, nested.runDir, name, [
        "env_workers",
        "parallel_extractors",
      ]);
    }
  });
});

Deno.test("with parallel extractors, a diverging extractor's reason and hint cross the worker boundary", async () => {
  await withDir(async (dir) => {
    const file = nodePath.join(dir, "diverge.yaml");
    await Deno.writeTextFile(
      file,
      `run:
  run_id: diverge
  parallel_extractors: 2
  ppo:
    learning_rate: 1.0e30
extractors:
  - {name: first, preset: mlp_small}
  - {name: second, preset: mlp_small}
`,
    );
    const result = await train(["--config", file], {
      root: nodePath.join(dir, "runs"),
      env: TEST_MODE,
    });
    assert.equal(result.code, 1, result.stderr);
    const summary = await readJson(nodePath.join(result.runDirs[0], "summary.json"));
    assert.deepEqual(validateTrainingSummary(summary), []);
    for (const record of summary.extractor_results as RecordJson[]) {
      assert.equal(record.status, "failed");
      // ExtractorRunError's own reason and hint, as in the main thread.
      assert.match(record.reason ?? "", /(NaN|infinite)/i);
      assert.match(record.reason ?? "", /\(hint: lower run\.ppo\.learning_rate/);
    }
  });
});

Deno.test("a crashing extractor worker marks only its extractor failed; the other trains", async () => {
  await withDir(async (dir) => {
    const file = nodePath.join(dir, "crash.yaml");
    await Deno.writeTextFile(
      file,
      `run:
  run_id: crash
  parallel_extractors: 2
extractors:
  - {name: crash_me, preset: mlp_small}
  - {name: fine, preset: mlp_small}
`,
    );
    const prepared = await prepareComparison(file, {
      testMode: true,
      outputRoot: nodePath.join(dir, "runs"),
    });
    const result = await runComparison(prepared, {
      figures: false,
      extractorWorkerModule: new URL(
        "../../fixtures/crashing_extractor_worker.ts",
        import.meta.url,
      ),
    });
    assert.equal(result.outcome, "failed");
    const [crashed, fine] = result.records;
    assert.equal(crashed.status, "failed");
    assert.match(
      crashed.reason ?? "",
      /^Extractor worker of crash_me crashed: .*simulated crash while training crash_me/,
    );
    assert.match(crashed.reason ?? "", /\(hint: .*run\.parallel_extractors: 1/);
    assert.equal(fine.status, "success");
    assert.equal(fine.training_steps, 256);
    const summary = await readJson(nodePath.join(result.run.path, "summary.json"));
    assert.deepEqual(validateTrainingSummary(summary), []);
  });
});

const LONG_PARALLEL = `run:
  run_id: long
  parallel_extractors: 2
  total_timesteps: 1000000
  eval_freq: 1000000
  save_freq: 128
  ppo: {n_steps: 128, batch_size: 64, n_epochs: 1}
env: {map: open_square}
extractors:
  - {name: first, preset: mlp_small}
  - {name: second, preset: mlp_small}
`;

Deno.test("SIGTERM reaches every extractor worker: each checkpoints and is recorded as interrupted", async () => {
  await withDir(async (dir) => {
    const file = nodePath.join(dir, "long.yaml");
    await Deno.writeTextFile(file, LONG_PARALLEL);
    const root = nodePath.join(dir, "runs");
    const result = await train(["--config", file], {
      root,
      direct: true,
      onSpawn: async (child) => {
        // Wait until both extractors wrote a checkpoint, then interrupt.
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
          const written = text.split("\n").filter((l) => l.includes('"checkpoint_written"'));
          if (["first", "second"].every((n) => written.some((l) => l.includes(`"${n}"`)))) break;
        }
        child.kill("SIGTERM");
      },
    });
    assert.equal(result.code, 130, result.stderr);
    const runDir = result.runDirs[0];
    const summary = await readJson(nodePath.join(runDir, "summary.json"));
    assert.deepEqual(validateTrainingSummary(summary), []);
    const records = summary.extractor_results as RecordJson[];
    assert.deepEqual(records.map((r) => [r.config_name, r.status, r.reason]), [
      ["first", "failed", "interrupted"],
      ["second", "failed", "interrupted"],
    ]);
    const { events } = await readManifest(nodePath.join(runDir, "manifest.jsonl"));
    for (const record of records) {
      assert.ok((record.training_steps ?? 0) >= 128, record.config_name);
      const checkpoint = record.artifacts?.last_checkpoint ?? "";
      assert.match(checkpoint, new RegExp(`^extractors/${record.config_name}/checkpoints/.+`));
      await Deno.stat(nodePath.join(runDir, checkpoint));
      // The checkpoint written at the interruption is the extractor's last event.
      const last = events.filter((e) =>
        e.event === "checkpoint_written" && e.extractor === record.config_name
      ).at(-1);
      assert.ok(last?.event === "checkpoint_written" && last.path === checkpoint);
    }
    assert.equal(events.at(-1)?.event, "summary_written");
  });
});

/** Deno's cache folder, so that a child with another HOME still finds its compiled code. */
async function denoDir(): Promise<string> {
  const info = await new Deno.Command(Deno.execPath(), { args: ["info", "--json"] }).output();
  return JSON.parse(new TextDecoder().decode(info.stdout)).denoDir;
}

Deno.test("training writes nothing under HOME: ONNX Runtime's telemetry is off, also in extractor workers", async () => {
  await withDir(async (dir) => {
    const home = nodePath.join(dir, "home");
    await Deno.mkdir(home);
    const config = await defaultWith(dir, "parallel", { parallel_extractors: 2 });
    const result = await train(["--config", config], {
      root: nodePath.join(dir, "runs"),
      env: { ...TEST_MODE, HOME: home, DENO_DIR: await denoDir() },
    });
    assert.equal(result.code, 0, result.stderr);
    // onnxruntime-node's native library would write .cache/Microsoft/DeveloperTools/...
    const written: string[] = [];
    const walk = async (path: string) => {
      for await (const entry of Deno.readDir(path)) {
        const child = nodePath.join(path, entry.name);
        if (entry.isDirectory) await walk(child);
        else written.push(nodePath.relative(home, child));
      }
    };
    await walk(home);
    assert.deepEqual(written, []);
  });
});
