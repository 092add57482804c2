/**
 * `deno task train` with robot_sf's lstm_small preset in test mode: the LSTM's 816-step
 * recurrence (one Scan forward, one reverse Scan backward) trains end to end, and the run
 * records the reference's parameter count.
 */
import assert from "node:assert/strict";
import * as nodePath from "node:path";
import { validateTrainingSummary } from "../../../lib/run/mod.ts";
import { readJson, train } from "./_train.ts";

Deno.test("deno task train trains lstm_small in test mode with robot_sf's 37,077 parameters", async () => {
  const dir = await Deno.makeTempDir({ prefix: "train-lstm-" });
  try {
    const file = nodePath.join(dir, "lstm.yaml");
    await Deno.writeTextFile(
      file,
      `run:
  run_id: lstm
extractors:
  - {name: lstm_small, preset: lstm_small}
`,
    );
    const result = await train(["--config", file], {
      root: nodePath.join(dir, "runs"),
      env: { MULTI_EXTRACTOR_TEST_MODE: "1" },
    });
    assert.equal(result.code, 0, result.stderr);
    const runDir = result.runDirs[0];
    const summary = await readJson(nodePath.join(runDir, "summary.json"));
    assert.deepEqual(validateTrainingSummary(summary), []);
    const [record] = summary.extractor_results as {
      status: string;
      training_steps: number;
      artifacts: Record<string, string>;
    }[];
    assert.equal(record.status, "success");
    assert.equal(record.training_steps, 256);
    const metrics = await readJson(nodePath.join(runDir, record.artifacts.metrics));
    assert.equal(metrics.total_parameters, 37_077);
    assert.equal(metrics.features_dim, 80);
    assert.ok(Number.isFinite(metrics.best_mean_reward));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
