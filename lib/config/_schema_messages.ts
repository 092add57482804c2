/**
 * ajv's schema errors in the scenario's words: "must be an integer, got \"4\"",
 * "unknown key \"num_env\"" with a did-you-mean hint, PPO keys at the top level, the
 * parameters a preset forbids; each pointed at a YAML line.
 *
 * @module
 */
import type { ErrorObject } from "../internal/ajv.ts";
import type { ConfigIssue } from "./config_error.ts";
import { closestName, FORBIDDEN_PARAMETERS } from "./presets.ts";
import { _pointerSegments, type _Source, yamlPath, type YamlPathSegment } from "./_yaml_source.ts";

function _article(type: string): string {
  switch (type) {
    case "integer":
      return "an integer";
    case "number":
      return "a number";
    case "string":
      return "a string";
    case "boolean":
      return "true or false";
    case "object":
      return "a mapping";
    case "array":
      return "a list";
    case "null":
      return "null";
    default:
      return type;
  }
}

function _describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null (empty value)";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "number" && !Number.isFinite(value)) {
    const yaml = Number.isNaN(value) ? ".nan" : value > 0 ? ".inf" : "-.inf";
    return `${yaml} (not a finite number)`;
  }
  return JSON.stringify(value);
}

function _valueAt(data: unknown, segments: readonly YamlPathSegment[]): unknown {
  let current = data;
  for (const segment of segments) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

/** A translated ajv error: path segments, where to point, message, hint. */
export interface _Problem {
  segments: YamlPathSegment[];
  /** Where to point instead of `segments` (e.g. the parent of a missing key). */
  at?: YamlPathSegment[];
  pointAtKey: string | null;
  message: string;
  hint: string | null;
}

/**
 * The problem of a top-level `ppo:` key: PPO hyperparameters live in `run.ppo`. The hint
 * names the line of `run:` (or of an existing `run.ppo:`) to move the block to.
 */
function _topLevelPpo(source: _Source): _Problem {
  const nested = source.findKey(["run"], "ppo");
  const run = source.findKey([], "run");
  const hint = nested !== null
    ? `run.ppo already exists on line ${nested.line}; merge these keys into it`
    : run !== null
    ? `run: is on line ${run.line}; indent ppo: and its keys under it`
    : "add a run: key and indent ppo: and its keys under it";
  return {
    segments: ["ppo"],
    pointAtKey: "ppo",
    message: "move this block under run: as run.ppo; PPO hyperparameters are not accepted " +
      "at the top level",
    hint,
  };
}

/** An ajv error as a problem in the scenario's words, or null for one that adds nothing. */
export function _translate(error: ErrorObject, data: unknown, source: _Source): _Problem | null {
  if (error.keyword === "if") return null;
  const segments = _pointerSegments(error.instancePath);
  const value = _valueAt(data, segments);
  const params = error.params as Record<string, unknown>;
  const got = `, got ${_describe(value)}`;
  switch (error.keyword) {
    case "type": {
      const types = String(params.type).split(",").map(_article).join(" or ");
      return { segments, pointAtKey: null, message: `must be ${types}${got}`, hint: null };
    }
    case "enum": {
      const allowed = (params.allowedValues as unknown[]).map(String);
      const hint = typeof value === "string" ? closestName(value, allowed) : null;
      return {
        segments,
        pointAtKey: null,
        message: `must be one of ${allowed.map((v) => `"${v}"`).join(", ")}${got}`,
        hint: hint === null ? null : `did you mean "${hint}"?`,
      };
    }
    case "const":
      return {
        segments,
        pointAtKey: null,
        message: `must be ${JSON.stringify(params.allowedValue)}${got}`,
        hint: null,
      };
    case "minimum":
    case "maximum":
    case "exclusiveMinimum":
    case "exclusiveMaximum":
      return {
        segments,
        pointAtKey: null,
        message: `must be ${params.comparison} ${params.limit}${got}`,
        hint: null,
      };
    case "minLength":
      return { segments, pointAtKey: null, message: "must not be empty", hint: null };
    case "pattern": {
      // Patterned strings describe the text they accept ("one line starting with ...").
      const description = (error.parentSchema as { description?: string }).description;
      return {
        segments,
        pointAtKey: null,
        message: description === undefined
          ? `must match ${params.pattern}`
          : `must be ${description}`,
        hint: null,
      };
    }
    case "minItems":
    case "maxItems": {
      const schema = error.parentSchema as { minItems?: number; maxItems?: number };
      const count = Array.isArray(value) ? value.length : 0;
      const message = schema.minItems !== undefined && schema.minItems === schema.maxItems
        ? `must have exactly ${schema.minItems} items, got ${count}`
        : error.keyword === "minItems"
        ? `must have at least ${params.limit} item${params.limit === 1 ? "" : "s"}, got ${count}`
        : `must have at most ${params.limit} items, got ${count}`;
      return { segments, pointAtKey: null, message, hint: null };
    }
    case "uniqueItems": {
      // ajv's params i and j are the indices of two equal items (in either order).
      const [first, second] = [Number(params.i), Number(params.j)].sort((a, b) => a - b);
      const repeated = Array.isArray(value) ? value[first] : undefined;
      return {
        segments,
        pointAtKey: null,
        message: `must not repeat an item: [${first}] and [${second}] are both ` +
          `${_describe(repeated)}`,
        hint: null,
      };
    }
    case "required":
      return {
        segments: [...segments, String(params.missingProperty)],
        at: segments,
        pointAtKey: null,
        message: `missing required key "${params.missingProperty}"`,
        hint: null,
      };
    case "additionalProperties": {
      const key = String(params.additionalProperty);
      if (segments.length === 0 && key === "ppo") return _topLevelPpo(source);
      if (key in FORBIDDEN_PARAMETERS) {
        return {
          segments: [...segments, key],
          pointAtKey: key,
          message: FORBIDDEN_PARAMETERS[key],
          hint: null,
        };
      }
      const known = Object.keys(
        (error.parentSchema as { properties?: Record<string, unknown> }).properties ?? {},
      );
      const close = closestName(key, known);
      return {
        segments: [...segments, key],
        pointAtKey: key,
        message: `unknown key "${key}"`,
        hint: close !== null ? `did you mean "${close}"?` : `accepted keys: ${known.join(", ")}`,
      };
    }
    default:
      return { segments, pointAtKey: null, message: error.message ?? error.keyword, hint: null };
  }
}

/** A problem as a ConfigIssue with the line and column it points at. */
export function _issue(file: string, source: _Source, problem: _Problem): ConfigIssue {
  const position = problem.pointAtKey === null
    ? source.value(problem.at ?? problem.segments)
    : source.key(problem.segments.slice(0, -1), problem.pointAtKey);
  return {
    file,
    path: yamlPath(problem.segments),
    line: position.line,
    column: position.column,
    message: problem.message,
    hint: problem.hint,
  };
}

/** Issues in file order (line, then column). */
export function _sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  return issues.sort((a, b) =>
    (a.line ?? Infinity) - (b.line ?? Infinity) || (a.column ?? 0) - (b.column ?? 0)
  );
}

/** Problems without repeats (same path and message). */
export function _dedupe(problems: _Problem[]): _Problem[] {
  const seen = new Set<string>();
  return problems.filter((problem) => {
    const key = `${yamlPath(problem.segments)}\u0000${problem.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
