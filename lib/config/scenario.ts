/**
 * Load and validate a scenario config (YAML): the `run:` block (PPO hyperparameters in
 * its nested `run.ppo:` mapping), the `env:` and `slurm:` blocks and the `extractors:`
 * list, checked against contracts/scenario.schema.json (ajv, defaults filled in) and the
 * preset parameter table. A top-level `ppo:` key is an error that says to move it under
 * `run:`.
 *
 * A problem outside `extractors[i]` (syntax, a bad block, an empty list, colliding
 * names, an unknown baseline) raises a {@linkcode ConfigError}; a bad single extractor
 * entry becomes a skipped entry with its reason and location, and the others go on.
 *
 * @module
 */
import { applyOverrides, locateOverrideIssues, type ScenarioOverride } from "./overrides.ts";
import * as nodePath from "node:path";
import { LineCounter, parseDocument, visit } from "yaml";
import { type Ajv, createAjv } from "../internal/ajv.ts";
import scenarioSchema from "../../contracts/scenario.schema.json" with { type: "json" };
import type { ExpectedResources, ExtractorConfigurationProfile } from "./profile.ts";
import { findNameCollisions, normalizeName, normalizeRunId } from "../run/paths.ts";
import { sha256Hex } from "../run/hash.ts";
import { escapeControlCharacters, firstControlCharacter } from "../internal/control_chars.ts";
import {
  checkInputFile,
  decodeInputText,
  InputFileError,
  readInputFile,
} from "../internal/input_file.ts";
import { loadMap } from "../sim/load_map.ts";
import { type MapDefinition, MapError } from "../sim/map_definition.ts";
import { ConfigError, type ConfigIssue } from "./config_error.ts";
import { _dedupe, _issue, type _Problem, _sortIssues, _translate } from "./_schema_messages.ts";
import { _Source, yamlPath, type YamlPathSegment } from "./_yaml_source.ts";

export { yamlPath, type YamlPathSegment };
import {
  checkExtractorParameters,
  closestName,
  featuresDim,
  FORBIDDEN_PARAMETERS,
  isPresetName,
  resolvePresetParameters,
} from "./presets.ts";
import type {
  EvaluationSettings,
  PpoSettings,
  RunSettings,
  ScenarioEnvSettings,
  SlurmSettings,
} from "./settings.ts";

/** The settings blocks with defaults filled in. */
export interface ScenarioSettings {
  /** `run:` block, without its `ppo` mapping (that is {@linkcode ScenarioSettings.ppo}). */
  run: RunSettings;
  /** `run.ppo:` mapping: the PPO hyperparameters. */
  ppo: PpoSettings;
  /** `env:` block. */
  env: ScenarioEnvSettings;
  /** `slurm:` block, or null when absent. */
  slurm: SlurmSettings | null;
  /** `evaluation:` block (held-out final evaluation, navigation evaluation). */
  evaluation: EvaluationSettings;
}

/** An extractor entry that will not run because the entry itself is invalid. */
export interface SkippedExtractor {
  /** The entry's name, or `extractors[<index>]` when it has no usable name. */
  name: string;
  /** Position in the `extractors` list (0-based). */
  index: number;
  /** Sort key (0 when the entry's priority is unusable). */
  priority: number;
  /** Why it is skipped: `<yaml path>: <problem>`. */
  reason: string;
  /** YAML path of the problem. */
  path: string;
  /** 1-based line of the problem, or null. */
  line: number | null;
  /** 1-based column of the problem, or null. */
  column: number | null;
}

/** One extractor entry in run order. */
export type ScenarioEntry =
  | { status: "ready"; profile: ExtractorConfigurationProfile }
  | { status: "skipped"; skipped: SkippedExtractor };

