/**
 * Everything a comparison decides before it writes anything: load and validate the
 * scenario, apply the command line (`--run-id`, `--only`, `--output-root`) and test
 * mode, probe the host, and plan the run with the same code `validate` uses.
 *
 * @module
 */
import * as nodePath from "node:path";
import { closestName } from "../config/presets.ts";
import { planRun, type RunPlan } from "../config/plan.ts";
import {
  loadScenario,
  type Scenario,
  type ScenarioEntry,
  type ScenarioSettings,
} from "../config/scenario.ts";
import { probeHardware } from "../hardware/probe.ts";
import type { HardwareReport, ProbeHardwareOptions } from "../hardware/probe.ts";
import { normalizeRunId, outputRootProblem } from "../run/paths.ts";
import { rolloutEnvs, TEST_MODE_NOTE, testModeSettings } from "./test_mode.ts";
import { readEnv } from "../internal/env.ts";

/**
 * A command-line value that cannot be used (an `--only` name that is no entry, a
 * `--run-id` with nothing directory-safe in it, an output root that is a file);
 * nothing has been written.
 */
export class InvocationError extends Error {
  /** The flag, e.g. "--only" (or the setting, e.g. "MULTI_EXTRACTOR_TMP"). */
  readonly flag: string;

  /**
   * @param flag The flag.
   * @param message What is wrong with its value.
   */
  constructor(flag: string, message: string) {
    super(`${flag}: ${message}`);
    this.name = "InvocationError";
    this.flag = flag;
  }
}

/** Options of {@linkcode prepareComparison}. */
export interface PrepareComparisonOptions {
  /**
   * `--run-id`: replaces run.run_id.
   * @default null
   */
  runId?: string | null;
  /**
   * `--output-root`: overrides run.output_root and the environment.
   * @default null
   */
  outputRoot?: string | null;
  /**
   * `--only`: entry names to run, in any order; the run keeps the scenario's order.
   * @default null (every entry)
   */
  only?: readonly string[] | null;
  /**
   * Shorten the run (see testModeSettings).
   * @default false
   */
  testMode?: boolean;
  /**
   * Start time of the run (names the run directory).
   * @default new Date()
   */
  now?: Date;
  /**
   * Environment reader for the output root variables.
   * @default Deno.env
   */
  env?: (name: string) => string | undefined;
  /**
   * The host's hardware report; probed when omitted.
   * @default probeHardware({ workers: <plan workers>, ...probe })
   */
  hardware?: HardwareReport;
  /**
   * Options of the probe (nvidia-smi command, providers).
   * @default {}
   */
  probe?: Omit<ProbeHardwareOptions, "workers">;
  /**
   * Plan as if the CUDA execution provider were usable (true) or unusable (false) instead
   * of what the hardware report says. `slurm` plans for the compute nodes, which get the
   * GPUs its scripts request, not for the host that submits.
   * @default null (the hardware report decides)
   */
  cudaUsable?: boolean | null;
}

/** A comparison ready to run. */
export interface PreparedComparison {
  /** The scenario as it will run: command line and test mode applied. */
  scenario: Scenario;
  /** The plan (run order, skips, workers, run directory). */
  plan: RunPlan;
  /** Hardware report of this host (its profile goes into every record). */
  hardware: HardwareReport;
  /** Whether test mode shortened the settings. */
  testMode: boolean;
  /** Notes recorded with the run and repeated in every summary. */
  notes: string[];
  /** Start time of the run. */
  startedAt: Date;
}

/** The setting that chose the output root, by plan.output_root_source. */
const OUTPUT_ROOT_SETTINGS: Record<string, string> = {
  flag: "--output-root",
  config: "run.output_root",
  MULTI_EXTRACTOR_TMP: "MULTI_EXTRACTOR_TMP",
  ROBOT_SF_MULTI_EXTRACTOR_TMP: "ROBOT_SF_MULTI_EXTRACTOR_TMP",
  default: "output root",
};

function _entryName(entry: ScenarioEntry): string {
  return entry.status === "ready" ? entry.profile.name : entry.skipped.name;
}

/**
 * The scenario with only the named entries (order and everything else kept). The
 * baseline moves to the first selected valid entry when the scenario's is left out.
 *
 * @param scenario A validated scenario.
 * @param names Entry names; each must name an entry.
 * @returns The narrowed scenario and a note when the baseline moved.
 * @throws {InvocationError} When a name is no entry (with the closest name), or the list is empty.
 */
