/**
 * Hardware profile of this host: OS, CPU and memory (systeminformation), NVIDIA GPU
 * model and CUDA version (nvidia-smi), ONNX Runtime version and the execution
 * providers that can actually create a session, and the Deno/V8/TypeScript versions.
 *
 * systeminformation's own GPU query shells out to `lspci` and only then to
 * nvidia-smi, which needs shell access and misses GPUs in containers without pciutils,
 * so the GPU is queried with nvidia-smi directly (the tasks grant its absolute path when the host has it, see scripts/allow_run.sh).
 *
 * @module
 */
import type { HostCapabilities } from "../config/plan.ts";
import type { ExecutionProviderStatus } from "../nn/session.ts";
import { createHardwareProfile, type HardwareProfile } from "../run/models.ts";

export type { ExecutionProviderStatus };

/** One NVIDIA GPU as nvidia-smi reports it. */
export interface NvidiaGpu {
  /** Model name, e.g. "NVIDIA H100 80GB HBM3". */
  name: string;
  /** Memory in MiB. */
  memory_mib: number | null;
  /** Driver version. */
  driver_version: string | null;
}

/** nvidia-smi's view of the host. */
export interface NvidiaInfo {
  /** GPUs in index order. */
  gpus: NvidiaGpu[];
  /** Highest CUDA version the driver supports (nvidia-smi header), or null. */
  cuda_version: string | null;
}

/** Everything the probe found; `profile` is what run records and summaries carry. */
export interface HardwareReport {
  /** Schema-valid hardware profile. */
  profile: HardwareProfile;
  /** Execution providers tried, in order. */
  execution_providers: ExecutionProviderStatus[];
  /** nvidia-smi result, or null when nvidia-smi is absent or failed. */
  nvidia: NvidiaInfo | null;
  /** Facts that could not be collected and why (e.g. missing permissions). */
  notes: string[];
  /** Milliseconds the probe took. */
  elapsed_ms: number;
}

/** Options of {@linkcode probeHardware}. */
export interface ProbeHardwareOptions {
  /**
   * Environment workers to record in the profile.
   * @default logical cores
   */
  workers?: number;
  /**
   * Execution providers to try.
   * @default ["cpu", "cuda"]
   */
  providers?: string[];
  /**
   * nvidia-smi command (name on PATH or absolute path); null skips the GPU query.
   * @default "nvidia-smi"
   */
  nvidiaSmi?: string | null;
  /**
   * ONNX Runtime's native log level, fixed for the whole process at its first session.
   * "fatal" hides the expected error lines when the CUDA provider is absent.
   * @default "fatal"
   */
  ortLogLevel?: "verbose" | "info" | "warning" | "error" | "fatal";
}

/**
 * Runtime versions: `{ deno, v8, typescript }` from `Deno.version`.
 *
 * @returns Version strings.
 */
export function runtimeVersions(): { deno: string; v8: string; typescript: string } {
  return { deno: Deno.version.deno, v8: Deno.version.v8, typescript: Deno.version.typescript };
}

/**
 * Try each execution provider (lib/nn's probe): `cuda` through
 * detectExecutionProviders, which probes once per process and is the result the
 * training sessions use; any other name with a one-node session of only that provider.
 *
 * @param providers Provider names.
 * @param options ORT log level (see {@linkcode ProbeHardwareOptions.ortLogLevel}).
 * @returns One status per provider, plus the ONNX Runtime version.
 */
export async function probeExecutionProviders(
  providers: readonly string[] = ["cpu", "cuda"],
  options: Pick<ProbeHardwareOptions, "ortLogLevel"> = {},
): Promise<{ version: string; providers: ExecutionProviderStatus[] }> {
  // Loaded on demand: importing onnxruntime-node needs --allow-ffi, and a probe
  // without it still reports everything else.
  const { ort, detectExecutionProviders, tryExecutionProvider } = await import(
    "../nn/session.ts"
  );
  ort.env.logLevel = options.ortLogLevel ?? "fatal";
  const statuses: ExecutionProviderStatus[] = [];
  for (const name of providers) {
    if (name === "cuda") {
      const probe = await detectExecutionProviders();
      statuses.push({ name, usable: probe.cuda, error: probe.cuda ? null : probe.cudaReason! });
    } else {
      statuses.push(await tryExecutionProvider(name));
    }
  }
  return { version: ort.env.versions?.node ?? "unknown", providers: statuses };
}