/** A validated scenario. */
export interface Scenario {
  /** Absolute path of the scenario file. */
  file: string;
  /** SHA-256 (hex) of the file's bytes (with `--set` overrides: of the overridden text). */
  sha256: string;
  /**
   * With `--set` / `--seed` overrides: the overridden YAML text (the run's scenario copy)
   * and the SHA-256 of the file as read. Absent without overrides.
   */
  overridden?: { text: string; fileSha256: string };
  /** Settings blocks with defaults. */
  settings: ScenarioSettings;
  /** Every extractor entry in run order (priority ascending, ties in file order). */
  entries: ScenarioEntry[];
  /** The entries that will run, in run order. */
  extractors: ExtractorConfigurationProfile[];
  /** The entries skipped as invalid, in run order. */
  skipped: SkippedExtractor[];
  /** Baseline extractor name: run.baseline_extractor, else the first ready entry; null when none. */
  baseline: string | null;
  /** Non-fatal problems (settings that are allowed but probably unintended). */
  warnings: ConfigIssue[];
}

/** Options of {@linkcode loadScenario}. */
export interface LoadScenarioOptions {
  /** `--set key=value` / `--seed N` overrides, in command-line order. @default none */
  overrides?: readonly ScenarioOverride[];
}

/** Options of {@linkcode parseScenario}. */
export interface ParseScenarioOptions {
  /**
   * File name used in messages and to resolve relative map paths.
   * @default "<scenario>" in the working directory
   */
  file?: string;
}

let _validate: ReturnType<Ajv["compile"]> | null = null;

function _validator() {
  if (_validate === null) {
    _validate = createAjv({ useDefaults: true, verbose: true }).compile(scenarioSchema);
  }
  return _validate;
}

function _isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Hint of a map entry that names no usable file. */
const _MAP_HINT = "name a .svg or .json map file (relative to the scenario) or a built-in map";

function _isMapFile(map: string): boolean {
  return /\.(json|svg)$/i.test(map);
}

/**
 * Parse and validate scenario text.
 *
 * @param text YAML content.
 * @param options File name for messages and relative map paths.
 * @returns The validated scenario (entries in run order, skipped entries with reasons).
 * @throws {ConfigError} When the scenario cannot be used (see the module description).
 */
export async function parseScenario(
  text: string,
  options: ParseScenarioOptions = {},
): Promise<Scenario> {
  const file = options.file ?? "<scenario>";
  return _parse(text, file, await sha256Hex(text));
}

/** Keys only a robot_sf JSON map has at its top level (and no scenario has). */
const _JSON_MAP_KEYS = ["x_margin", "y_margin", "robot_spawn_zones", "obstacles"];

/**
 * Whether a scenario file is a map given by mistake (`--config map.svg`): "SVG" for an SVG
 * document, "JSON" for a JSON object with robot_sf map keys, else null.
 */
function _looksLikeMap(text: string): "SVG" | "JSON" | null {
  const head = text.trimStart().slice(0, 512);
  if (/^(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*|<!DOCTYPE[^>]*>\s*)*<svg[\s>]/.test(head)) {
    return "SVG";
  }
  if (!head.startsWith("{")) return null;
  try {
    const value = JSON.parse(text);
    const keys = value !== null && typeof value === "object" ? Object.keys(value) : [];
    return _JSON_MAP_KEYS.some((k) => keys.includes(k)) &&
        !["run", "env", "extractors"].some((k) => keys.includes(k))
      ? "JSON"
      : null;
  } catch {
    return null;
  }
}

/**
 * Read, parse and validate a scenario file. Also loads the map named in `env.map` (a
 * built-in name, or a file relative to the scenario) and adds the map's warnings to the
 * scenario's.
 *
 * @param path Scenario file path.
 * @returns The validated scenario.
 * @throws {ConfigError} When the file is missing, unreadable, not UTF-8, or invalid, or
 * when the map is missing or cannot be loaded (at `env.map`).
 */
