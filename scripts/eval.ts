/**
 * Evaluate an exported policy or a baseline controller on a map or a scenario's
 * suite of maps and print social-navigation metrics.
 *
 * Usage:
 *   deno task eval <policy.onnx | zero | random | constant_forward | goal_seeking>
 *     [--map FILE|NAME | --scenario FILE] [--episodes N] [--seed S] [--stochastic] [--json]
 *
 * Episodes use env seeds S, S+1, ..., S+N-1 (default S: the held-out seeds'
 * start, 1,000,000,000), the same on every map and for every policy.
 *
 * Exit codes: 0 done, 1 failure, 2 bad arguments, a file that is not one of our
 * policies, observation shapes that do not fit, or a missing map.
 *
 * @module
 */
import { ConfigError, loadScenario } from "../lib/config/mod.ts";
import { ExportedPolicy, PolicyFileError } from "../lib/rl/exported_policy.ts";
import { DEFAULT_HELD_OUT_SEED_START, heldOutSeeds } from "../lib/rl/held_out.ts";
import { policyActor } from "../lib/rl/evaluation.ts";
import { scenarioEnvSettings } from "../lib/train/navigation.ts";
import {
  controllerActorFactory,
  evaluateSuite,
  loadSuiteMaps,
  type SuiteResult,
} from "../lib/rl/suite.ts";
import {
  CONTROLLER_NAMES,
  type EnvSettings,
  isControllerName,
  NAV_AGGREGATE_KEYS,
  type NavAggregate,
  resolveScenarioEnv,
  RobotEnv,
} from "../lib/sim/mod.ts";
import {
  EXIT_FAILURE,
  EXIT_INVALID,
  EXIT_OK,
  parseCommandLine,
  reportUsageError,
  UsageError,
  writeStderr,
  writeStdout,
} from "./_cli.ts";

/** Help text of the eval command. */
export const EVAL_HELP =
  `Evaluate an exported policy or a baseline controller with social-navigation metrics.

Usage: deno task eval <policy.onnx | ${CONTROLLER_NAMES.join(" | ")}> [options]

Options:
  --map FILE|NAME     Evaluate on one map (built-in name or .json/.svg file) [default: default]
  --scenario FILE     Evaluate on a scenario's env settings and its evaluation.maps suite
  --episodes N        Episodes per map [default: 20]
  --seed S            First env seed [default: ${DEFAULT_HELD_OUT_SEED_START}, the held-out episodes]
  --stochastic        Sample actions instead of the means (policies only)
  --json              Print JSON: {policy, maps: {name: metrics}, overall: metrics, ...}
  -h, --help          Show this help

Exit codes: 0 done, 1 failure, 2 bad arguments, not a policy, shapes that do not fit, missing map.
`;

interface _Inputs {
  policy: string;
  sources: string[];
  settings: EnvSettings;
  seeds: number[];
  deterministic: boolean;
  comfortDistance: number;
  json: boolean;
}

function _integer(value: unknown, flag: string, min: number): number {
  const n = Number(value);
  if (typeof value !== "string" || !/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min) {
    throw new UsageError(`${flag} must be an integer >= ${min}, got "${value}"`);
  }
  return n;
}

async function _inputs(args: string[]): Promise<_Inputs | number> {
  const parsed = parseCommandLine(args, {
    map: { type: "string" },
    scenario: { type: "string" },
    episodes: { type: "string", default: "20" },
    seed: { type: "string", default: String(DEFAULT_HELD_OUT_SEED_START) },
    stochastic: { type: "boolean", default: false },
    json: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  });
  const v = parsed.values;
  if (v.help) {
    writeStdout(EVAL_HELP);
    return EXIT_OK;
  }
  if (parsed.positionals.length !== 1) {
    throw new UsageError(
      parsed.positionals.length === 0
        ? "Missing the policy argument (an .onnx file or a controller name)"
        : `Expected one policy, got ${parsed.positionals.length} arguments`,
    );
  }
  if (v.map !== undefined && v.scenario !== undefined) {
    throw new UsageError("Give either --map or --scenario, not both");
  }
  const episodes = _integer(v.episodes, "--episodes", 1);
  const start = _integer(v.seed, "--seed", 0);
  let seeds: number[];
  try {
    seeds = heldOutSeeds(episodes, start);
  } catch (error) {
    throw new UsageError(`--seed/--episodes: ${(error as Error).message}`);
  }
  const policy = parsed.positionals[0];
  if (!isControllerName(policy) && !/\.onnx$/i.test(policy)) {
    throw new UsageError(
      `"${policy}" is neither an .onnx policy file nor a controller (${
        CONTROLLER_NAMES.join(", ")
      })`,
    );
  }
  let settings: EnvSettings, sources: string[], deterministic = !v.stochastic, comfort = 0.5;
  if (v.scenario !== undefined) {
    const scenario = await loadScenario(v.scenario as string);
    const evaluation = scenario.settings.evaluation;
    settings = scenarioEnvSettings(scenario.settings);
    sources = evaluation.map_paths.length > 0 ? evaluation.map_paths : [settings.map];
    if (!v.stochastic) deterministic = evaluation.deterministic;
    comfort = evaluation.comfort_distance;
  } else {
    settings = resolveScenarioEnv({});
    sources = [(v.map as string | undefined) ?? "default"];
  }
  return {
    policy,
    sources,
    settings,
    seeds,
    deterministic,
    comfortDistance: comfort,
    json: v.json as boolean,
  };
}

