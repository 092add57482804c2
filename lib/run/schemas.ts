/**
 * JSON Schema validation of the run's file formats against the files in
 * `contracts/` (draft-07, ajv + ajv-formats). Writers validate before writing and
 * readers after reading, so one definition serves both.
 *
 * @module
 */
import { createAjv, type ErrorObject, type ValidateFunction } from "../internal/ajv.ts";
import summarySchema from "../../contracts/training_summary.schema.json" with { type: "json" };
import manifestSchema from "../../contracts/manifest_event.schema.json" with { type: "json" };
import comparisonSchema from "../../contracts/comparison.schema.json" with { type: "json" };

/** One schema violation, with a readable location. */
export interface SchemaIssue {
  /** Location in the validated value, e.g. `extractor_results[0].reason` ("" = root). */
  path: string;
  /** The JSON Schema keyword that failed (ajv's `keyword`). */
  keyword: string;
  /** Sentence-case description, naming the offending key where there is one. */
  message: string;
}

let _validators:
  | {
    summary: ValidateFunction;
    record: ValidateFunction;
    hardware: ValidateFunction;
    manifest: ValidateFunction;
    comparison: ValidateFunction;
  }
  | null = null;

function _compiled() {
  if (_validators === null) {
    const ajv = createAjv({ strictRequired: false });
    ajv.addSchema(summarySchema);
    ajv.addSchema(manifestSchema);
    ajv.addSchema(comparisonSchema);
    const get = (ref: string) => {
      const validate = ajv.getSchema(ref);
      if (validate === undefined) throw new Error(`Schema ${ref} is missing from contracts/`);
      return validate;
    };
    _validators = {
      summary: get("training_summary.schema.json"),
      record: get("training_summary.schema.json#/definitions/extractor_run_record"),
      hardware: get("training_summary.schema.json#/definitions/hardware_profile"),
      manifest: get("manifest_event.schema.json"),
      comparison: get("comparison.schema.json"),
    };
  }
  return _validators;
}

/**
 * Turn a JSON pointer (`/extractor_results/0/reason`) into a dotted path with
 * indices (`extractor_results[0].reason`).
 *
 * @param pointer JSON pointer as ajv reports it in `instancePath`.
 * @returns The dotted path; "" for the root.
 */
export function pointerToPath(pointer: string): string {
  if (pointer === "") return "";
  let path = "";
  for (const raw of pointer.slice(1).split("/")) {
    const segment = raw.replaceAll("~1", "/").replaceAll("~0", "~");
    if (/^\d+$/.test(segment)) path += `[${segment}]`;
    else path += path === "" ? segment : `.${segment}`;
  }
  return path;
}

function _join(path: string, key: string): string {
  return path === "" ? key : `${path}.${key}`;
}

/** ajv errors as SchemaIssues: `if` wrappers dropped, one per path and keyword. */
function _toSchemaIssues(errors: readonly ErrorObject[] | null | undefined): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  const seen = new Set<string>();
  for (const error of errors ?? []) {
    if (error.keyword === "if") continue;
    let path = pointerToPath(error.instancePath);
    let message: string;
    const params = error.params as Record<string, unknown>;
    switch (error.keyword) {
      case "required":
        message = `missing required key "${params.missingProperty}"`;
        path = _join(path, String(params.missingProperty));
        break;
      case "additionalProperties":
        message = `unknown key "${params.additionalProperty}"`;
        path = _join(path, String(params.additionalProperty));
        break;
      case "dependencies":
        message = `"${params.property}" requires "${params.missingProperty}" to be present too`;
        break;
      case "enum":
        message = `must be one of ${
          (params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")
        }`;
        break;
      default:
        message = error.message ?? error.keyword;
    }
    const key = `${path}\u0000${error.keyword}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push({ path, keyword: error.keyword, message });
  }
  return issues;
}

function _run(validate: ValidateFunction, value: unknown): SchemaIssue[] {
  return validate(value) ? [] : _toSchemaIssues(validate.errors);
}

/**
 * Validate a summary.json object against contracts/training_summary.schema.json.
 *
 * @param value Parsed or about-to-be-written summary.
 * @returns Every violation; empty when valid.
 */
export function validateTrainingSummary(value: unknown): SchemaIssue[] {
  return _run(_compiled().summary, value);
}

/**
 * Validate one extractor run record (`definitions/extractor_run_record`).
 *
 * @param value Record object.
 * @returns Every violation; empty when valid.
 */
export function validateRunRecord(value: unknown): SchemaIssue[] {
  return _run(_compiled().record, value);
}

/**
 * Validate one hardware profile (`definitions/hardware_profile`).
 *
 * @param value Profile object.
 * @returns Every violation; empty when valid.
 */
export function validateHardwareProfile(value: unknown): SchemaIssue[] {
  return _run(_compiled().hardware, value);
}

/**
 * Validate one manifest line against contracts/manifest_event.schema.json.
 *
 * @param value Parsed manifest line.
 * @returns Every violation; empty when valid.
 */
export function validateManifestEvent(value: unknown): SchemaIssue[] {
  return _run(_compiled().manifest, value);
}

/**
 * Validate a comparison.json object against contracts/comparison.schema.json.
 *
 * @param value Parsed or about-to-be-written comparison.
 * @returns Every violation; empty when valid.
 */
export function validateComparison(value: unknown): SchemaIssue[] {
  return _run(_compiled().comparison, value);
}

/**
 * One line per issue, `path: message`, for error messages.
 *
 * @param issues Issues from one of the validators.
 * @returns Text with one issue per line.
 */
export function formatSchemaIssues(issues: readonly SchemaIssue[]): string {
  return issues.map((issue) => `${issue.path || "(root)"}: ${issue.message}`).join("\n");
}