export async function loadScenario(
  path: string,
  options: LoadScenarioOptions = {},
): Promise<Scenario> {
  let bytes: Uint8Array;
  let text: string;
  try {
    bytes = await readInputFile(path, { kind: "scenario" });
    text = decodeInputText(bytes, path, "scenario");
  } catch (error) {
    if (!(error instanceof InputFileError)) throw error;
    const absolute = nodePath.resolve(path);
    const reason = error.problem === "not_found"
      ? absolute === path ? "file not found" : `file not found (resolved to ${absolute})`
      : error.problem === "not_text"
      ? "file is not valid UTF-8"
      : error.message;
    throw new ConfigError([{
      file: path,
      path: "",
      line: null,
      column: null,
      message: reason,
      hint: null,
    }]);
  }
  const mapLike = _looksLikeMap(text);
  if (mapLike !== null) {
    throw new ConfigError([{
      file: path,
      path: "",
      line: null,
      column: null,
      message: `this is a robot_sf ${mapLike} map, not a scenario`,
      hint: `name it in a scenario's env.map, or: --set env.map=${path}`,
    }]);
  }
  const overrides = options.overrides ?? [];
  const fileSha256 = await sha256Hex(bytes);
  let scenario: Scenario;
  if (overrides.length === 0) scenario = _parse(text, path, fileSha256);
  else {
    text = applyOverrides(text, overrides);
    try {
      scenario = _parse(text, path, await sha256Hex(text));
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      throw new ConfigError(locateOverrideIssues(error.issues, overrides));
    }
    scenario.overridden = { text, fileSha256 };
    scenario.warnings = locateOverrideIssues(scenario.warnings, overrides);
  }
  const mapPath = scenario.settings.env.map_path;
  const mapIssue = (message: string, hint: string | null): ConfigIssue => {
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines });
    const position = new _Source(doc, lines).value(["env", "map"]);
    const issue = { file: path, path: "env.map", ...position, message, hint };
    return locateOverrideIssues([issue], overrides)[0];
  };
  const mapProblem = (message: string, hint: string | null) =>
    new ConfigError([mapIssue(message, hint)]);
  if (mapPath !== null) {
    try {
      await checkInputFile(mapPath, { kind: "map" });
    } catch (error) {
      if (!(error instanceof InputFileError)) throw error;
      if (error.problem === "not_found") {
        throw mapProblem(
          `map file not found: ${mapPath}`,
          "paths are relative to the scenario file",
        );
      }
      const directory = await Deno.stat(mapPath).then((i) => i.isDirectory, () => false);
      if (directory) throw mapProblem(`${mapPath} is not a file but a directory`, _MAP_HINT);
      throw mapProblem(error.message, null);
    }
  }
  // Load the map now, so a map that cannot be used stops the run before anything is written.
  let map: MapDefinition;
  try {
    map = await loadMap(mapPath ?? scenario.settings.env.map);
  } catch (error) {
    const map = scenario.settings.env.map;
    if (error instanceof InputFileError) {
      const directory = await Deno.stat(error.path).then((i) => i.isDirectory, () => false);
      if (directory) throw mapProblem(`${map} is not a file but a directory`, _MAP_HINT);
      if (error.problem === "not_found") throw mapProblem(`map file not found: ${map}`, _MAP_HINT);
      throw mapProblem(error.message, null);
    }
    if (error instanceof Deno.errors.IsADirectory) {
      throw mapProblem(`${map} is not a file but a directory`, _MAP_HINT);
    }
    if (error instanceof Deno.errors.NotFound) {
      throw mapProblem(`map file not found: ${map}`, _MAP_HINT);
    }
    if (error instanceof Deno.errors.PermissionDenied) {
      throw mapProblem(`cannot read the map file ${map}: permission denied`, null);
    }
    if (!(error instanceof MapError)) throw error;
    throw mapProblem(
      `cannot load the map: ${error.message}`,
      mapPath === null ? null : "docs/maps.md describes the map formats",
    );
  }
  for (const warning of map.warnings) {
    scenario.warnings.push(mapIssue(`map ${scenario.settings.env.map}: ${warning}`, null));
  }
  return scenario;
}

/** Most alias expansions a scenario may use (yaml's guard against "billion laughs"). */
const _MAX_ALIAS_COUNT = 100;