function _fmt(value: number, digits = 2): string {
  return Number.isFinite(value) ? value.toFixed(digits) : "-";
}

/** The metrics table: one row per map and an overall row. */
export function formatSuiteTable(result: SuiteResult): string {
  const cols: [keyof NavAggregate, string][] = [
    ["success_rate", "success"],
    ["collision_rate", "collision"],
    ["timeout_rate", "timeout"],
    ["mean_time_to_goal", "time s"],
    ["path_efficiency", "path eff"],
    ["min_pedestrian_distance", "min ped m"],
    ["near_miss_rate", "near miss"],
    ["mean_jerk", "jerk"],
    ["snqi", "SNQI"],
    ["mean_return", "return"],
  ];
  const rows = [
    ...Object.entries(result.maps),
    ...(Object.keys(result.maps).length > 1 ? [["overall", result.overall] as const] : []),
  ];
  const width = Math.max(8, ...rows.map(([name]) => name.length));
  const header = ["map".padEnd(width), ...cols.map(([, h]) => h.padStart(9)), "episodes"].join(" ");
  const lines = rows.map(([name, m]) =>
    [
      name.padEnd(width),
      ...cols.map(([k]) => _fmt(m[k] as number).padStart(9)),
      String(m.episodes).padStart(8),
    ]
      .join(" ")
  );
  return `${header}\n${lines.join("\n")}\n`;
}

function _json(m: NavAggregate): Record<string, number | null> {
  return Object.fromEntries(
    NAV_AGGREGATE_KEYS.map((k) => [k, Number.isFinite(m[k]) ? m[k] : null]),
  );
}

/**
 * Run the eval command.
 * @param args Arguments after the command name.
 * @returns Exit code.
 */
export async function main(args: string[]): Promise<number> {
  let inputs: _Inputs;
  try {
    const parsed = await _inputs(args);
    if (typeof parsed === "number") return parsed;
    inputs = parsed;
  } catch (error) {
    if (error instanceof UsageError) return reportUsageError("eval", error);
    if (error instanceof ConfigError) {
      writeStderr(`eval: invalid scenario:\n${error.message}\n`);
      return EXIT_INVALID;
    }
    if (error instanceof TypeError || error instanceof RangeError) {
      writeStderr(`eval: invalid env settings: ${error.message}\n`);
      return EXIT_INVALID;
    }
    throw error;
  }
  const suite = await loadSuiteMaps(inputs.sources);
  for (const f of suite.failed) writeStderr(`eval: cannot load map ${f.source}: ${f.message}\n`);
  if (suite.failed.length > 0 && inputs.sources.length === 1) return EXIT_INVALID;
  if (suite.maps.length === 0) {
    writeStderr("eval: no map of the suite could be loaded\n");
    return EXIT_INVALID;
  }
  const warnings = suite.failed.map((f) => `map ${f.source} skipped: ${f.message}`);
  let policy: ExportedPolicy | null = null;
  try {
    if (!isControllerName(inputs.policy)) {
      policy = await ExportedPolicy.load(inputs.policy);
      for (const m of suite.maps) policy.checkEnv(new RobotEnv(m.map, inputs.settings));
    }
    const model = policy;
    const makeActor = model === null
      ? controllerActorFactory(inputs.policy)
      : () => policyActor(model, inputs.deterministic);
    const result = await evaluateSuite(makeActor, suite.maps, inputs.settings, inputs.seeds, {
      comfortDistance: inputs.comfortDistance,
    });
    if (inputs.json) {
      writeStdout(`${
        JSON.stringify(
          {
            policy: inputs.policy,
            kind: policy === null ? "controller" : "policy",
            deterministic: policy === null ? null : inputs.deterministic,
            seeds: { start: inputs.seeds[0], count: inputs.seeds.length },
            maps: Object.fromEntries(Object.entries(result.maps).map(([k, m]) => [k, _json(m)])),
            overall: _json(result.overall),
            warnings,
          },
          null,
          2,
        )
      }\n`);
    } else {
      writeStdout(
        `${inputs.policy}${
          policy === null ? "" : inputs.deterministic ? " (deterministic)" : " (sampled actions)"
        }: ${inputs.seeds.length} episodes per map, seeds ${inputs.seeds[0]}..${
          inputs.seeds.at(-1)
        }\n${formatSuiteTable(result)}`,
      );
    }
    return EXIT_OK;
  } catch (error) {
    if (error instanceof PolicyFileError) {
      writeStderr(`eval: ${error.message}\n`);
      return EXIT_INVALID;
    }
    writeStderr(`eval failed: ${(error as Error).message}\n`);
    return EXIT_FAILURE;
  } finally {
    await policy?.release();
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
