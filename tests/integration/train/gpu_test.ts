// The GPU path: `deno task train` on configs/scenarios/multi_extractor_gpu.yaml
// (device cuda, vectorized with 2 envs) trains with ONNX Runtime's CUDA execution
// provider. Runs only where a CUDA session can actually be created; elsewhere the
// invocation tests check the skips and the install warning.
import assert from "node:assert/strict";
import * as nodePath from "node:path";
import { CUDA_PROVIDER_INSTALL } from "../../../lib/config/mod.ts";
import { detectExecutionProviders } from "../../../lib/nn/mod.ts";
import { validateTrainingSummary } from "../../../lib/run/mod.ts";
import { readJson, train } from "./_train.ts";

const probe = await detectExecutionProviders();
if (!probe.cuda) {
  console.log(
    `skipped: GPU training test; the CUDA execution provider cannot be created here ` +
      `(${probe.cudaReason}); ${CUDA_PROVIDER_INSTALL}`,
  );
}

Deno.test({
  name:
    "deno task train on the GPU config trains both extractors on the CUDA execution provider, vectorized with 2 envs",
  ignore: !probe.cuda,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "train-gpu-" });
    try {
      const result = await train(["--config", "configs/scenarios/multi_extractor_gpu.yaml"], {
        root: nodePath.join(dir, "runs"),
        env: { MULTI_EXTRACTOR_TEST_MODE: "1" },
      });
      assert.equal(result.code, 0, result.stderr);
      const [runDir] = result.runDirs;
      const summary = await readJson(nodePath.join(runDir, "summary.json"));
      assert.deepEqual(validateTrainingSummary(summary), []);
      const records = summary.extractor_results as {
        config_name: string;
        status: string;
        worker_mode: string;
        hardware_profile: { workers: number; execution_providers?: string[] };
        artifacts: Record<string, string>;
      }[];
      assert.deepEqual(records.map((r) => [r.config_name, r.status, r.worker_mode]), [
        ["lightweight_cnn", "success", "vectorized"],
        ["attention_small", "success", "vectorized"],
      ]);
      for (const record of records) {
        assert.ok(record.hardware_profile.execution_providers?.includes("cuda"));
        assert.equal(record.hardware_profile.workers, 2);
        const resolved = await readJson(
          nodePath.join(runDir, record.artifacts.resolved_settings),
        ) as { system: { execution_provider: string } };
        assert.equal(resolved.system.execution_provider, "cuda");
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