function _toJs(doc: ReturnType<typeof parseDocument>, lines: LineCounter, file: string): unknown {
  try {
    return doc.toJS({ maxAliasCount: _MAX_ALIAS_COUNT });
  } catch (error) {
    if (!(error instanceof ReferenceError)) throw error;
    // Point at the alias that cannot be resolved, else at the first alias.
    let first: number | undefined;
    let unresolved: number | undefined;
    visit(doc, {
      Alias(_key, node) {
        first ??= node.range?.[0];
        if (node.resolve(doc) === undefined) {
          unresolved = node.range?.[0];
          return visit.BREAK;
        }
      },
    });
    const offset = unresolved ?? first;
    const position = offset === undefined ? null : lines.linePos(offset);
    const excessive = /excessive alias count/i.test(error.message);
    throw new ConfigError([{
      file,
      path: "",
      line: position?.line ?? null,
      column: position?.col ?? null,
      message: excessive
        ? `YAML uses too many aliases (they expand to more than ${_MAX_ALIAS_COUNT} copies)`
        : `YAML alias error: ${error.message}`,
      hint: excessive ? "write the values out instead of nesting aliases" : null,
    }]);
  }
}

function _parse(text: string, file: string, sha256: string): Scenario {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(doc.errors.map((error) => ({
      file,
      path: "",
      line: error.linePos?.[0].line ?? null,
      column: error.linePos?.[0].col ?? null,
      message: `YAML syntax error: ${
        error.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "")
      }`,
      hint: null,
    })));
  }
  const source = new _Source(doc, lines);
  const data: unknown = _toJs(doc, lines, file);
  if (!_isMapping(data)) {
    throw new ConfigError([{
      file,
      path: "",
      line: 1,
      column: 1,
      message: data === null || data === undefined
        ? "the scenario is empty; it needs at least an extractors list"
        : "the top level must be a mapping with run, extractors, ... keys",
      hint: null,
    }]);
  }
  // A block with every key commented out (`run:`, `run.ppo:`) takes the defaults.
  for (const block of ["run", "env", "slurm", "evaluation"]) {
    if (data[block] === null) delete data[block];
  }
  if (_isMapping(data.run) && data.run.ppo === null) delete data.run.ppo;
  const rawExtractors = structuredClone(data.extractors);

  const validate = _validator();
  validate(data);
  const fatal: _Problem[] = [];
  const perEntry = new Map<number, _Problem[]>();
  for (const error of validate.errors ?? []) {
    const problem = _translate(error, data, source);
    if (problem === null) continue;
    const [head, index] = problem.segments;
    if (head === "extractors" && typeof index === "number") {
      const list = perEntry.get(index) ?? [];
      list.push(problem);
      perEntry.set(index, list);
    } else {
      fatal.push(problem);
    }
  }
  fatal.push(..._controlCharacterProblems(data));
  if (fatal.length > 0) {
    throw new ConfigError(_sortIssues(_dedupe(fatal).map((p) => _issue(file, source, p))));
  }

  const settings = _settings(data, file);
  const semantic = _semanticChecks(settings);
  if (semantic.errors.length > 0) {
    throw new ConfigError(_sortIssues(semantic.errors.map((p) => _issue(file, source, p))));
  }

  const entries = data.extractors as Record<string, unknown>[];
  const raw = rawExtractors as unknown[];
  const ready: ExtractorConfigurationProfile[] = [];
  const skipped: SkippedExtractor[] = [];
  entries.forEach((entry, index) => {
    const result = _entry(entry, raw[index], index, perEntry.get(index) ?? [], file, source);
    if ("profile" in result) ready.push(result.profile);
    else skipped.push(result.skipped);
  });

  _checkCollisions(ready, skipped, file, source);

  const ordered: ScenarioEntry[] = [
    ...ready.map((profile) => ({ status: "ready" as const, profile })),
    ...skipped.map((entry) => ({ status: "skipped" as const, skipped: entry })),
  ];
  const indexOf = (entry: ScenarioEntry) =>
    entry.status === "ready" ? entry.profile.index : entry.skipped.index;
  const priorityOf = (entry: ScenarioEntry) =>
    entry.status === "ready" ? entry.profile.priority : entry.skipped.priority;
  ordered.sort((a, b) => priorityOf(a) - priorityOf(b) || indexOf(a) - indexOf(b));
  const extractors = ordered.flatMap((e) => e.status === "ready" ? [e.profile] : []);
  const skippedOrdered = ordered.flatMap((e) => e.status === "skipped" ? [e.skipped] : []);

  const warnings = semantic.warnings.map((p) => _issue(file, source, p));
  if (extractors.length === 0) {
    warnings.push(_issue(file, source, {
      segments: ["extractors"],
      pointAtKey: null,
      message: "no extractor entry is valid, so a run would only record skips",
      hint: null,
    }));
  }
  let baseline: string | null = extractors[0]?.name ?? null;
  const wanted = settings.run.baseline_extractor;
  if (wanted !== null) {
    const names = ordered.map((e) => e.status === "ready" ? e.profile.name : e.skipped.name);
    if (!names.includes(wanted)) {
      const close = closestName(wanted, names);
      throw new ConfigError([_issue(file, source, {
        segments: ["run", "baseline_extractor"],
        pointAtKey: null,
        message: `names no extractor entry: "${wanted}"`,
        hint: close !== null ? `did you mean "${close}"?` : `entries: ${names.join(", ")}`,
      })]);
    }
    baseline = wanted;
    if (!extractors.some((profile) => profile.name === wanted)) {
      warnings.push(_issue(file, source, {
        segments: ["run", "baseline_extractor"],
        pointAtKey: null,
        message: `baseline "${wanted}" is skipped, so sample-efficiency metrics will be missing`,
        hint: null,
      }));
    }
  }

  return {
    file: nodePath.resolve(file),
    sha256,
    settings,
    entries: ordered,
    extractors,
    skipped: skippedOrdered,
    baseline,
    warnings: _sortIssues(warnings),
  };
}

