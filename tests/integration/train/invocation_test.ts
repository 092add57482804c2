// `deno task train` on invalid invocations and on the GPU config of a host without
// CUDA: exit codes, messages, and what is (not) written.
import assert from "node:assert/strict";
import * as nodePath from "node:path";
import { readManifest, validateTrainingSummary } from "../../../lib/run/mod.ts";
import { SUMMARY_SECTIONS } from "../../../lib/report/mod.ts";
import { readJson, train } from "./_train.ts";

async function withRoot(fn: (root: string, dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "train-invocation-" });
  try {
    await fn(nodePath.join(dir, "runs"), dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("deno task train --help prints the flags and exits with 0", async () => {
  await withRoot(async (root) => {
    const result = await train(["--help"], { root });
    assert.equal(result.code, 0, result.stderr);
    for (
      const flag of ["--config", "--run-id", "--output-root", "--only", "--verbose", "--quiet"]
    ) {
      assert.ok(result.stdout.includes(flag), flag);
    }
    assert.deepEqual(result.runDirs, []);
  });
});

Deno.test("deno task train rejects unknown flags and stray arguments with exit code 2", async () => {
  await withRoot(async (root) => {
    const unknown = await train(["--onyl", "mlp_small"], { root });
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /train: Unknown option '--onyl'/);
    const stray = await train(["configs/scenarios/multi_extractor_default.yaml"], { root });
    assert.equal(stray.code, 2);
    assert.match(stray.stderr, /Unexpected argument .*--config/);
    assert.deepEqual(stray.runDirs, []);
  });
});

Deno.test("deno task train on an invalid config exits with 2 naming file, key and line, and creates nothing", async () => {
  await withRoot(async (root, dir) => {
    const file = nodePath.join(dir, "bad.yaml");
    await Deno.writeTextFile(
      file,
      "run:\n  run_id: bad\n  num_env: 2\nextractors:\n  - {name: a, preset: mlp_small}\n",
    );
    const result = await train(["--config", file], { root });
    assert.equal(result.code, 2, result.stderr);
    assert.ok(
      result.stderr.includes(`${file}:3:3: run.num_env: unknown key "num_env"`),
      result.stderr,
    );
    assert.match(result.stderr, /did you mean "num_envs"/);
    assert.deepEqual(result.runDirs, []);
    const missing = await train(["--config", nodePath.join(dir, "nope.yaml")], { root });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /nope\.yaml: file not found/);
  });
});

Deno.test("deno task train --only with a name that is no entry exits with 2 and creates nothing", async () => {
  await withRoot(async (root) => {
    const result = await train(["--only", "mlp_smal"], { root });
    assert.equal(result.code, 2, result.stderr);
    assert.match(
      result.stderr,
      /--only: "mlp_smal" names no extractor entry .*did you mean "mlp_small"/,
    );
    assert.deepEqual(result.runDirs, []);
  });
});

Deno.test("deno task train on the GPU config without CUDA skips both extractors and exits with 0", async () => {
  await withRoot(async (root) => {
    const result = await train(["--config", "configs/scenarios/multi_extractor_gpu.yaml"], {
      root,
    });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.runDirs.length, 1);
    const [runDir] = result.runDirs;
    assert.match(nodePath.basename(runDir), /^\d{8}-\d{6}-gpu$/);
    const summary = await readJson(nodePath.join(runDir, "summary.json"));
    assert.deepEqual(validateTrainingSummary(summary), []);
    const records = summary.extractor_results as {
      config_name: string;
      status: string;
      reason: string;
    }[];
    // The reference's first skip rule (device cuda without CUDA) applies to both.
    assert.deepEqual(records.map((r) => [r.config_name, r.status]), [
      ["lightweight_cnn", "skipped"],
      ["attention_small", "skipped"],
    ]);
    for (const record of records) {
      assert.ok(
        record.reason.startsWith(
          "CUDA device requested but the CUDA execution provider is not usable on this host " +
            "(hint: set run.device: cpu",
        ),
        record.reason,
      );
    }
    assert.deepEqual(summary.aggregate_metrics, {
      completed_runs: 0,
      skipped_runs: 2,
      failed_runs: 0,
      total_wall_time: 0,
    });
    const markdown = await Deno.readTextFile(nodePath.join(runDir, "summary.md"));
    let at = -1;
    for (const heading of SUMMARY_SECTIONS) {
      const next = markdown.indexOf(`${heading}\n`);
      assert.ok(next > at, `${heading} in order`);
      at = next;
    }
    assert.match(result.stderr, /WARN +Extractor lightweight_cnn skipped: CUDA device requested/);
    assert.match(result.stderr, /hint: set run\.device: cpu/);
    // One warning says why CUDA is not usable and how to install the provider.
    assert.match(
      result.stderr,
      /WARN +CUDA execution provider not usable on this host: .+; to install onnxruntime-node's CUDA execution provider .*ONNXRUNTIME_NODE_INSTALL=cuda12 deno install --allow-scripts=npm:onnxruntime-node/,
    );
    const { events } = await readManifest(nodePath.join(runDir, "manifest.jsonl"));
    assert.deepEqual(events.map((e) => e.event), [
      "run_started",
      "extractor_finished",
      "extractor_finished",
      "summary_written",
    ]);
    const log = (await Deno.readTextFile(nodePath.join(runDir, "run.log.jsonl"))).trim().split(
      "\n",
    );
    assert.ok(log.some((line) => JSON.parse(line).level === "WARN"));
  });
});
