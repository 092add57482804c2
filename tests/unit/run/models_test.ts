import assert from "node:assert/strict";
import {
  createFailedRecord,
  createHardwareProfile,
  createRunRecord,
  createSkippedRecord,
  type ExtractorRunRecord,
  type WorkerMode,
} from "../../../lib/run/mod.ts";

const BASE = { platform: "Linux", arch: "x86_64", python_version: "deno 2.9.6", workers: 1 };

Deno.test("createHardwareProfile() needs GPU model and CUDA version together", () => {
  assert.deepEqual(
    createHardwareProfile({ ...BASE, gpu_model: "NVIDIA H100", cuda_version: "12.4" }),
    { ...BASE, gpu_model: "NVIDIA H100", cuda_version: "12.4" },
  );
  assert.throws(
    () => createHardwareProfile({ ...BASE, gpu_model: "NVIDIA H100" }),
    /"gpu_model" requires "cuda_version" to be present too/,
  );
  assert.throws(
    () => createHardwareProfile({ ...BASE, cuda_version: "12.4" }),
    /"cuda_version" requires "gpu_model"/,
  );
});

Deno.test("createHardwareProfile() drops undefined fields and checks workers", () => {
  assert.deepEqual(createHardwareProfile({ ...BASE, hostname: undefined }), BASE);
  assert.throws(() => createHardwareProfile({ ...BASE, workers: 0 }), /workers: must be >= 1/);
  assert.throws(() => createHardwareProfile({ ...BASE, workers: 1.5 }), /workers: must be integer/);
});

const SUCCESS: ExtractorRunRecord = {
  config_name: "mlp_small",
  status: "success",
  start_time: "2026-11-29T12:00:00Z",
  worker_mode: "single-thread",
  metrics: { best_mean_reward: 1 },
  artifacts: { metrics: "extractors/mlp_small/metrics.json" },
};

Deno.test("createRunRecord() requires metrics and artifacts for success", () => {
  assert.deepEqual(createRunRecord(SUCCESS), SUCCESS);
  const { metrics: _m, ...noMetrics } = SUCCESS;
  assert.throws(() => createRunRecord(noMetrics), /missing required key "metrics"/);
  const { artifacts: _a, ...noArtifacts } = SUCCESS;
  assert.throws(() => createRunRecord(noArtifacts), /missing required key "artifacts"/);
  assert.throws(
    () => createRunRecord({ ...SUCCESS, metrics: {} }),
    /metrics: must NOT have fewer than 1 properties/,
  );
});

Deno.test("createRunRecord() requires a reason for failed and skipped", () => {
  for (const status of ["failed", "skipped"] as const) {
    assert.throws(
      () => createRunRecord({ ...SUCCESS, status }),
      /missing required key "reason"/,
      status,
    );
    assert.equal(createRunRecord({ ...SUCCESS, status, reason: "x" }).reason, "x");
  }
});

Deno.test("createRunRecord() rejects bad times, durations, steps, modes and paths", () => {
  assert.throws(
    () => createRunRecord({ ...SUCCESS, start_time: "yesterday" }),
    /start_time: must match format "date-time"/,
  );
  assert.throws(
    () => createRunRecord({ ...SUCCESS, duration_seconds: -1 }),
    /duration_seconds: must be >= 0/,
  );
  assert.throws(
    () => createRunRecord({ ...SUCCESS, training_steps: 2.5 }),
    /training_steps: must be integer/,
  );
  assert.throws(
    () => createRunRecord({ ...SUCCESS, worker_mode: "threads" as unknown as WorkerMode }),
    /worker_mode: must be one of/,
  );
  assert.throws(
    () => createRunRecord({ ...SUCCESS, artifacts: { model: "/abs/model.onnx" } }),
    /artifacts.model: must match pattern/,
  );
});

Deno.test("createSkippedRecord() has zero duration and zero steps", () => {
  const at = new Date("2026-11-29T12:00:00Z");
  assert.deepEqual(
    createSkippedRecord("cnn", "CUDA unavailable", { workerMode: "vectorized", startTime: at }),
    {
      config_name: "cnn",
      status: "skipped",
      start_time: "2026-11-29T12:00:00.000Z",
      end_time: "2026-11-29T12:00:00.000Z",
      duration_seconds: 0,
      worker_mode: "vectorized",
      training_steps: 0,
      artifacts: {},
      reason: "CUDA unavailable",
    },
  );
  assert.throws(
    () => createSkippedRecord("cnn", "", { workerMode: "vectorized" }),
    /reason: must NOT have fewer than 1 characters/,
  );
});

Deno.test("createFailedRecord() measures the duration from start to end", () => {
  const record = createFailedRecord("att", "out of memory", {
    workerMode: "single-thread",
    startTime: new Date("2026-11-29T12:00:00Z"),
    endTime: new Date("2026-11-29T12:02:03.500Z"),
    trainingSteps: 1024,
  });
  assert.equal(record.duration_seconds, 123.5);
  assert.equal(record.training_steps, 1024);
});