/**
 * Run id and extractor names holding control characters: refused outright (not
 * skipped), since they would reach the console, logs and summary.md.
 */
function _controlCharacterProblems(data: Record<string, unknown>): _Problem[] {
  const problems: _Problem[] = [];
  const check = (value: unknown, segments: YamlPathSegment[]) => {
    if (typeof value !== "string") return;
    const control = firstControlCharacter(value);
    if (control === null) return;
    problems.push({
      segments,
      pointAtKey: null,
      message: `"${escapeControlCharacters(value)}" holds the control character ${control}`,
      hint: "names and run ids may not hold control characters such as newlines, escapes or NUL",
    });
  };
  check((data.run as Record<string, unknown> | undefined)?.run_id, ["run", "run_id"]);
  const entries = Array.isArray(data.extractors) ? data.extractors : [];
  entries.forEach((entry, index) => {
    if (entry !== null && typeof entry === "object") {
      check((entry as Record<string, unknown>).name, ["extractors", index, "name"]);
    }
  });
  return problems;
}

function _settings(data: Record<string, unknown>, file: string): ScenarioSettings {
  const { ppo, ...run } = data.run as RunSettings & { ppo: PpoSettings };
  const envBlock = data.env as Omit<ScenarioEnvSettings, "map_path">;
  const mapPath = _isMapFile(envBlock.map)
    ? nodePath.resolve(nodePath.dirname(nodePath.resolve(file)), envBlock.map)
    : null;
  const env: ScenarioEnvSettings = { ...envBlock, map_path: mapPath };
  const evalBlock = data.evaluation as Omit<EvaluationSettings, "map_paths">;
  const base = nodePath.dirname(nodePath.resolve(file));
  const evaluation: EvaluationSettings = {
    ...evalBlock,
    map_paths: evalBlock.maps.map((m) => _isMapFile(m) ? nodePath.resolve(base, m) : m),
  };
  const slurm = data.slurm === undefined ? null : data.slurm as SlurmSettings;
  return { run, ppo, env, slurm, evaluation };
}