export function selectExtractors(
  scenario: Scenario,
  names: readonly string[],
): { scenario: Scenario; notes: string[] } {
  const all = scenario.entries.map(_entryName);
  const wanted = [...new Set(names.map((name) => name.trim()).filter((name) => name !== ""))];
  if (wanted.length === 0) throw new InvocationError("--only", "no extractor name given");
  for (const name of wanted) {
    if (!all.includes(name)) {
      const close = closestName(name, all);
      throw new InvocationError(
        "--only",
        `"${name}" names no extractor entry of ${scenario.file}` +
          (close !== null ? ` (did you mean "${close}"?)` : ` (entries: ${all.join(", ")})`),
      );
    }
  }
  const entries = scenario.entries.filter((entry) => wanted.includes(_entryName(entry)));
  const extractors = entries.flatMap((e) => e.status === "ready" ? [e.profile] : []);
  const skipped = entries.flatMap((e) => e.status === "skipped" ? [e.skipped] : []);
  const notes = [`Only ${wanted.join(", ")} selected (--only); other entries were not run`];
  let baseline = scenario.baseline;
  if (baseline !== null && !wanted.includes(baseline)) {
    const moved = extractors[0]?.name ?? null;
    notes.push(
      `Baseline ${baseline} not selected; sample efficiency is measured against ` +
        (moved ?? "no extractor"),
    );
    baseline = moved;
  }
  return {
    scenario: structuredClone({ ...scenario, entries, extractors, skipped, baseline }),
    notes,
  };
}

/**
 * Load and validate a scenario, apply the command line and test mode, probe this host
 * and plan the run. Writes nothing.
 *
 * @example Prepare the default comparison
 * ```ts
 * const prepared = await prepareComparison("configs/scenarios/multi_extractor_default.yaml");
 * console.log(prepared.plan.run_directory);
 * ```
 *
 * @param file Scenario file.
 * @param options Command-line values, test mode, clock, environment, hardware.
 * @returns The prepared comparison.
 * @throws {ConfigError} When the scenario cannot be used (file, YAML path, line).
 * @throws {InvocationError} When --only or --run-id cannot be used, or the output root
 * (named by the setting that chose it) is a file or lies below one.
 */
export async function prepareComparison(
  file: string,
  options: PrepareComparisonOptions = {},
): Promise<PreparedComparison> {
  return await prepareScenario(await loadScenario(file), options);
}

/**
 * The note for summary.md when `run.total_timesteps` is not a whole number of rollouts:
 * training runs whole rollouts (as Stable-Baselines3's learn loop), so more steps are
 * trained than the scenario asks for; null when none are added.
 */
function _roundedTimestepsNote(settings: ScenarioSettings): string | null {
  const envs = rolloutEnvs(settings);
  const rollout = settings.ppo.n_steps * envs;
  const asked = settings.run.total_timesteps;
  const trained = Math.ceil(asked / rollout) * rollout;
  if (trained === asked) return null;
  return `run.total_timesteps ${asked} is not a whole number of rollouts ` +
    `(n_steps ${settings.ppo.n_steps} x ${envs} environments = ${rollout} steps): ` +
    `${trained} steps were trained per extractor`;
}

/**
 * {@linkcode prepareComparison} for a scenario already parsed (e.g. a run directory's
 * scenario copy, which `resume` re-reads). Writes nothing.
 *
 * @param loaded A validated scenario.
 * @param options Command-line values, test mode, clock, environment, hardware.
 * @returns The prepared comparison.
 * @throws {InvocationError} When --only or --run-id cannot be used, or the output root
 * (named by the setting that chose it) is a file or lies below one.
 */
export async function prepareScenario(
  loaded: Scenario,
  options: PrepareComparisonOptions = {},
): Promise<PreparedComparison> {
  let scenario = loaded;
  const notes: string[] = [];
  if (options.runId !== undefined && options.runId !== null) {
    try {
      normalizeRunId(options.runId);
    } catch (error) {
      throw new InvocationError("--run-id", (error as Error).message);
    }
    scenario = structuredClone(scenario);
    scenario.settings.run.run_id = options.runId;
  }
  if (options.only !== undefined && options.only !== null) {
    const selected = selectExtractors(scenario, options.only);
    scenario = selected.scenario;
    notes.push(...selected.notes);
  }
  const testMode = options.testMode ?? false;
  if (testMode) {
    scenario = { ...scenario, settings: testModeSettings(scenario.settings) };
    notes.unshift(TEST_MODE_NOTE);
  }
  const rounded = _roundedTimestepsNote(scenario.settings);
  if (rounded !== null) notes.push(rounded);
  const now = options.now ?? new Date();
  const env = options.env ?? readEnv;
  const logicalCores = navigator.hardwareConcurrency;
  // The worker count depends only on the settings and the core count, so a first plan
  // without CUDA tells the probe how many workers to record.
  const draft = planRun(scenario, {
    host: { cudaUsable: false, logicalCores },
    outputRootFlag: options.outputRoot ?? null,
    now,
    env,
  });
  const hardware = options.hardware ??
    await probeHardware({ ...options.probe, workers: draft.workers });
  const cuda = hardware.execution_providers.find((p) => p.name === "cuda");
  const cudaUsable = options.cudaUsable ?? cuda?.usable ?? false;
  const plan = planRun(scenario, {
    host: { cudaUsable, cudaReason: cuda?.error ?? null, logicalCores },
    outputRootFlag: options.outputRoot ?? null,
    now,
    env,
  });
  const problem = await outputRootProblem(nodePath.dirname(plan.run_directory));
  if (problem !== null) {
    throw new InvocationError(
      OUTPUT_ROOT_SETTINGS[plan.output_root_source] ?? "output root",
      problem,
    );
  }
  return { scenario, plan, hardware, testMode, notes, startedAt: now };
}