/**
 * Parse `nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader,nounits`
 * output plus the CUDA version from the plain `nvidia-smi` header.
 *
 * @param queryOutput CSV lines, one GPU per line.
 * @param headerOutput Output of plain `nvidia-smi` (for "CUDA Version: 12.4").
 * @returns Parsed GPUs and CUDA version.
 */
export function parseNvidiaSmi(queryOutput: string, headerOutput: string): NvidiaInfo {
  const gpus = queryOutput.split("\n").map((line) => line.trim()).filter((line) => line !== "")
    .map((line) => {
      const [name, memory, driver] = line.split(",").map((field) => field.trim());
      const memoryMib = Number(memory);
      return {
        name,
        memory_mib: Number.isFinite(memoryMib) && memory !== "" ? memoryMib : null,
        driver_version: driver && driver !== "[N/A]" ? driver : null,
      };
    });
  const cuda = /CUDA Version:\s*([0-9][0-9.]*)/.exec(headerOutput);
  return { gpus, cuda_version: cuda ? cuda[1] : null };
}

async function _run(command: string, args: string[]): Promise<string> {
  const output = await new Deno.Command(command, { args, stdout: "piped", stderr: "null" })
    .output();
  if (!output.success) throw new Error(`${command} exited with code ${output.code}`);
  return new TextDecoder().decode(output.stdout);
}

/**
 * Query NVIDIA GPUs with nvidia-smi.
 *
 * @param command nvidia-smi command.
 * @returns GPUs and CUDA version, or null when nvidia-smi is not installed.
 * @throws {Deno.errors.NotCapable} When running the command is not permitted.
 * @throws {Error} When nvidia-smi runs but fails (driver problems).
 */