function _semanticChecks(settings: ScenarioSettings): { errors: _Problem[]; warnings: _Problem[] } {
  const { run, ppo } = settings;
  const errors: _Problem[] = [];
  const warnings: _Problem[] = [];
  const at = (
    segments: YamlPathSegment[],
    message: string,
    hint: string | null = null,
  ): _Problem => ({
    segments,
    pointAtKey: null,
    message,
    hint,
  });
  try {
    normalizeRunId(run.run_id);
  } catch (error) {
    errors.push(at(["run", "run_id"], (error as Error).message));
  }
  if (run.seeds !== undefined && run.num_seeds !== undefined) {
    errors.push(at(
      ["run", "num_seeds"],
      "run.seeds and run.num_seeds both choose the trial seeds; give one of them",
      "list the seeds in run.seeds, or derive them from run.seed with run.num_seeds",
    ));
  }
  if (run.num_seeds !== undefined && run.seed + run.num_seeds - 1 > 4294967295) {
    errors.push(at(
      ["run", "num_seeds"],
      `seeds ${run.seed} .. ${run.seed + run.num_seeds - 1} leave the seed range 0 .. 2^32 - 1`,
    ));
  }
  if (ppo.normalize_advantage && ppo.batch_size < 2) {
    errors.push(at(
      ["run", "ppo", "batch_size"],
      `must be >= 2 when normalize_advantage is true, got ${ppo.batch_size}`,
      "advantages of a single sample cannot be normalised",
    ));
  }
  const envs = run.worker_mode === "vectorized" ? run.num_envs : 1;
  if (ppo.n_steps * envs < 2) {
    errors.push(
      at(
        ["run", "ppo", "n_steps"],
        `n_steps x environments must be > 1, got ${ppo.n_steps * envs}`,
      ),
    );
  }
  if (run.worker_mode === "vectorized" && run.num_envs < 2) {
    warnings.push(at(
      ["run", "num_envs"],
      `vectorized worker_mode with num_envs ${run.num_envs} steps a single environment`,
      "use num_envs >= 2, or worker_mode single-thread",
    ));
  }
  if (run.worker_mode === "single-thread" && run.num_envs > 1) {
    warnings.push(at(
      ["run", "num_envs"],
      `single-thread worker_mode steps one environment; num_envs ${run.num_envs} is ignored`,
      "set worker_mode: vectorized to use several environments",
    ));
  }
  // PPO trains whole rollouts (SB3's learn loop): the run ends at the end of the first
  // rollout that reaches total_timesteps. Callbacks count vector-env calls.
  const rolloutSteps = ppo.n_steps * envs;
  const trainedSteps = Math.ceil(run.total_timesteps / rolloutSteps) * rolloutSteps;
  if (trainedSteps !== run.total_timesteps) {
    warnings.push(at(
      ["run", "total_timesteps"],
      `total_timesteps ${run.total_timesteps} is not a multiple of the rollout of ` +
        `${rolloutSteps} steps (n_steps x environments); whole rollouts run, so ` +
        `${trainedSteps} steps are trained`,
      `set total_timesteps to a multiple of ${rolloutSteps}`,
    ));
  }
  const trained = trainedSteps === run.total_timesteps
    ? `total_timesteps ${run.total_timesteps}`
    : `the ${trainedSteps} steps trained`;
  if (Math.max(1, Math.floor(run.eval_freq / envs)) * envs > trainedSteps) {
    warnings.push(at(
      ["run", "eval_freq"],
      `eval_freq ${run.eval_freq} exceeds ${trained}, so no evaluation runs during ` +
        "training; the policy is evaluated once, after the last step",
      "convergence metrics need evaluations during training: lower eval_freq",
    ));
  }
  if (Math.max(1, Math.floor(run.save_freq / envs)) * envs > trainedSteps) {
    warnings.push(at(
      ["run", "save_freq"],
      `save_freq ${run.save_freq} exceeds ${trained}, so no checkpoint is written before the end`,
    ));
  }
  if (run.env_workers !== null && run.env_workers > envs) {
    warnings.push(at(
      ["run", "env_workers"],
      `env_workers ${run.env_workers} exceeds the ${envs} environment(s) stepped; only ${envs} ` +
        "worker(s) are started",
    ));
  }
  const rollout = rolloutSteps;
  if (rollout % ppo.batch_size !== 0) {
    warnings.push(at(
      ["run", "ppo", "batch_size"],
      `the rollout of ${rollout} steps (n_steps x environments) is not a multiple of batch_size ` +
        `${ppo.batch_size}; the last minibatch of each epoch is smaller`,
    ));
  }
  return { errors, warnings };
}

