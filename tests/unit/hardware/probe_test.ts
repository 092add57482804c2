import assert from "node:assert/strict";
import {
  formatHardwareReport,
  hostCapabilities,
  parseNvidiaSmi,
  probeExecutionProviders,
  probeHardware,
} from "../../../lib/hardware/mod.ts";
import { validateHardwareProfile } from "../../../lib/run/mod.ts";

// One probe for the whole file: ONNX Runtime's log level is fixed at its first session.
const report = await probeHardware({ workers: 3 });

Deno.test("probeHardware() gives a schema-valid profile of this machine", () => {
  assert.deepEqual(validateHardwareProfile(report.profile), []);
  const p = report.profile;
  assert.equal(p.workers, 3);
  assert.equal(p.python_version, `deno ${Deno.version.deno}`);
  assert.equal(p.runtime, "deno");
  assert.equal(p.deno_version, Deno.version.deno);
  assert.equal(p.v8_version, Deno.version.v8);
  assert.equal(p.typescript_version, Deno.version.typescript);
  assert.equal(p.arch, Deno.build.arch);
  assert.ok(p.platform.includes(Deno.build.os), p.platform);
  assert.ok(p.platform.includes(Deno.osRelease()), p.platform);
  assert.equal(p.hostname, Deno.hostname());
});

Deno.test("probeHardware() agrees with Deno's own view of cores and memory", () => {
  const p = report.profile;
  assert.equal(p.logical_cores, navigator.hardwareConcurrency);
  assert.ok((p.physical_cores ?? 0) >= 1 && (p.physical_cores ?? 0) <= (p.logical_cores ?? 0));
  assert.equal(p.memory_bytes, Deno.systemMemoryInfo().total);
});

Deno.test("probeHardware() lists CPU as usable and matches the provider report", () => {
  const cpu = report.execution_providers.find((s) => s.name === "cpu");
  assert.deepEqual(cpu, { name: "cpu", usable: true, error: null });
  assert.deepEqual(
    report.profile.execution_providers,
    report.execution_providers.filter((s) => s.usable).map((s) => s.name),
  );
  assert.match(report.profile.onnxruntime_version ?? "", /^\d+\.\d+\.\d+$/);
});

Deno.test("probeHardware() records a GPU only together with its CUDA version", () => {
  const p = report.profile;
  assert.equal(p.gpu_model === undefined, p.cuda_version === undefined);
  if (report.nvidia === null) assert.equal(p.gpu_model, undefined);
});

Deno.test("probeExecutionProviders() reports an unknown provider as unusable with the error", async () => {
  const { providers } = await probeExecutionProviders(["cpu", "no-such-provider"]);
  assert.equal(providers[0].usable, true);
  assert.equal(providers[1].usable, false);
  assert.ok((providers[1].error ?? "").length > 0);
});

Deno.test("hostCapabilities() agrees with the probe about CUDA", async () => {
  const host = await hostCapabilities();
  const cuda = report.execution_providers.find((s) => s.name === "cuda");
  assert.equal(host.cudaUsable, cuda?.usable);
  // The reason comes from lib/nn's one probe, which the training sessions use too.
  assert.equal(host.cudaReason, cuda?.error);
  if (!host.cudaUsable) assert.ok((host.cudaReason ?? "").length > 0);
  assert.equal(host.logicalCores, navigator.hardwareConcurrency);
});

Deno.test("formatHardwareReport() shows every profile fact in its table", () => {
  const text = formatHardwareReport(report);
  for (
    const label of ["Platform", "Architecture", "CPU", "Memory", "Execution providers", "Workers"]
  ) {
    assert.match(text, new RegExp(`^${label} +\\S`, "m"), label);
  }
  assert.match(text, /^Workers +3$/m);
});

// Output of nvidia-smi 550.54.15 on a two-GPU host (captured text).
const QUERY = "NVIDIA A100-SXM4-80GB, 81920, 550.54.15\nNVIDIA A100-SXM4-80GB, 81920, 550.54.15\n";
const HEADER = `Fri Nov 29 12:00:00 2026
+-----------------------------------------------------------------------------------------+
| NVIDIA-SMI 550.54.15              Driver Version: 550.54.15      CUDA Version: 12.4     |
|-----------------------------------------+------------------------+----------------------+
`;

Deno.test("parseNvidiaSmi() reads GPUs and the driver's CUDA version", () => {
  assert.deepEqual(parseNvidiaSmi(QUERY, HEADER), {
    gpus: [
      { name: "NVIDIA A100-SXM4-80GB", memory_mib: 81920, driver_version: "550.54.15" },
      { name: "NVIDIA A100-SXM4-80GB", memory_mib: 81920, driver_version: "550.54.15" },
    ],
    cuda_version: "12.4",
  });
  assert.deepEqual(parseNvidiaSmi("", "no header"), { gpus: [], cuda_version: null });
  assert.deepEqual(parseNvidiaSmi("Tesla T4, [N/A], [N/A]\n", "").gpus, [
    { name: "Tesla T4", memory_mib: null, driver_version: null },
  ]);
});