export async function queryNvidiaSmi(command = "nvidia-smi"): Promise<NvidiaInfo | null> {
  let query: string;
  try {
    query = await _run(command, [
      "--query-gpu=name,memory.total,driver_version",
      "--format=csv,noheader,nounits",
    ]);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
  return parseNvidiaSmi(query, await _run(command, []));
}

async function _osRelease(): Promise<string | null> {
  try {
    const text = await Deno.readTextFile("/etc/os-release");
    const match = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(text);
    return match ? match[1] : null;
  } catch {
    return null;
  }
}

function _architecture(arch: string): string {
  return arch === "x64" ? "x86_64" : arch === "arm64" ? "aarch64" : arch;
}

/**
 * Probe this host and build its hardware profile. Missing permissions or tools do
 * not fail the probe; the fact is left out and a note says why.
 *
 * @param options Worker count, providers to try, nvidia-smi command, ORT log level.
 * @returns The report with a schema-valid profile.
 * @throws {TypeError} When `workers` is not an integer >= 1.
 */
export async function probeHardware(options: ProbeHardwareOptions = {}): Promise<HardwareReport> {
  const started = performance.now();
  const notes: string[] = [];
  const logical = navigator.hardwareConcurrency;
  const workers = options.workers ?? logical;
  if (!Number.isInteger(workers) || workers < 1) {
    throw new TypeError(`Worker count must be an integer >= 1, got ${workers}`);
  }
  const nvidiaCommand = options.nvidiaSmi === undefined ? "nvidia-smi" : options.nvidiaSmi;

  const { default: si } = await import("systeminformation");
  const [os, cpu, mem, osRelease, ep, nvidia] = await Promise.all([
    si.osInfo(),
    si.cpu(),
    si.mem(),
    _osRelease(),
    probeExecutionProviders(options.providers ?? ["cpu", "cuda"], options).catch((error) => {
      notes.push(`ONNX Runtime could not be loaded: ${(error as Error).message.split("\n")[0]}`);
      return null;
    }),
    nvidiaCommand === null
      ? Promise.resolve(null)
      : queryNvidiaSmi(nvidiaCommand).catch((error) => {
        notes.push(`nvidia-smi failed: ${(error as Error).message.split("\n")[0]}`);
        return null;
      }),
  ]);

  const distro = os.distro && os.distro !== "unknown"
    ? `${os.distro} ${os.release}`.trim()
    : osRelease ?? os.platform;
  const versions = runtimeVersions();
  const gpu = nvidia?.gpus[0];
  let gpuPair: { gpu_model?: string; cuda_version?: string } = {};
  if (gpu !== undefined && nvidia?.cuda_version) {
    gpuPair = { gpu_model: gpu.name, cuda_version: nvidia.cuda_version };
  } else if (gpu !== undefined) {
    notes.push(
      `GPU ${gpu.name} found but nvidia-smi reported no CUDA version; GPU left out of the profile`,
    );
  }
  const cpuModel = [cpu.manufacturer, cpu.brand].filter((part) => part && part !== "unknown").join(
    " ",
  );
  let hostname: string | undefined;
  try {
    hostname = Deno.hostname();
  } catch {
    hostname = os.hostname || undefined;
  }
  const profile = createHardwareProfile({
    platform: `${distro} (${os.platform} ${os.kernel})`,
    arch: _architecture(os.arch || Deno.build.arch),
    python_version: `deno ${versions.deno}`,
    runtime: "deno",
    deno_version: versions.deno,
    v8_version: versions.v8,
    typescript_version: versions.typescript,
    workers,
    ...gpuPair,
    hostname,
    cpu_model: cpuModel || undefined,
    physical_cores: cpu.physicalCores > 0 ? cpu.physicalCores : undefined,
    logical_cores: logical,
    memory_bytes: mem.total > 0 ? mem.total : undefined,
    onnxruntime_version: ep?.version,
    execution_providers: ep?.providers.filter((p) => p.usable).map((p) => p.name),
  });
  return {
    profile,
    execution_providers: ep?.providers ?? [],
    nvidia,
    notes,
    elapsed_ms: performance.now() - started,
  };
}

/**
 * Quick host check for run planning: is the CUDA execution provider usable (and why
 * not), and how many logical cores are there. Loads ONNX Runtime (needs --allow-ffi).
 *
 * @param options ORT log level.
 * @returns Host capabilities.
 */
export async function hostCapabilities(
  options: Pick<ProbeHardwareOptions, "ortLogLevel"> = {},
): Promise<HostCapabilities> {
  const { providers } = await probeExecutionProviders(["cuda"], options);
  return {
    cudaUsable: providers[0].usable,
    cudaReason: providers[0].error,
    logicalCores: navigator.hardwareConcurrency,
  };
}

function _bytes(value: number | undefined): string {
  if (value === undefined) return "unknown";
  return `${(value / 2 ** 30).toFixed(1)} GiB`;
}

/**
 * Render a report as a two-column table for the terminal.
 *
 * @param report Probe result.
 * @returns Text ending with a newline.
 */
export function formatHardwareReport(report: HardwareReport): string {
  const p = report.profile;
  const providers = report.execution_providers.length === 0
    ? "none (ONNX Runtime not loaded)"
    : report.execution_providers.map((s) => `${s.name}: ${s.usable ? "usable" : "not usable"}`)
      .join(", ");
  const gpus = report.nvidia === null
    ? "none detected"
    : report.nvidia.gpus.map((g) => `${g.name}${g.memory_mib ? ` (${g.memory_mib} MiB)` : ""}`)
      .join("; ") || "none detected";
  const rows: [string, string][] = [
    ["Host", p.hostname ?? "unknown"],
    ["Platform", p.platform],
    ["Architecture", p.arch],
    ["CPU", p.cpu_model ?? "unknown"],
    ["Cores (physical / logical)", `${p.physical_cores ?? "?"} / ${p.logical_cores ?? "?"}`],
    ["Memory", _bytes(p.memory_bytes)],
    ["GPU", gpus],
    ["GPU model (profile)", p.gpu_model ?? "N/A"],
    ["CUDA version (driver)", p.cuda_version ?? "N/A"],
    ["ONNX Runtime", p.onnxruntime_version ?? "not loaded"],
    ["Execution providers", providers],
    ["Runtime", p.python_version],
    ["V8 / TypeScript", `${p.v8_version ?? "?"} / ${p.typescript_version ?? "?"}`],
    ["Workers", String(p.workers)],
  ];
  const width = Math.max(...rows.map(([key]) => key.length));
  const lines = rows.map(([key, value]) => `${key.padEnd(width)}  ${value}`);
  for (const status of report.execution_providers) {
    if (!status.usable && status.error) lines.push(`note: ${status.name}: ${status.error}`);
  }
  for (const note of report.notes) lines.push(`note: ${note}`);
  return `${lines.join("\n")}\n`;
}