function _entry(
  entry: Record<string, unknown>,
  raw: unknown,
  index: number,
  problems: _Problem[],
  file: string,
  source: _Source,
): { profile: ExtractorConfigurationProfile } | { skipped: SkippedExtractor } {
  const placeholder = `extractors[${index}]`;
  const name = _isMapping(entry) && typeof entry.name === "string" && entry.name.trim() !== ""
    ? entry.name
    : placeholder;
  const priority = _isMapping(entry) && typeof entry.priority === "number" ? entry.priority : 0;
  const skip = (problem: _Problem) => {
    const issue = _issue(file, source, problem);
    const hint = issue.hint === null ? "" : ` (${issue.hint})`;
    return {
      skipped: {
        name,
        index,
        priority,
        reason: `${issue.path}: ${issue.message}${hint}`,
        path: issue.path,
        line: issue.line,
        column: issue.column,
      },
    };
  };
  const outsideParameters = _dedupe(problems).filter((p) => p.segments[2] !== "parameters");
  if (outsideParameters.length > 0) return skip(outsideParameters[0]);
  if (typeof entry.name === "string" && entry.name.trim() === "") {
    return skip({
      segments: ["extractors", index, "name"],
      pointAtKey: null,
      message: "must not be blank",
      hint: null,
    });
  }

  const preset = entry.preset;
  if (!isPresetName(preset)) return skip(_dedupe(problems)[0]); // unreachable: enum error above
  const overrides = _isMapping(raw) && _isMapping(raw.parameters) ? raw.parameters : {};
  const parameterIssues = checkExtractorParameters(preset, overrides);
  if (parameterIssues.length > 0) {
    const [issue] = parameterIssues;
    const known = issue.message.startsWith("Unknown parameter") ||
      issue.key in FORBIDDEN_PARAMETERS;
    return skip({
      segments: ["extractors", index, "parameters", issue.key],
      pointAtKey: known ? issue.key : null,
      message: issue.message,
      hint: null,
    });
  }
  if (problems.length > 0) return skip(problems[0]); // schema and table disagree: be safe

  let directoryName: string;
  try {
    directoryName = normalizeName(name);
  } catch (error) {
    return skip({
      segments: ["extractors", index, "name"],
      pointAtKey: null,
      message: (error as Error).message,
      hint: null,
    });
  }
  const parameters = resolvePresetParameters(preset, overrides);
  return {
    profile: {
      name,
      directory_name: directoryName,
      preset,
      description: typeof entry.description === "string" ? entry.description : null,
      parameters,
      overrides: structuredClone(overrides),
      features_dim: featuresDim(preset, parameters),
      expected_resources: entry.expected_resources as ExpectedResources,
      priority,
      index,
    },
  };
}

function _checkCollisions(
  ready: readonly ExtractorConfigurationProfile[],
  skipped: readonly SkippedExtractor[],
  file: string,
  source: _Source,
): void {
  const named: { name: string; index: number }[] = [
    ...ready.map((p) => ({ name: p.name, index: p.index })),
    ...skipped.filter((s) => s.name !== `extractors[${s.index}]`).flatMap((s) => {
      try {
        normalizeName(s.name);
        return [{ name: s.name, index: s.index }];
      } catch {
        return [];
      }
    }),
  ].sort((a, b) => a.index - b.index);
  const collisions = findNameCollisions(named.map((n) => n.name));
  if (collisions.length === 0) return;
  throw new ConfigError(collisions.map((collision) => {
    const first = named[collision.firstIndex].index;
    const second = named[collision.secondIndex].index;
    const firstPosition = source.value(["extractors", first, "name"]);
    return _issue(file, source, {
      segments: ["extractors", second, "name"],
      pointAtKey: null,
      message: `"${collision.second}" collides with "${collision.first}" ` +
        `(extractors[${first}], line ${firstPosition.line}) after normalisation or case ` +
        `folding: both map to directory "${collision.directory}"`,
      hint: "rename one of them",
    });
  }));
}
