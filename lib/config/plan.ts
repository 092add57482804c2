/**
 * The run plan derived from a scenario and the host: which extractors run and which
 * are skipped (invalid entry, or CUDA needed but unusable), how many environment
 * workers, and the resolved config recorded in the manifest. `validate` prints it and
 * `train` follows it.
 *
 * @module
 */
import * as nodePath from "node:path";
import type { ExtractorConfigurationProfile } from "./profile.ts";
import { resolveOutputRoot, runDirectoryName } from "../run/paths.ts";
import { formatConfigIssue } from "./config_error.ts";
import type {
  Device,
  PpoSettings,
  RunSettings,
  ScenarioEnvSettings,
  SlurmSettings,
} from "./settings.ts";
import type { Scenario, ScenarioSettings } from "./scenario.ts";
import { trialSeeds } from "./trials.ts";

/** Host facts the plan depends on. */
export interface HostCapabilities {
  /** Whether ONNX Runtime can create a session with the CUDA execution provider. */
  cudaUsable: boolean;
  /**
   * Why the CUDA execution provider is not usable (first line of the probe's error).
   * @default null (not known)
   */
  cudaReason?: string | null;
  /** Logical CPU cores. */
  logicalCores: number;
}

/**
 * How to get onnxruntime-node's CUDA execution provider: its install script
 * (node_modules/onnxruntime-node/script/install.js) downloads the CUDA 12 provider
 * libraries from the Microsoft.ML.OnnxRuntime.Gpu.Linux NuGet package when
 * ONNXRUNTIME_NODE_INSTALL=cuda12; Deno runs it only when allowed, and only once
 * (the `.scripts-run` marker, written even when the download failed).
 */
export const CUDA_PROVIDER_INSTALL: string =
  "to install onnxruntime-node's CUDA execution provider (Linux x64, NVIDIA driver, CUDA 12.x " +
  "and cuDNN 9.x libraries on LD_LIBRARY_PATH), run in the project folder: " +
  "rm -f node_modules/.deno/onnxruntime-node@*/.scripts-run && " +
  "ONNXRUNTIME_NODE_INSTALL=cuda12 deno install --allow-scripts=npm:onnxruntime-node " +
  "(downloads libonnxruntime_providers_cuda.so from api.nuget.org; see docs/configuration.md)";

/** Why an extractor is skipped on this host, with a hint for the user. */
export interface ResourceSkip {
  /** Reason recorded in the run record. */
  reason: string;
  /** What the user can do about it. */
  hint: string;
}

/** Options of {@linkcode resourceSkipReason}. */
export interface ResourceSkipOptions {
  /** run.device. */
  device: Device;
  /** Whether the CUDA execution provider is usable on this host. */
  cudaUsable: boolean;
}

/**
 * Whether an extractor must be skipped on this host: run.device is cuda, or the
 * extractor expects a GPU, while the CUDA execution provider is unusable
 * (the reference's two skip rules).
 *
 * @param profile The extractor.
 * @param options Requested device and CUDA availability.
 * @returns The skip reason and hint, or null when the extractor can run.
 */
export function resourceSkipReason(
  profile: ExtractorConfigurationProfile,
  options: ResourceSkipOptions,
): ResourceSkip | null {
  if (options.cudaUsable) return null;
  if (options.device === "cuda") {
    return {
      reason: "CUDA device requested but the CUDA execution provider is not usable on this host",
      hint: "set run.device: cpu, or install onnxruntime-node's CUDA provider on a host with an " +
        "NVIDIA GPU (see docs/configuration.md)",
    };
  }
  if (profile.expected_resources === "gpu") {
    return {
      reason: "Extractor expects GPU resources but the CUDA execution provider is not usable",
      hint: "set expected_resources: cpu for this extractor, or run on a host with a usable CUDA " +
        "execution provider",
    };
  }
  return null;
}

/**
 * Environment workers a run uses (per extractor): 1 in single-thread mode;
 * otherwise min(run.env_workers, num_envs) (a worker steps at least one env), else
 * min(num_envs, logical cores).
 *
 * @param run The run settings.
 * @param host Host capabilities (logical cores).
 * @returns Worker count >= 1.
 */
