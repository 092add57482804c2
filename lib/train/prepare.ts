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
import type { ScenarioOverride } from "../config/overrides.ts";
import {
  loadScenario,
  type Scenario,
  type ScenarioEntry,
  type ScenarioSettings,
} from "../config/scenario.ts";
import { probeHardware } from "../hardware/probe.ts";
import type { HardwareReport, ProbeHardwareOptions } from "../hardware/probe.ts";
import { ConfigError } from "../config/config_error.ts";
import type { PlannedExtractor } from "../config/plan.ts";
import { isMultiSeed, trialSeeds } from "../config/trials.ts";
import { heldOutOverlap, heldOutSeeds } from "../rl/held_out.ts";
import { normalizeRunId, outputRootProblem } from "../run/paths.ts";
import type { Trial } from "../run/trial.ts";
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
   * Create a InvocationError.
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
   * `--set key=value` and `--seed N` overrides, applied to the scenario before it is
   * validated (lib/config overrides.ts).
   * @default none
   */
  overrides?: readonly ScenarioOverride[];
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
   * `--seeds`: trial seeds to run instead of the scenario's (run.seeds, run.num_seeds,
   * run.seed); makes the run a multi-seed comparison.
   * @default null (the scenario's)
   */
  seeds?: readonly number[] | null;
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
  /** Trial seeds of a multi-seed comparison, or null for a single-seed one (run.seed). */
  seeds: number[] | null;
}

/** One trial of a prepared comparison with its extractor's plan line. */
export interface PlannedTrial {
  /** The extractor's plan line (run or skip). */
  planned: PlannedExtractor;
  /** The trial. */
  trial: Trial;
}

/**
 * The trials of a comparison in run order: seed by seed, every extractor in the plan's
 * order for each seed (so an interrupted run has compared the extractors on the same
 * seeds); one trial per extractor in a single-seed comparison.
 *
 * @param prepared The comparison.
 * @returns Trials in run order.
 */
export function plannedTrials(
  prepared: Pick<PreparedComparison, "plan" | "seeds">,
): PlannedTrial[] {
  const seeds: (number | null)[] = prepared.seeds ?? [null];
  return seeds.flatMap((seed) =>
    prepared.plan.extractors.map((planned) => ({
      planned,
      trial: { extractor: planned.name, seed },
    }))
  );
}

/**
 * Refuse a scenario whose training or periodic-evaluation env seeds fall in its
 * held-out range, or whose held-out range leaves [0, 2^32) (see lib/rl/held_out.ts).
 * `train` and `validate` both run it.
 * @param scenario A validated scenario (with test mode applied when the run uses it).
 * @throws {ConfigError} At evaluation.held_out_seed_start.
 */
export function checkHeldOut(scenario: Scenario): void {
  const { run, evaluation } = scenario.settings;
  const problem = (message: string, hint: string | null) =>
    new ConfigError([{
      file: scenario.file,
      path: "evaluation.held_out_seed_start",
      line: null,
      column: null,
      message,
      hint,
    }]);
  let heldOut: number[];
  try {
    heldOut = heldOutSeeds(evaluation.final_episodes, evaluation.held_out_seed_start);
  } catch (error) {
    throw problem((error as Error).message, "lower held_out_seed_start or final_episodes");
  }
  const overlap = heldOutOverlap(trialSeeds(run), run.n_eval_episodes, heldOut);
  if (overlap.length > 0) {
    throw problem(
      `held-out episode seeds ${heldOut[0]} .. ${heldOut.at(-1)} include env seeds that ` +
        `training or periodic evaluation uses (${overlap.slice(0, 5).join(", ")})`,
      "choose trial seeds below the held-out range, or move held_out_seed_start",
    );
  }
}

function _selectSeeds(scenario: Scenario, seeds: readonly number[]): Scenario {
  const wanted = [...new Set(seeds)];
  if (wanted.length === 0) throw new InvocationError("--seeds", "no seed given");
  for (const seed of wanted) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 4294967295) {
      throw new InvocationError("--seeds", `${seed} is not a seed (an integer in 0 .. 2^32 - 1)`);
    }
  }
  const out = structuredClone(scenario);
  delete out.settings.run.num_seeds;
  out.settings.run.seeds = wanted;
  return out;
}

/** Scenario warnings that depend on the rollout length, which test mode shortens. */
const ROLLOUT_WARNING_PATHS: ReadonlySet<string> = new Set([
  "run.total_timesteps",
  "run.eval_freq",
  "run.save_freq",
]);

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
  return await prepareScenario(
    await loadScenario(file, { overrides: options.overrides ?? [] }),
    options,
  );
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
 * @throws {InvocationError} When --only, --seeds or --run-id cannot be used, or the output
 * root (named by the setting that chose it) is a file or lies below one.
 * @throws {ConfigError} When the held-out episodes overlap the trials' training or
 * periodic-evaluation seeds (evaluation.held_out_seed_start).
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
  if (options.seeds !== undefined && options.seeds !== null) {
    scenario = _selectSeeds(scenario, options.seeds);
    const chosen = scenario.settings.run.seeds ?? [];
    notes.push(`Trial seeds ${chosen.join(", ")} selected (--seeds)`);
  }
  const testMode = options.testMode ?? false;
  if (testMode) {
    // The scenario's warnings about whole rollouts, evaluations and checkpoints describe
    // its own n_steps; test mode's shorter rollouts make them untrue (the rounded-steps
    // note below describes what test mode trains).
    scenario = {
      ...scenario,
      settings: testModeSettings(scenario.settings),
      warnings: scenario.warnings.filter((w) => !ROLLOUT_WARNING_PATHS.has(w.path)),
    };
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
  let hardware = options.hardware ??
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
  checkHeldOut(scenario);
  // The profile says how many trials train at once (min(parallel, trials): never more).
  const atOnce = Math.min(plan.parallel_trials, Math.max(1, plan.trials));
  hardware = { ...hardware, profile: { ...hardware.profile, parallel_extractors: atOnce } };
  const seeds = isMultiSeed(scenario.settings.run) ? trialSeeds(scenario.settings.run) : null;
  return { scenario, plan, hardware, testMode, notes, startedAt: now, seeds };
}
