/**
 * Hardware probe: the profile recorded with every run (OS, CPU, memory, NVIDIA GPU
 * and CUDA version, ONNX Runtime execution providers that work, runtime versions).
 *
 * @example Probe this host
 * ```ts
 * import { formatHardwareReport, probeHardware } from "./mod.ts";
 * const report = await probeHardware({ workers: 1 });
 * console.log(formatHardwareReport(report));
 * ```
 *
 * @module
 */
export {
  formatHardwareReport,
  hostCapabilities,
  parseNvidiaSmi,
  probeExecutionProviders,
  probeHardware,
  queryNvidiaSmi,
  runtimeVersions,
} from "./probe.ts";
export type {
  ExecutionProviderStatus,
  HardwareReport,
  NvidiaGpu,
  NvidiaInfo,
  ProbeHardwareOptions,
} from "./probe.ts";