export function resolveWorkerCount(
  run: RunSettings,
  host: Pick<HostCapabilities, "logicalCores">,
): number {
  if (run.worker_mode === "single-thread") return 1;
  if (run.env_workers !== null) return Math.max(1, Math.min(run.env_workers, run.num_envs));
  return Math.max(1, Math.min(run.num_envs, host.logicalCores));
}

/**
 * Trials a run trains at the same time: `run.parallel_extractors` when given, else
 * chosen from the host so that the busy threads about match the logical cores:
 * min(trials, floor(logical cores / threads per trial)), at least 1. A trial keeps one
 * thread busy in single-thread mode (its trainer) and about `workers` in vectorized
 * mode (its env workers step while the trainer waits; the trainer updates while they
 * wait). The dropout-mask prefetch worker of a trial with dropout works while its own
 * trainer waits on ONNX Runtime; {@linkcode resolvePrefetchMasks} turns it off when the
 * trials at once leave no core for it.
 *
 * @param run The run settings.
 * @param host Host capabilities (logical cores).
 * @param trials Trials the run would train (extractors to run x seeds).
 * @param workers Environment workers per trial (`resolveWorkerCount`).
 * @returns Trials at once, >= 1 (an explicit setting is returned as written, even
 * above `trials`: the trainer never starts more than there are).
 */
export function resolveParallelTrials(
  run: Pick<RunSettings, "parallel_extractors" | "worker_mode">,
  host: Pick<HostCapabilities, "logicalCores">,
  trials: number,
  workers: number,
): number {
  if (run.parallel_extractors !== null) return Math.max(1, run.parallel_extractors);
  const perTrial = run.worker_mode === "vectorized" ? Math.max(1, workers) : 1;
  const cores = Math.max(1, Math.floor(host.logicalCores));
  return Math.max(1, Math.min(trials, Math.floor(cores / perTrial)));
}

/**
 * Whether trials fill the next minibatch's dropout masks in a worker during the current
 * update (`prefetchMasks`): only when a core is left during updates, that is when fewer
 * trials run at once than there are logical cores (during an update a trial keeps one
 * thread busy, its trainer; its env workers wait). With every core updating, the mask
 * workers compete with the trainers: two dynamics_original trainings side by side on 2
 * cores ran 12% faster with the masks filled inline (docs/benchmarks.md). Masks and
 * results are the same either way.
 *
 * @param parallelTrials Trials at once (`resolveParallelTrials`).
 * @param trials Trials the run trains.
 * @param logicalCores The host's logical cores.
 * @returns Whether to prefetch the masks.
 */
export function resolvePrefetchMasks(
  parallelTrials: number,
  trials: number,
  logicalCores: number,
): boolean {
  const atOnce = Math.max(1, Math.min(parallelTrials, trials));
  return atOnce < Math.max(1, Math.floor(logicalCores));
}

/**
 * Settings with defaults in the scenario file's shape: the PPO hyperparameters nested in
 * `run.ppo`, where the file has them (`ScenarioSettings` keeps them apart as `ppo`).
 */
export interface ResolvedSettings {
  /** `run:` block with its `ppo:` mapping. */
  run: RunSettings & { ppo: PpoSettings };
  /** `env:` block. */
  env: ScenarioEnvSettings;
  /** `slurm:` block, or null when absent. */
  slurm: SlurmSettings | null;
}

/**
 * Put a scenario's settings back in the file's shape (`ppo` inside `run`).
 *
 * @param settings Validated settings.
 * @returns A new object; `settings` is not changed.
 */
export function resolvedSettings(settings: ScenarioSettings): ResolvedSettings {
  const { run, ppo, env, slurm } = structuredClone(settings);
  return { run: { ...run, ppo }, env, slurm };
}

/**
 * The resolved scenario as plain JSON (defaults filled in, entries in run order), as
 * recorded in the manifest's run_started event.
 *
 * @param scenario A validated scenario.
 * @returns JSON-serialisable object with run (PPO hyperparameters in run.ppo, as in the
 * scenario file), env, slurm, baseline, extractors (ready profiles), skipped (invalid
 * entries) and order (every entry name in run order).
 */
export function resolvedConfig(scenario: Scenario): Record<string, unknown> {
  return structuredClone({
    ...resolvedSettings(scenario.settings),
    baseline: scenario.baseline,
    extractors: scenario.extractors,
    skipped: scenario.skipped,
    order: scenario.entries.map((entry) =>
      entry.status === "ready" ? entry.profile.name : entry.skipped.name
    ),
  });
}

