/**
 * Command-line overrides of a scenario, as rl-baselines3-zoo users write them:
 * `--set run.total_timesteps=100000 --set run.ppo.learning_rate=1e-4` and `--seed N`
 * (`run.seed`). Overrides are applied to the scenario's YAML document before it is
 * validated, so they meet the same JSON Schema and the same messages; a problem with an
 * overridden key is located at the `--set` flag instead of a line of the file. The run's
 * scenario copy holds the overridden document, so `resume` continues with the same values.
 *
 * @module
 */
import { type Document, isSeq, parse, parseDocument } from "yaml";
import { ConfigError, type ConfigIssue } from "./config_error.ts";

/** One `--set key=value`. */
export interface ScenarioOverride {
  /** The flag's text (`run.ppo.learning_rate=1e-4`), for messages. */
  flag: string;
  /** Dotted YAML path as written (`run.ppo.learning_rate`, `extractors[0].parameters.x`). */
  key: string;
  /** Path segments: mapping keys and list indices. */
  segments: (string | number)[];
  /** Value, parsed as a YAML flow value (`100000` is a number, `[1, 2]` a list). */
  value: unknown;
}

/** A malformed `--set` or `--seed` flag. */
export class OverrideSyntaxError extends Error {
  /**
   * Create the error.
   * @param message What is wrong, naming the flag.
   */
  constructor(message: string) {
    super(message);
    this.name = "OverrideSyntaxError";
  }
}

const SEGMENT = /^([A-Za-z_][A-Za-z0-9_]*)((?:\[\d+\])*)$/;

/**
 * Parse one `--set` value, `key=value`.
 * @param flag The text after `--set`.
 * @returns The override.
 * @throws {OverrideSyntaxError} Without `=`, with an empty or malformed key, or a value that
 *   is not a YAML value.
 */
export function parseOverride(flag: string): ScenarioOverride {
  const eq = flag.indexOf("=");
  if (eq <= 0) {
    throw new OverrideSyntaxError(
      `--set ${flag}: expected key=value, e.g. run.total_timesteps=1000`,
    );
  }
  const key = flag.slice(0, eq).trim();
  const segments: (string | number)[] = [];
  for (const part of key.split(".")) {
    const m = SEGMENT.exec(part);
    if (m === null) {
      throw new OverrideSyntaxError(
        `--set ${flag}: "${key}" is not a key path (dotted names, list items as [n])`,
      );
    }
    segments.push(m[1]);
    for (const index of m[2].matchAll(/\[(\d+)\]/g)) segments.push(Number(index[1]));
  }
  let value: unknown;
  try {
    value = parse(flag.slice(eq + 1));
  } catch (error) {
    throw new OverrideSyntaxError(
      `--set ${flag}: the value is not a YAML value (${(error as Error).message.split("\n")[0]})`,
    );
  }
  return { flag, key, segments, value: value ?? null };
}

/**
 * The override of `--seed N`: `run.seed=N`.
 * @param text The flag's value.
 * @throws {OverrideSyntaxError} When it is not an integer in 0 .. 2^32 - 1.
 */
export function seedOverride(text: string): ScenarioOverride {
  if (!/^\d+$/.test(text.trim()) || Number(text) > 0xffffffff) {
    throw new OverrideSyntaxError(`--seed ${text}: expected an integer in 0 .. 4294967295`);
  }
  return {
    flag: `run.seed=${text.trim()}`,
    key: "run.seed",
    segments: ["run", "seed"],
    value: Number(text),
  };
}

/**
 * Apply overrides to a scenario's YAML text (comments and layout kept); later overrides of
 * the same key win. Missing mappings on the way are created; a list index may name an
 * existing item or append one (`[n]` for a list of n items), never leave a gap.
 * @param text Scenario YAML.
 * @param overrides Overrides in command-line order.
 * @returns The overridden YAML text (the text itself when there are none).
 * @throws {ConfigError} When a list index lies past the end of its list, located at the
 *   `--set` flag.
 */
export function applyOverrides(text: string, overrides: readonly ScenarioOverride[]): string {
  if (overrides.length === 0) return text;
  const doc = parseDocument(text);
  if (doc.errors.length > 0) return text; // the validator reports the syntax error
  for (const o of overrides) {
    checkListIndices(doc, o);
    doc.setIn(o.segments, doc.createNode(o.value));
  }
  return doc.toString();
}

/** Refuse an index that would pad a list with empty items (`extractors[5]` of 2 items). */
function checkListIndices(doc: Document, o: ScenarioOverride): void {
  o.segments.forEach((segment, k) => {
    if (typeof segment !== "number") return;
    const list = doc.getIn(o.segments.slice(0, k), true);
    const length = isSeq(list) ? list.items.length : 0;
    if (segment <= length) return;
    const at = o.key.slice(0, o.key.indexOf("]", o.key.indexOf(`[${segment}]`)) + 1);
    throw new ConfigError([{
      file: `--set ${o.flag}`,
      path: at,
      line: null,
      column: null,
      message: `index ${segment} is past the end of the list (${length} items; ` +
        `[${length}] appends one)`,
      hint: null,
    }]);
  });
}

/**
 * Locate issues at the `--set` flag whose key they are about (the key itself or a path
 * inside it): `file` becomes `--set <key=value>`, without line and column.
 * @param issues Issues of the overridden scenario.
 * @param overrides The overrides applied.
 * @returns The issues, relocated where they concern an override.
 */
export function locateOverrideIssues(
  issues: readonly ConfigIssue[],
  overrides: readonly ScenarioOverride[],
): ConfigIssue[] {
  const canonical = (segments: (string | number)[]) =>
    segments.map((s) => typeof s === "number" ? `[${s}]` : `.${s}`).join("").slice(1)
      .replaceAll(".[", "[");
  return issues.map((issue) => {
    const hit = [...overrides].reverse().find((o) => {
      const key = canonical(o.segments);
      return issue.path === key || issue.path.startsWith(`${key}.`) ||
        issue.path.startsWith(`${key}[`);
    });
    return hit === undefined
      ? issue
      : { ...issue, file: `--set ${hit.flag}`, line: null, column: null };
  });
}