/** One extractor line of a plan. */
export interface PlannedExtractor {
  /** Entry name. */
  name: string;
  /** "run", or "skip" with the reason. */
  action: "run" | "skip";
  /** Preset name, when the entry is valid. */
  preset: string | null;
  /** features_dim, when the entry is valid. */
  features_dim: number | null;
  /** Priority. */
  priority: number;
  /** Skip reason (with location for invalid entries). */
  reason: string | null;
  /** Hint for resource skips. */
  hint: string | null;
}

/** What a run of the scenario would do on this host. */
export interface RunPlan {
  /** Absolute scenario path. */
  file: string;
  /** Settings with defaults, in the scenario file's shape (PPO hyperparameters in run.ppo). */
  settings: ResolvedSettings;
  /** Environment workers. */
  workers: number;
  /** Trials trained at the same time (`resolveParallelTrials`). */
  parallel_trials: number;
  /** Trials to train (extractors to run x seeds). */
  trials: number;
  /** Logical CPU cores of the host planned for. */
  logical_cores: number;
  /** Baseline extractor. */
  baseline: string | null;
  /** Extractors in run order. */
  extractors: PlannedExtractor[];
  /** Warnings, formatted `file:line:column: path: message (hint)`. */
  warnings: string[];
  /** Run directory that would be created. */
  run_directory: string;
  /** Where the output root came from. */
  output_root_source: string;
}

/** Options of {@linkcode buildRunPlan}. */
export interface BuildRunPlanOptions {
  /** Host capabilities. */
  host: HostCapabilities;
  /** Absolute path of the run directory that would be created. */
  runDirectory: string;
  /** Source of the output root (flag, config, env variable, default). */
  outputRootSource: string;
}

/**
 * Combine a scenario and the host into the plan `validate` prints.
 *
 * @param scenario A validated scenario.
 * @param options Host, run directory, output root source.
 * @returns The plan.
 */
export function buildRunPlan(scenario: Scenario, options: BuildRunPlanOptions): RunPlan {
  const { run } = scenario.settings;
  const extractors: PlannedExtractor[] = scenario.entries.map((entry) => {
    if (entry.status === "skipped") {
      return {
        name: entry.skipped.name,
        action: "skip",
        preset: null,
        features_dim: null,
        priority: entry.skipped.priority,
        reason: `invalid entry at line ${entry.skipped.line}: ${entry.skipped.reason}`,
        hint:
          "fix the entry in the scenario (docs/configuration.md lists each preset's parameters)",
      };
    }
    const { profile } = entry;
    const skip = resourceSkipReason(profile, {
      device: run.device,
      cudaUsable: options.host.cudaUsable,
    });
    return {
      name: profile.name,
      action: skip === null ? "run" : "skip",
      preset: profile.preset,
      features_dim: profile.features_dim,
      priority: profile.priority,
      reason: skip?.reason ?? null,
      hint: skip?.hint ?? null,
    };
  });
  const warnings = scenario.warnings.map(formatConfigIssue);
  if (
    !options.host.cudaUsable && extractors.some((e) => e.action === "skip" && e.preset !== null)
  ) {
    const why = options.host.cudaReason ? `: ${options.host.cudaReason}` : "";
    warnings.push(
      `CUDA execution provider not usable on this host${why}; ${CUDA_PROVIDER_INSTALL}`,
    );
  }
  const workers = resolveWorkerCount(run, options.host);
  const trials = extractors.filter((e) => e.action === "run").length * _seedCount(run);
  return {
    file: scenario.file,
    settings: resolvedSettings(scenario.settings),
    workers,
    parallel_trials: resolveParallelTrials(run, options.host, trials, workers),
    trials,
    logical_cores: options.host.logicalCores,
    baseline: scenario.baseline,
    extractors,
    warnings,
    run_directory: options.runDirectory,
    output_root_source: options.outputRootSource,
  };
}

/** Trial seeds of a run (1 for a single-seed run; a seed range error counts as 1). */
function _seedCount(run: RunSettings): number {
  try {
    return trialSeeds(run).length;
  } catch {
    return 1;
  }
}

/** Options of {@linkcode planRun}. */
export interface PlanRunOptions {
  /** Host capabilities (see lib/hardware hostCapabilities()). */
  host: HostCapabilities;
  /**
   * --output-root flag value.
   * @default null
   */
  outputRootFlag?: string | null;
  /**
   * Start time of the run (names the run directory).
   * @default new Date()
   */
  now?: Date;
  /**
   * Environment reader for MULTI_EXTRACTOR_TMP / ROBOT_SF_MULTI_EXTRACTOR_TMP.
   * @default Deno.env
   */
  env?: (name: string) => string | undefined;
}

/**
 * The plan of a run of `scenario` on this host, with the output root resolved
 * (`--output-root` > run.output_root > MULTI_EXTRACTOR_TMP >
 * ROBOT_SF_MULTI_EXTRACTOR_TMP > default) and the run directory named. Creates
 * nothing; validate prints it and train follows it.
 *
 * @param scenario A validated scenario.
 * @param options Host, output root flag, start time, environment.
 * @returns The plan.
 */
export function planRun(scenario: Scenario, options: PlanRunOptions): RunPlan {
  const root = resolveOutputRoot({
    flag: options.outputRootFlag ?? null,
    config: scenario.settings.run.output_root,
    env: options.env,
  });
  const name = runDirectoryName(scenario.settings.run.run_id, options.now ?? new Date());
  return buildRunPlan(scenario, {
    host: options.host,
    runDirectory: nodePath.join(root.path, name),
    outputRootSource: root.source,
  });
}

function _value(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return `[${value.join(", ")}]`;
  return String(value);
}

/** How many trials train at once and why (the plan printout's line). */
function _parallelText(plan: RunPlan): string {
  const { parallel_extractors: setting } = plan.settings.run;
  const atOnce = Math.min(plan.parallel_trials, Math.max(1, plan.trials));
  const how = atOnce > 1 ? ", each in an extractor worker" : ", one after another";
  const trials = `${plan.trials} trial${plan.trials === 1 ? "" : "s"}`;
  if (setting !== null) {
    return `${atOnce} (run.parallel_extractors ${setting}, ${trials})${how}`;
  }
  return `${atOnce} (run.parallel_extractors null: chosen from ${plan.logical_cores} ` +
    `logical cores and ${trials})${how}`;
}

/**
 * Render a plan as readable text: settings (run.ppo nested under run, as in the
 * scenario file), extractors in run order with skip reasons, warnings and the run
 * directory that would be created.
 *
 * @param plan The plan.
 * @returns Multi-line text ending with a newline.
 */
export function formatRunPlan(plan: RunPlan): string {
  const out: string[] = [];
  out.push(`Scenario: ${plan.file}`, "");
  const pairs = (values: object, indent: string) => {
    const entries = Object.entries(values);
    const width = Math.max(...entries.map(([key]) => key.length));
    for (const [key, value] of entries) out.push(`${indent}${key.padEnd(width)}  ${_value(value)}`);
  };
  const block = (title: string, values: object | null, nested: Record<string, object> = {}) => {
    if (values === null) return;
    out.push(`${title}:`);
    pairs(values, "  ");
    for (const [key, inner] of Object.entries(nested)) {
      out.push(`  ${key}:`);
      pairs(inner, "    ");
    }
    out.push("");
  };
  const { ppo, ...run } = plan.settings.run;
  block("run", run, { ppo });
  block("env", plan.settings.env);
  block("slurm", plan.settings.slurm);
  out.push(`Environment workers: ${plan.workers}`);
  out.push(`Trials at once: ${_parallelText(plan)}`);
  out.push(`Baseline extractor: ${plan.baseline ?? "none (no extractor can run)"}`, "");
  out.push("Extractors in run order:");
  plan.extractors.forEach((extractor, i) => {
    const head = `  ${i + 1}. ${extractor.name}`;
    if (extractor.action === "run") {
      out.push(
        `${head}  run   preset ${extractor.preset}, features_dim ${extractor.features_dim}, ` +
          `priority ${extractor.priority}`,
      );
    } else {
      out.push(`${head}  SKIP  ${extractor.reason}`);
      if (extractor.hint !== null) out.push(`       hint: ${extractor.hint}`);
    }
  });
  out.push("");
  if (plan.warnings.length > 0) {
    out.push("Warnings:");
    for (const warning of plan.warnings) out.push(`  ${warning}`);
    out.push("");
  }
  out.push(`Run directory (not created): ${plan.run_directory}`);
  out.push(`Output root from: ${plan.output_root_source}`);
  return `${out.join("\n")}\n`;
}
